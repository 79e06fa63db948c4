import type { ColumnType } from '../../core/column-type.js'
import { encodeValue, NO_FIT } from '../../core/encode-value.js'
import type { Decode, SourceColumn } from '../sql/batch-builder.js'

/** A column as the Postgres catalog describes it (domains resolved to their base type). */
export interface PgCatalogColumn {
  readonly name: string
  /** `format_type()` of the column's declared type: what a bound parameter is cast to. */
  readonly sqlType: string
  /** Base type name (`int8`, `timestamptz`, `_int4` …). */
  readonly typname: string
  /** `pg_type.typcategory` (`A` array, `E` enum …) and `typtype` (`c` composite …). */
  readonly category: string
  readonly typtype: string
  readonly typmod: number
  readonly notNull: boolean
}

/** A catalog column mapped: how to select it, how to decode it, what kind of cursor it makes. */
export interface PgMappedColumn extends SourceColumn {
  /** The select-list expression (`"c"`, or `to_json("c")` for arrays and composites). */
  readonly select: string
  readonly cursorKind: 'temporal' | 'numeric' | 'other'
  readonly sqlType: string
  readonly notNull: boolean
}

const text: Decode = (raw) => raw as string
const bool: Decode = (raw) => (raw === 't' ? 1 : 0)
const number: Decode = (raw) => Number(raw)
const bigint: Decode = (raw) => BigInt(raw as string)
const bytea: Decode = (raw) => Buffer.from((raw as string).slice(2), 'hex')
/** numeric(p,s) values always fit their type, except NaN and ±Infinity. */
const boundedDecimal: Decode = (raw) => {
  const c = (raw as string).charCodeAt(0)
  return (c >= 48 && c <= 57) || (c === 45 && (raw as string).charCodeAt(1) !== 73) ? (raw as string) : NO_FIT
}
const DATE = /^\d{4}-\d\d-\d\d$/
const NAIVE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?$/
const UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/
// With DateStyle ISO and TimeZone UTC (set for the read transaction): `2026-11-22 10:11:12.5+00`.
// infinity, BC dates and years past 9999 don't match and fall back to STRING with Postgres's text.
const date: Decode = (raw) => (DATE.test(raw as string) ? (raw as string) : NO_FIT)
const naive: Decode = (raw) => (NAIVE.test(raw as string) ? `${(raw as string).slice(0, 10)}T${(raw as string).slice(11)}` : NO_FIT)
const utc: Decode = (raw) => (UTC.test(raw as string) ? `${(raw as string).slice(0, 10)}T${(raw as string).slice(11, -3)}Z` : NO_FIT)

const AS_TEXT = { type: 'STRING', decode: text } as const

function orText(decode: Decode): Decode {
  return (raw) => {
    const v = decode(raw)
    return v === NO_FIT || typeof v !== 'string' ? (raw as string) : v
  }
}

/**
 * Maps a Postgres column to a sluice type: numeric(p,s) → DECIMAL(p,s) (unconstrained → DECIMAL(38,10),
 * widening to STRING for a value that doesn't fit), jsonb/json → JSON, arrays and composites →
 * JSON, bytea → BINARY, uuid/enum/text/inet/interval/… → STRING, timestamptz → UTC_DATETIME,
 * timestamp → NAIVE_DATETIME, date → NAIVE_DATE, int8 → LONG, and so on.
 */
export function mapPgColumn(c: PgCatalogColumn): PgMappedColumn {
  const quoted = `"${c.name.replace(/"/g, '""')}"`
  const base = { name: c.name, sqlType: c.sqlType, notNull: c.notNull, select: quoted, fallback: AS_TEXT }
  const as = (type: ColumnType, decode: Decode, cursorKind: PgMappedColumn['cursorKind'] = 'other'): PgMappedColumn => ({
    ...base,
    type,
    decode,
    cursorKind,
    // Text-stored types fall back to text that keeps every value that did fit in its usual form.
    ...(type !== 'STRING' && type !== 'JSON' ? { fallback: { type: 'STRING', decode: orText(decode) } } : {}),
  })
  if (c.category === 'A' || c.typtype === 'c') return { ...as('JSON', text), select: `to_json(${quoted})` }
  switch (c.typname) {
    case 'bool':
      return as('BOOLEAN', bool)
    case 'int2':
      return as('SHORT', number, 'numeric')
    case 'int4':
      return as('INT', number, 'numeric')
    case 'int8':
    case 'oid':
      return as('LONG', bigint, 'numeric')
    case 'float4':
      return as('FLOAT', number, 'numeric')
    case 'float8':
      return as('DOUBLE', number, 'numeric')
    case 'numeric': {
      const bounded = numericType(c.typmod)
      if (bounded) return as(bounded, boundedDecimal, 'numeric')
      return as('DECIMAL(38,10)', (raw) => encodeValue(raw, 'DECIMAL(38,10)') as string | typeof NO_FIT, 'numeric')
    }
    case 'date':
      return as('NAIVE_DATE', date, 'temporal')
    case 'timestamp':
      return as('NAIVE_DATETIME', naive, 'temporal')
    case 'timestamptz':
      return as('UTC_DATETIME', utc, 'temporal')
    case 'bytea':
      return as('BINARY', bytea)
    case 'json':
    case 'jsonb':
      return as('JSON', text)
    default:
      return as('STRING', text)
  }
}

/** `DECIMAL(p,s)` for a numeric typmod that sluice can hold exactly (p ≤ 38), else undefined. */
function numericType(typmod: number): ColumnType | undefined {
  if (typmod < 4) return undefined
  const precision = ((typmod - 4) >> 16) & 0xffff
  const scale = (typmod - 4) & 0xffff
  if (precision < 1 || precision > 38 || scale > precision) return undefined
  return `DECIMAL(${precision},${scale})`
}
