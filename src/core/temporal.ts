/**
 * Fast, exact handling of ISO-8601 text for the three temporal types. Values stay text in a
 * batch (microseconds survive, which `Date` would drop); this module validates, normalises and
 * converts them to epoch numbers for Arrow without going through `Date.parse` on the hot path.
 */

const UTC_Z = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i
const NAIVE_DT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

// Hoisted: an array literal inside validDate was allocated on every call of the hot path.
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false
  const dim = m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : DAYS_IN_MONTH[m - 1]!
  return d <= dim
}

function fractionMicros(frac: string | undefined): number {
  if (!frac) return 0
  return Number((frac + '000000').slice(0, 6))
}

function digits(s: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/** Two ASCII digits at `i` as a number, or -1 (callers check `i + 1` is within the string). */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9] // exact, and cheaper than `10 ** k` per value

// One-entry memo of the last valid calendar date (YYYYMMDD → days since epoch): timestamps of a
// batch mostly share their day with the previous one, so validating the date and converting it
// (validDate + daysFromCivil) is skipped for most values. Only valid dates are remembered.
let memoDate = -1
let memoDays = 0

// Result of the last successful `*Parts` call below: whole seconds since the epoch and the
// microseconds past them (0 ≤ partMicros < 10^6). Module state rather than a returned object so
// the hot path allocates nothing. Kept apart because seconds × 10^6 + micros is exact in a double
// only within 2^53 µs (about 1685–2255); the seconds alone, and seconds × 10^6, are exact for
// every year 0001–9999 (seconds × 15625 < 2^53, and × 2^6 only moves the exponent).
let partSeconds = 0
let partMicros = 0

/** Parses the canonical form `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` into `partSeconds`/`partMicros` without a regex; false for any other text. */
function canonicalUtcParts(s: string): boolean {
  const len = s.length
  if (len < 20 || len > 30 || s.charCodeAt(len - 1) !== 90 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false
  if (s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false
  const y100 = twoDigits(s, 0), y1 = twoDigits(s, 2), mo = twoDigits(s, 5), d = twoDigits(s, 8)
  const h = twoDigits(s, 11), mi = twoDigits(s, 14), sec = twoDigits(s, 17)
  if ((y100 | y1 | mo | d | h | mi | sec) < 0 || h > 23 || mi > 59 || sec > 60) return false
  const y = y100 * 100 + y1
  const ymd = y * 10000 + mo * 100 + d
  let days: number
  if (ymd === memoDate) days = memoDays
  else {
    if (!validDate(y, mo, d)) return false
    days = daysFromCivil(y, mo, d)
    memoDate = ymd
    memoDays = days
  }
  let micros = 0
  if (len > 20) {
    if (s.charCodeAt(19) !== 46 || len === 21) return false
    const frac = digits(s, 20, len - 1)
    if (frac < 0) return false
    const width = len - 21
    micros = width <= 6 ? frac * POW10[6 - width]! : Math.floor(frac / POW10[width - 6]!)
  }
  partSeconds = days * 86400 + h * 3600 + mi * 60 + sec
  partMicros = micros
  return true
}

/** Parses any ISO date-time with a zone (`Z` or `±hh[:mm]`) into `partSeconds`/`partMicros`, in UTC. */
function utcParts(text: string): boolean {
  if (canonicalUtcParts(text)) return true
  const m = UTC_Z.exec(text)
  if (!m) return false
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!, h = +m[4]!, mi = +m[5]!, s = m[6] ? +m[6] : 0
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 60) return false
  let offsetMin = 0
  const zone = m[8]!
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'))
  }
  partSeconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offsetMin * 60
  partMicros = fractionMicros(m[7])
  return true
}

/** Parses an ISO date-time without a zone into `partSeconds`/`partMicros`. */
function naiveParts(text: string): boolean {
  const m = NAIVE_DT.exec(text)
  if (!m) return false
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!, h = +m[4]!, mi = +m[5]!, s = m[6] ? +m[6] : 0
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 60) return false
  partSeconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
  partMicros = fractionMicros(m[7])
  return true
}

/** The parts as one number: exact within 2^53 µs, rounded beyond (see {@link exactParts}). */
const numberParts = (): number => partSeconds * 1_000_000 + partMicros

/** The parts as an exact bigint; no BigInt arithmetic where the number is already exact. */
function exactParts(): bigint {
  const us = partSeconds * 1_000_000 + partMicros
  return Number.isSafeInteger(us) ? BigInt(us) : BigInt(partSeconds) * 1_000_000n + BigInt(partMicros)
}

/**
 * Epoch microseconds of the canonical form `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` without a regex
 * (the hot path: what `toISOString` and most APIs emit), or `undefined` for any other text.
 * It runs up to three times per value on the way rows → Batch → Arrow, hence the care.
 * As a number it is exact only within 2^53 µs (1685–2255): see {@link parseUtcMicrosExact}.
 */
export function parseCanonicalUtcMicros(s: string): number | undefined {
  return canonicalUtcParts(s) ? numberParts() : undefined
}

/**
 * Epoch microseconds of an ISO date-time with a zone (`Z` or `±hh:mm`), or `undefined` if it is
 * not one. Exact within 2^53 µs (1685–2255); use {@link parseUtcMicrosExact} beyond.
 */
export function parseUtcMicros(text: string): number | undefined {
  return utcParts(text) ? numberParts() : undefined
}

/** Epoch microseconds of an ISO date-time without a zone, or `undefined`. Exact within 2^53 µs; see {@link parseNaiveMicrosExact}. */
export function parseNaiveMicros(text: string): number | undefined {
  return naiveParts(text) ? numberParts() : undefined
}

/**
 * Exact epoch microseconds (a bigint) of an ISO date-time with a zone, for every year 0001–9999,
 * or `undefined`: the slow path for values a number can't hold (Arrow's int64 timestamps).
 *
 * @example
 * ```ts
 * import { parseUtcMicrosExact } from './temporal.js'
 * parseUtcMicrosExact('9999-12-31T23:59:59.999999Z') // 253402300799999999n
 * ```
 */
export function parseUtcMicrosExact(text: string): bigint | undefined {
  return utcParts(text) ? exactParts() : undefined
}

/** Exact epoch microseconds (a bigint) of an ISO date-time without a zone, or `undefined`; see {@link parseUtcMicrosExact}. */
export function parseNaiveMicrosExact(text: string): bigint | undefined {
  return naiveParts(text) ? exactParts() : undefined
}

/** Days since epoch of `YYYY-MM-DD`, or `undefined`. */
export function parseNaiveDays(text: string): number | undefined {
  const m = DATE_ONLY.exec(text)
  if (!m) return undefined
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!
  return validDate(y, mo, d) ? daysFromCivil(y, mo, d) : undefined
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]` + `suffix` of whole epoch seconds and the microseconds past them (trailing zeros trimmed). */
function formatParts(seconds: number, fraction: number, suffix: string): string {
  const date = new Date(seconds * 1000)
  const base =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`
  if (fraction === 0) return base + suffix
  return `${base}.${pad(fraction, 6).replace(/0+$/, '')}${suffix}`
}

/**
 * Formats epoch microseconds as `YYYY-MM-DDTHH:MM:SS[.ffffff]` plus `suffix`. A number is exact
 * only within 2^53 µs (1685–2255); pass a bigint (exact for every year) beyond that.
 */
export function formatMicros(micros: number | bigint, suffix: string): string {
  if (typeof micros === 'bigint') {
    let seconds = micros / 1_000_000n
    let fraction = micros % 1_000_000n
    if (fraction < 0n) {
      fraction += 1_000_000n
      seconds -= 1n
    }
    return formatParts(Number(seconds), Number(fraction), suffix)
  }
  const seconds = Math.floor(micros / 1_000_000)
  return formatParts(seconds, micros - seconds * 1_000_000, suffix)
}

/**
 * Canonical text (`YYYY-MM-DDTHH:MM:SS[.ffffff]` + `suffix`) of a zone-less ISO date-time, exact
 * for every year 0001–9999 (never through one number of microseconds), or `undefined`.
 *
 * @example
 * ```ts
 * import { naiveText } from './temporal.js'
 * naiveText('9999-12-31 23:59:59.9999999', '') // '9999-12-31T23:59:59.999999'
 * ```
 */
export function naiveText(text: string, suffix: string): string | undefined {
  return naiveParts(text) ? formatParts(partSeconds, partMicros, suffix) : undefined
}

/** Canonical UTC text (`…[.ffffff]Z`, fraction trimmed) of a zoned ISO date-time, exact for every year, or `undefined`. */
export function utcText(text: string): string | undefined {
  return utcParts(text) ? formatParts(partSeconds, partMicros, 'Z') : undefined
}

/**
 * Canonical UTC text for a zoned ISO value: kept as it is when already `…Z` (the common case,
 * no allocation), else converted to UTC with its fractional digits kept. `undefined` if not ISO.
 */
export function normalizeUtc(text: string): string | undefined {
  if (canonicalUtcParts(text)) return text
  if (!utcParts(text)) return undefined
  const last = text.charCodeAt(text.length - 1)
  if ((last === 90 || last === 122) && text.charCodeAt(10) === 84) return last === 90 ? text : text.slice(0, -1) + 'Z'
  return formatParts(partSeconds, partMicros, 'Z')
}
