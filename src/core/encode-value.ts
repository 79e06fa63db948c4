import { baseType, decimalParams, type ColumnType } from './column-type.js'
import { ExactDecimal, integerOfText } from './exact-decimal.js'
import { jsonText } from './json-text.js'
import { naiveText, normalizeUtc, parseNaiveDays, parseNaiveMicros, parseUtcMicros } from './temporal.js'

/** Returned by an encoder when a value does not fit the target type. */
export const NO_FIT: unique symbol = Symbol('sluice.noFit')

type Encoded = number | bigint | string | Uint8Array | typeof NO_FIT

const NUMERIC_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/
const DECIMAL_TEXT = /^[-+]?(\d+)(?:\.(\d+))?$/

function toNumber(v: unknown): number | typeof NO_FIT {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'bigint') return Number(v) === Number(v) && BigInt(Number(v)) === v ? Number(v) : NO_FIT
  if (typeof v === 'string' && NUMERIC_TEXT.test(v)) return Number(v)
  return NO_FIT
}

function intIn(v: unknown, min: number, max: number): number | typeof NO_FIT {
  const n = toNumber(v)
  return n !== NO_FIT && Number.isInteger(n) && n >= min && n <= max ? n : NO_FIT
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function int64(big: bigint | undefined): bigint | typeof NO_FIT {
  return big !== undefined && big >= INT64_MIN && big <= INT64_MAX ? big : NO_FIT
}

/**
 * A LONG: bigints, integer text and exact decimals by their digits; a number that is an integer
 * beyond 2^53 (`1e18`, which a 15-digit JSON token can spell) by the digits it prints as, which are
 * the token's: `BigInt(n)` would give the double's binary value (`123456789012345e4` is
 * …450112 as a double).
 */
function longOf(v: unknown): bigint | typeof NO_FIT {
  if (typeof v === 'bigint') return int64(v)
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v.trim())) return int64(BigInt(v.trim()))
  if (v instanceof ExactDecimal) return int64(integerOfText(v.text))
  const n = toNumber(v)
  if (n === NO_FIT || !Number.isInteger(n)) return NO_FIT
  return Number.isSafeInteger(n) ? BigInt(n) : Math.abs(n) < 2 ** 63 ? BigInt(String(n)) : NO_FIT
}

/**
 * ISO text of a valid `Date` whose year is 0000–9999, else `undefined`: `toISOString` writes
 * other years in the expanded form (`+010000-01-01T…`), which no temporal type stores.
 */
function isoOf(d: Date): string | undefined {
  const iso = d.toISOString() // throws for an invalid Date: checked first
  return iso.length === 24 ? iso : undefined
}

const EXPONENT_TEXT = /^([-+]?)(\d*)(?:\.(\d*))?[eE]([-+]?\d{1,4})$/

/**
 * Plain digits of decimal text in exponent form (`'1.5e3'` → `'1500'`), by moving the point in
 * the text: going through a double (`Number(text).toFixed(scale)`) rounded both long mantissas and
 * digits past the scale (`1e-7` in DECIMAL(10,2) became `0.00`). `undefined` if not such text.
 */
function expandExponent(text: string): string | undefined {
  const m = EXPONENT_TEXT.exec(text)
  if (!m || (m[2] === '' && !m[3])) return undefined
  const digits = m[2]! + (m[3] ?? '')
  const point = m[2]!.length + Number(m[4])
  const int = point <= 0 ? '0' : point >= digits.length ? digits + '0'.repeat(point - digits.length) : digits.slice(0, point)
  const frac = point <= 0 ? '0'.repeat(-point) + digits : point >= digits.length ? '' : digits.slice(point)
  return `${m[1]}${int.replace(/^0+(?=\d)/, '')}${frac ? `.${frac}` : ''}`
}

function decimalText(v: unknown, type: ColumnType): string | typeof NO_FIT {
  let text: string
  if (typeof v === 'string') text = v.trim()
  else if (typeof v === 'bigint') text = v.toString()
  else if (v instanceof ExactDecimal) text = v.text
  else if (typeof v === 'number' && Number.isFinite(v)) text = String(v)
  else return NO_FIT
  if (/e/i.test(text)) {
    const plain = expandExponent(text)
    if (plain === undefined) return NO_FIT
    text = plain
  }
  const m = DECIMAL_TEXT.exec(text)
  if (!m) return NO_FIT
  const { precision, scale } = decimalParams(type)
  const intDigits = m[1]!.replace(/^0+(?=\d)/, '')
  const frac = (m[2] ?? '').replace(/0+$/, '')
  if (frac.length > scale || (intDigits === '0' ? 0 : intDigits.length) > precision - scale) return NO_FIT
  return text.startsWith('+') ? text.slice(1) : text
}

/**
 * Encodes one non-null JS value into the storage form of `type` (see `ColumnValues`), or
 * returns `NO_FIT` when it can't be stored without loss: then the caller widens the column.
 */
export function encodeValue(v: unknown, type: ColumnType): Encoded {
  switch (baseType(type)) {
    case 'BOOLEAN':
      if (typeof v === 'boolean') return v ? 1 : 0
      if (v === 0 || v === 1) return v
      if (v === 'true' || v === 'false') return v === 'true' ? 1 : 0
      return NO_FIT
    case 'SHORT':
      return intIn(v, -32768, 32767)
    case 'INT':
      return intIn(v, -2147483648, 2147483647)
    case 'LONG':
      return longOf(v)
    case 'FLOAT':
    case 'DOUBLE':
      // A declared DOUBLE takes the nearest double of an exact decimal, as it does of decimal text.
      return typeof v === 'bigint' ? NO_FIT : v instanceof ExactDecimal ? v.valueOf() : toNumber(v)
    case 'DECIMAL':
      return decimalText(v, type)
    case 'UTC_DATETIME':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? NO_FIT : (isoOf(v) ?? NO_FIT)
      if (typeof v === 'string') {
        const utc = normalizeUtc(v)
        if (utc !== undefined) return utc
        return naiveText(v, 'Z') ?? NO_FIT // a zone-less value in a UTC column is read as UTC
      }
      return NO_FIT
    case 'NAIVE_DATETIME':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? NO_FIT : (isoOf(v)?.slice(0, -1) ?? NO_FIT)
      if (typeof v === 'string') return naiveText(v, '') ?? NO_FIT
      return NO_FIT
    case 'NAIVE_DATE':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? NO_FIT : (isoOf(v)?.slice(0, 10) ?? NO_FIT)
      if (typeof v === 'string' && parseNaiveDays(v) !== undefined) return v
      return NO_FIT
    case 'BINARY':
      if (v instanceof Uint8Array) return v
      if (v instanceof ArrayBuffer) return new Uint8Array(v)
      return NO_FIT
    case 'JSON':
      return typeof v === 'function' || typeof v === 'symbol' ? NO_FIT : (jsonText(v) ?? NO_FIT)
    case 'STRING':
      return stringOf(v)
  }
}

/** Text form of any storable value for a STRING column (objects as JSON, dates as ISO, bytes as base64). */
export function stringOf(v: unknown): string | typeof NO_FIT {
  switch (typeof v) {
    case 'string':
      return v
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v)
    case 'object':
      if (v instanceof ExactDecimal) return v.text
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? NO_FIT : v.toISOString()
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
      return jsonText(v) ?? NO_FIT
    default:
      return NO_FIT
  }
}

/** True when `text` is valid storage for a temporal type (used when checking declared columns). */
export function isTemporalText(text: string, type: ColumnType): boolean {
  switch (baseType(type)) {
    case 'UTC_DATETIME':
      return parseUtcMicros(text) !== undefined
    case 'NAIVE_DATETIME':
      return parseNaiveMicros(text) !== undefined
    case 'NAIVE_DATE':
      return parseNaiveDays(text) !== undefined
    default:
      return false
  }
}
