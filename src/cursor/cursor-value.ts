import { SluiceError } from '../core/sluice-error.js'

/**
 * How cursor values compare: `'timestamp'` (ISO 8601 text, offsets and up to nanosecond fractions honoured),
 * `'number'` (numbers or numeric text), `'string'` (code-unit order).
 * Set it on `incremental.type` when the first value would be ambiguous (e.g. numeric text).
 *
 * @example
 * ```ts
 * import type { CursorType } from './cursor-value.js'
 * const type: CursorType = 'timestamp'
 * ```
 */
export type CursorType = 'timestamp' | 'number' | 'string'

/**
 * A cursor value reduced to something `<` orders correctly: a number, or normalised UTC text.
 *
 * @example
 * ```ts
 * import { cursorKey, type CursorKey } from './cursor-value.js'
 * const key: CursorKey = cursorKey('2026-01-01T00:00:00Z', 'timestamp', 'orders.updated_at')
 * ```
 */
export type CursorKey = number | bigint | string

// YYYY-MM-DD, optional time (T or space) with optional seconds and fraction (up to 9 digits), optional zone.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

// Canonical UTC text (what most APIs send): its comparable key is a slice, no Date arithmetic needed.
const UTC = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z$/
const ZEROS = '000000000'

/**
 * The comparable key of ISO 8601 text (see `ParsedTimestamp.key`), or undefined when it is not a timestamp.
 * The per-row form of `parseTimestamp`: canonical UTC text takes a fast path.
 *
 * @example
 * ```ts
 * import { timestampKey } from './cursor-value.js'
 * timestampKey('2026-01-01T00:00:00.5Z') // '2026-01-01T00:00:00.500000000'
 * ```
 */
export function timestampKey(text: string): string | undefined {
  if (UTC.test(text)) {
    if (text.length === 20) return `${text.slice(0, 19)}.${ZEROS}`
    const fraction = text.slice(20, -1)
    return `${text.slice(0, 19)}.${fraction}${ZEROS.slice(fraction.length)}`
  }
  return parseTimestamp(text)?.key
}

/**
 * A parsed ISO timestamp: its UTC instant as normalised text, and how it was written (to write a shifted value back alike).
 *
 * @example
 * ```ts
 * import { parseTimestamp, type ParsedTimestamp } from './cursor-value.js'
 * const parsed: ParsedTimestamp | undefined = parseTimestamp('2026-01-01 00:00:00.123456')
 * ```
 */
export interface ParsedTimestamp {
  /** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` in UTC: lexical order is time order. */
  readonly key: string
  /** Milliseconds since the epoch (sub-millisecond digits are in `key`). */
  readonly ms: number
  readonly fractionDigits: number
  readonly separator: 'T' | ' '
  /** True when the text had `Z` or an offset; false for a naive (zone-less) value, read as UTC. */
  readonly zoned: boolean
  readonly dateOnly: boolean
}

/**
 * Parses ISO 8601 text (`2026-01-02T03:04:05.123456+02:00`, `2026-01-02 03:04:05Z`, `2026-01-02`) to its UTC instant,
 * keeping microseconds and nanoseconds; undefined when the text is not such a timestamp.
 * Used to compare incremental cursor values; a zone-less value is read as UTC.
 *
 * @example
 * ```ts
 * import { parseTimestamp } from './cursor-value.js'
 * parseTimestamp('2026-01-01T02:00:00.5+02:00')?.key // '2026-01-01T00:00:00.500000000'
 * ```
 */
export function parseTimestamp(text: string): ParsedTimestamp | undefined {
  const m = ISO.exec(text)
  if (!m) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = m[5] === undefined ? 0 : Number(m[5])
  const minute = m[6] === undefined ? 0 : Number(m[6])
  const second = m[7] === undefined ? 0 : Number(m[7])
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined
  const fraction = m[8] ?? ''
  const zone = m[9]
  let offsetMin = 0
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '')
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || '0'))
  }
  const wholeMs = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMin * 60_000
  if (!Number.isFinite(wholeMs)) return undefined
  const iso = new Date(wholeMs).toISOString() // YYYY-MM-DDTHH:MM:SS.000Z (whole seconds)
  const nanos = fraction.padEnd(9, '0')
  return {
    key: `${iso.slice(0, 19)}.${nanos}`,
    ms: wholeMs + Number(nanos.slice(0, 3)),
    fractionDigits: fraction.length,
    separator: m[4] === ' ' ? ' ' : 'T',
    zoned: zone !== undefined,
    dateOnly: m[4] === undefined,
  }
}

/**
 * The kind a single value suggests: numbers are `'number'`, ISO text is `'timestamp'`, other text `'string'`.
 * Used when `incremental.type` is not set, on the first value seen; undefined for values that cannot be cursors.
 *
 * @example
 * ```ts
 * import { cursorTypeOf } from './cursor-value.js'
 * cursorTypeOf('2026-01-01T00:00:00Z') // 'timestamp'
 * ```
 */
export function cursorTypeOf(value: unknown): CursorType | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : undefined
  if (typeof value === 'bigint') return 'number'
  if (typeof value === 'string') return parseTimestamp(value) ? 'timestamp' : 'string'
  return undefined
}

/**
 * The comparable key of a cursor value of the given type; throws `CURSOR_INVALID` naming `where` when the value
 * does not fit the type (e.g. text that is not a timestamp in a timestamp cursor).
 * Used for every row of an incremental stream; compare keys with `compareKeys`.
 *
 * @example
 * ```ts
 * import { cursorKey } from './cursor-value.js'
 * cursorKey('2026-01-01T00:00:00.000001Z', 'timestamp', 'orders.updated_at') > cursorKey('2026-01-01T00:00:00Z', 'timestamp', 'x') // true
 * ```
 */
export function cursorKey(value: unknown, type: CursorType, where: string): CursorKey {
  switch (type) {
    case 'number': {
      const key = numberKey(value)
      if (key !== undefined) return key
      break
    }
    case 'timestamp': {
      const key = typeof value === 'string' ? timestampKey(value) : undefined
      if (key !== undefined) return key
      break
    }
    case 'string':
      if (typeof value === 'string') return value
      if (typeof value === 'number' && Number.isFinite(value)) return String(value)
      break
  }
  throw new SluiceError({
    code: 'CURSOR_INVALID',
    message: `${where} must be a ${type} cursor value, got ${describe(value)}; set incremental.type to the kind the API returns`,
    context: { where, type },
  })
}

/**
 * A number cursor's key: a double where that is exact, a bigint for integers beyond 2^53 (from a
 * bigint or from digits), so ids like 9007199254740993 and …992 stay apart. The same value always
 * gets the same kind of key, so keys compare with `===` as well as with `<` (which orders a
 * bigint and a double exactly).
 */
function numberKey(value: unknown): number | bigint | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  const n = text === '' ? Number.NaN : Number(text)
  if (!Number.isFinite(n)) return undefined
  // Per row: the digits test only runs for the rare values a double can't hold exactly.
  return Number.isSafeInteger(n) || !/^[-+]?\d+$/.test(text) ? n : BigInt(text)
}

/**
 * -1, 0 or 1: the order of two keys of the same cursor type.
 *
 * @example
 * ```ts
 * import { compareKeys } from './cursor-value.js'
 * compareKeys(1, 2) // -1
 * ```
 */
export function compareKeys(a: CursorKey, b: CursorKey): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The cursor value `amount` earlier: milliseconds for timestamps (written back in the value's own format, in UTC),
 * cursor units for numbers. Used to apply `incremental.lookback` to the saved cursor.
 *
 * @example
 * ```ts
 * import { shiftCursor } from './cursor-value.js'
 * shiftCursor('2026-01-01T00:05:00.123456Z', 'timestamp', 300_000) // '2026-01-01T00:00:00.123456Z'
 * ```
 */
export function shiftCursor(value: string | number, type: CursorType, amount: number): string | number {
  if (amount === 0) return value
  if (type === 'number') {
    // An integer beyond 2^53 shifts exactly, as digits (a double would round it).
    const key = numberKey(value)
    if (typeof key === 'bigint' && Number.isSafeInteger(amount)) return String(key - BigInt(amount))
    return Number(value) - amount
  }
  const parsed = typeof value === 'string' && type === 'timestamp' ? parseTimestamp(value) : undefined
  if (!parsed) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `\`incremental.lookback\` needs a timestamp or number cursor, got ${describe(value)}; remove lookback for string cursors`,
      context: { option: 'incremental.lookback' },
    })
  }
  // Shift whole milliseconds, keep the sub-millisecond digits as they were.
  const shifted = new Date(Math.floor(parsed.ms) - amount).toISOString()
  const fraction = `${shifted.slice(20, 23)}${parsed.key.slice(23)}`.slice(0, parsed.fractionDigits)
  const time = shifted.slice(11, 19)
  const date = shifted.slice(0, 10)
  if (parsed.dateOnly && time === '00:00:00' && fraction.replace(/0/g, '') === '') return date
  return `${date}${parsed.separator}${time}${parsed.fractionDigits > 0 ? `.${fraction}` : ''}${parsed.zoned || parsed.dateOnly ? 'Z' : ''}`
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'object') return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
  return `${typeof value} ${String(value)}`
}
