import type { ColumnType } from '../../core/column-type.js'
import { NO_FIT } from '../../core/encode-value.js'
import type { Decode } from '../sql/batch-builder.js'
import type { KeysetColumn } from '../sql/keyset-table.js'

/** A column as `information_schema.COLUMNS` describes it. */
export interface MysqlCatalogColumn {
  readonly name: string
  /** `DATA_TYPE`, lower case: `int`, `decimal`, `datetime`, `longtext` … */
  readonly dataType: string
  /** `COLUMN_TYPE`: `tinyint(1)`, `int(10) unsigned`, `decimal(12,2)` … */
  readonly columnType: string
  readonly precision: number | null
  readonly scale: number | null
  readonly notNull: boolean
  /** MariaDB's JSON is LONGTEXT with a `json_valid()` check: found by the catalog query. */
  readonly json: boolean
}

/** A MySQL column mapped: how to select it, decode it, and cast a saved position back for a bound. */
export interface MysqlMappedColumn extends KeysetColumn {
  readonly select: string
  /** SQL for a bound parameter of this column (`CAST(? AS SIGNED)`, `UNHEX(?)` …); undefined when values can't be compared exactly. */
  readonly param: string | undefined
}

const asIs: Decode = (raw) => raw as number
const toBig: Decode = (raw) => BigInt(raw as string | number)
const text: Decode = (raw) => (typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw))
const bytes: Decode = (raw) => raw as Buffer
const bool: Decode = (raw) => (raw === 0 || raw === 1 ? raw : NO_FIT)
const bit1: Decode = (raw) => ((raw as Buffer)[0] ? 1 : 0)
const json: Decode = (raw) => (typeof raw === 'string' ? raw : JSON.stringify(raw))
const DATE = /^\d{4}-\d\d-\d\d$/
const DATETIME = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/
// Zero dates ('0000-00-00') and other values a calendar can't hold fall back to STRING as MySQL wrote them.
const date: Decode = (raw) => (DATE.test(raw as string) && !(raw as string).startsWith('0000') ? (raw as string) : NO_FIT)
function datetime(zone: string): Decode {
  return (raw) => {
    const m = DATETIME.exec(raw as string)
    if (!m || m[1]!.startsWith('0000') || m[1]!.includes('-00')) return NO_FIT
    const fraction = m[3]?.replace(/0+$/, '')
    return `${m[1]}T${m[2]}${fraction ? `.${fraction}` : ''}${zone}`
  }
}
const orText = (decode: Decode): Decode => (raw) => {
  const v = decode(raw)
  return v === NO_FIT || typeof v !== 'string' ? text(raw) : v
}

/**
 * Maps a MySQL/MariaDB column to a sluice type: TINYINT(1) → BOOLEAN (SHORT if a row holds
 * another number), DECIMAL(p,s) → DECIMAL(p,s) as exact text, BIGINT → LONG (BIGINT UNSIGNED →
 * DECIMAL(20,0)), DATETIME → NAIVE_DATETIME and TIMESTAMP → UTC_DATETIME with their
 * microseconds, DATE → NAIVE_DATE, JSON → JSON, BLOB/BINARY → BINARY, the rest → STRING.
 */
export function mapMysqlColumn(c: MysqlCatalogColumn): MysqlMappedColumn {
  const q = `\`${c.name.replace(/`/g, '``')}\``
  const unsigned = c.columnType.includes('unsigned')
  const base = { name: c.name, notNull: c.notNull, select: q }
  const make = (type: ColumnType, decode: Decode, param: string | undefined, cursorKind: KeysetColumn['cursorKind'] = 'other', fallback?: { type: ColumnType; decode: Decode }): MysqlMappedColumn => ({
    ...base, type, decode, param, cursorKind, orderable: param !== undefined, fallback: fallback ?? { type: 'STRING', decode: orText(decode) },
  })
  const signed = unsigned ? 'CAST(? AS UNSIGNED)' : 'CAST(? AS SIGNED)'
  if (c.json || c.dataType === 'json') return { ...make('JSON', json, undefined), select: c.dataType === 'json' ? `CAST(${q} AS CHAR)` : q }
  switch (c.dataType) {
    case 'tinyint':
      if (c.columnType.startsWith('tinyint(1)')) return make('BOOLEAN', bool, signed, 'numeric', { type: 'SHORT', decode: asIs })
      return make('SHORT', asIs, signed, 'numeric')
    case 'smallint':
      return make(unsigned ? 'INT' : 'SHORT', asIs, signed, 'numeric')
    case 'mediumint':
    case 'int':
    case 'integer':
      return make(unsigned && c.dataType !== 'mediumint' ? 'LONG' : 'INT', unsigned && c.dataType !== 'mediumint' ? toBig : asIs, signed, 'numeric')
    case 'bigint':
      return unsigned ? make('DECIMAL(20,0)', text, signed, 'numeric') : make('LONG', toBig, signed, 'numeric')
    case 'year':
      return make('SHORT', asIs, 'CAST(? AS SIGNED)', 'numeric')
    case 'decimal':
    case 'numeric': {
      const p = c.precision ?? 10
      const s = c.scale ?? 0
      const cast = `CAST(? AS DECIMAL(${p},${s}))`
      // Selected as text so a pool configured with decimalNumbers still yields exact digits.
      const column = p <= 38 ? make(`DECIMAL(${p},${s})`, text, cast, 'numeric') : make('STRING', text, cast, 'numeric')
      return { ...column, select: `CAST(${q} AS CHAR)` }
    }
    case 'float':
      // A FLOAT read as a double doesn't compare equal to itself in SQL: never a cursor or key.
      return make('FLOAT', asIs, undefined, 'numeric')
    case 'double':
    case 'real':
      return make('DOUBLE', asIs, 'CAST(? AS DOUBLE)', 'numeric')
    case 'date':
      return make('NAIVE_DATE', date, 'CAST(? AS DATE)', 'temporal')
    case 'datetime':
      return make('NAIVE_DATETIME', datetime(''), 'CAST(? AS DATETIME(6))', 'temporal')
    case 'timestamp':
      // Read with the session time zone at +00:00 (set for the read): the text is UTC.
      return make('UTC_DATETIME', datetime('Z'), 'CAST(? AS DATETIME(6))', 'temporal')
    case 'time':
      return make('STRING', text, 'CAST(? AS TIME(6))')
    case 'bit':
      if (c.columnType === 'bit(1)') return make('BOOLEAN', bit1, undefined)
      return { ...make('LONG', toBig, 'CAST(? AS UNSIGNED)', 'numeric'), select: `CAST(${q} AS UNSIGNED)` }
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return make('BINARY', bytes, 'UNHEX(?)')
    case 'enum':
    case 'set':
      // Sorted by their index but compared as text: can't order a keyset.
      return make('STRING', text, undefined)
    case 'geometry':
    case 'point':
    case 'linestring':
    case 'polygon':
    case 'multipoint':
    case 'multilinestring':
    case 'multipolygon':
    case 'geometrycollection':
      return { ...make('STRING', text, undefined), select: `ST_AsText(${q})` }
    default:
      return make('STRING', text, '?')
  }
}
