import { widenType, type ColumnType } from './column-type.js'
import { ExactDecimal, integerOfText } from './exact-decimal.js'
import { parseUtcMicros } from './temporal.js'

/** Bits describing which kinds of JS value a column holds; computed in one pass over the rows. */
export const KIND = {
  BOOLEAN: 1,
  INT: 2, // integer within int32
  LONG: 4, // safe integer beyond int32, or bigint within int64
  DOUBLE: 8,
  UTC: 16, // zoned ISO-8601 text, or Date
  STRING: 32,
  JSON: 64, // plain object or array
  BINARY: 128,
  BAD: 256, // function, symbol, invalid Date, bigint beyond int64
  BIG: 512, // bigint beyond int64 (kept exact as text)
  WIDE: 1024, // with LONG: an integer beyond 2^53, which a DOUBLE column would round
} as const

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** Cheap shape test before the ISO regex: `dddd-dd-ddT…` with a zone. */
export function looksZonedIso(s: string): boolean {
  if (s.length < 17 || s.length > 40 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false
  const t = s.charCodeAt(10)
  if (t !== 84 && t !== 32 && t !== 116) return false
  return parseUtcMicros(s) !== undefined
}

/** The kind bit of one non-null value. */
export function kindOf(v: unknown, isoChecks: boolean): number {
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v)) return v >= -2147483648 && v <= 2147483647 ? KIND.INT : Number.isSafeInteger(v) ? KIND.LONG : KIND.DOUBLE
      return KIND.DOUBLE
    case 'string':
      return isoChecks && looksZonedIso(v) ? KIND.UTC : KIND.STRING
    case 'boolean':
      return KIND.BOOLEAN
    case 'bigint':
      if (v < INT64_MIN || v > INT64_MAX) return KIND.BIG
      return v >= -9007199254740991n && v <= 9007199254740991n ? KIND.LONG : KIND.LONG | KIND.WIDE
    case 'object':
      if (v instanceof ExactDecimal) {
        // An integer written with a fraction or exponent is LONG; any other is a JSON number like the rest (DOUBLE).
        const int = integerOfText(v.text)
        return int !== undefined && int >= INT64_MIN && int <= INT64_MAX ? KIND.LONG | KIND.WIDE : KIND.DOUBLE
      }
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime())) return KIND.BAD
        const year = v.getUTCFullYear() // beyond 0000–9999 ISO text has an expanded year no temporal type stores
        return year >= 0 && year <= 9999 ? KIND.UTC : KIND.STRING
      }
      if (v instanceof Uint8Array || v instanceof ArrayBuffer) return KIND.BINARY
      return KIND.JSON
    default:
      return KIND.BAD
  }
}

/** The narrowest column type holding every kind in `mask` without loss; `undefined` when only nulls were seen. */
export function typeOfKinds(mask: number): ColumnType | undefined {
  let type: ColumnType | undefined
  const add = (t: ColumnType) => {
    type = type === undefined ? t : widenType(type, t)
  }
  if (mask & KIND.BOOLEAN) add('BOOLEAN')
  if (mask & KIND.INT) add('INT')
  if (mask & KIND.LONG) add('LONG')
  // A DOUBLE would round an integer beyond 2^53: together they take text, which keeps both exactly.
  if (mask & KIND.DOUBLE) add(mask & KIND.WIDE ? 'STRING' : 'DOUBLE')
  if (mask & KIND.UTC) add('UTC_DATETIME')
  if (mask & KIND.JSON) add('JSON')
  if (mask & (KIND.STRING | KIND.BIG)) add('STRING')
  if (mask & KIND.BINARY) type = type === undefined ? 'BINARY' : 'STRING'
  // A JSON column that also holds scalars stays JSON (each value is JSON-encoded), except
  // alongside text, where STRING keeps the text readable and objects as JSON text.
  return type
}

/**
 * Infers the Fivetran-named column type of JS values: integers → INT or LONG, other numbers →
 * DOUBLE, booleans → BOOLEAN, zoned ISO-8601 strings and Dates → UTC_DATETIME, other strings →
 * STRING, objects and arrays → JSON, bytes → BINARY; mixed values widen losslessly.
 *
 * @example
 * ```ts
 * import { inferType } from './infer-type.js'
 * inferType([1, 2.5]) // 'DOUBLE'
 * inferType(['2026-11-22T10:00:00Z']) // 'UTC_DATETIME'
 * ```
 */
export function inferType(values: Iterable<unknown>): ColumnType | undefined {
  let mask = 0
  for (const v of values) if (v !== null && v !== undefined) mask |= kindOf(v, (mask & KIND.STRING) === 0)
  return typeOfKinds(mask & ~KIND.BAD)
}
