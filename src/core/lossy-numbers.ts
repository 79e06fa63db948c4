import { ExactDecimal, JSON_NUMBER } from './exact-decimal.js'

/*
 * Finding the numbers `JSON.parse` would change. A double holds every decimal of up to 15
 * significant digits (DBL_DIG), and every integer below 2^53: only a token with 16 or more digits
 * in its mantissa can be rounded. So the scan looks for runs of 16 digits (a '.' may sit among
 * them), which it can do by sampling: 16 consecutive characters always include one at an index
 * ≡ 15 (mod 16), so one character in 16 is read, plus probes where a sample is a digit. On the
 * LIMITS.md pages of 1000 orders (~160 KB) it took 36–59 µs against 440–490 µs for `JSON.parse` of
 * the page (7–13 %, CPU time on a shared 2-core VM; `/\d{16}/.test`, used before, took 240 µs).
 * Only a page that has such a run pays for more.
 */

/** Digit or '.': a character of a number's mantissa. */
function isRunChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/**
 * The number tokens of JSON text that `JSON.parse` would not keep exactly, as a flat list of
 * `[start, end)` offsets, or `undefined` when there are none (the common case). A digit run inside a
 * string is skipped when its surroundings show it is no number; one that looks like a number there
 * (`"a,12345678901234567890,b"`) is listed, and a caller that rewrites it sees the JSON break.
 */
export function lossyNumbers(text: string): number[] | undefined {
  let spans: number[] | undefined
  const n = text.length
  let done = 0 // end of the last run looked at: a run longer than 16 holds several samples
  for (let i = 15; i < n; i += 16) {
    if (!isRunChar(text.charCodeAt(i)) || i < done) continue
    // A run of 16 that holds i holds all of i-8…i or all of i…i+8: timestamps, short ids and
    // amounts fail both probes.
    const left = isRunChar(text.charCodeAt(i - 4)) && isRunChar(text.charCodeAt(i - 8))
    if (!left && !(i + 8 < n && isRunChar(text.charCodeAt(i + 4)) && isRunChar(text.charCodeAt(i + 8)))) continue
    let a = i
    while (a > 0 && isRunChar(text.charCodeAt(a - 1))) a--
    let b = i + 1
    while (b < n && isRunChar(text.charCodeAt(b))) b++
    done = b
    if (b - a < 16) continue
    const end = tokenEnd(text, a, b)
    if (end === undefined) continue
    const start = text.charCodeAt(a - 1) === 45 ? a - 1 : a // '-'
    const token = text.slice(start, end)
    if (JSON_NUMBER.test(token) && !keptByDouble(token)) (spans ??= []).push(start, end)
  }
  return spans
}

/**
 * Where the number token whose mantissa is `text[a, b)` ends, or `undefined` when the run is not
 * a number token by its surroundings: a token follows `:`, `,`, `[` or the start (whitespace
 * and a '-' between), and ends at `,`, `}`, `]`, whitespace or the end, after an optional exponent.
 */
function tokenEnd(text: string, a: number, b: number): number | undefined {
  let p = text.charCodeAt(a - 1) === 45 ? a - 2 : a - 1
  while (p >= 0 && isSpace(text.charCodeAt(p))) p--
  if (p >= 0) {
    const c = text.charCodeAt(p)
    if (c !== 58 && c !== 44 && c !== 91) return undefined // : , [
  }
  let end = b
  const e = text.charCodeAt(end)
  if (e === 101 || e === 69) {
    end++
    const sign = text.charCodeAt(end)
    if (sign === 43 || sign === 45) end++
    while (isDigit(text.charCodeAt(end))) end++
  }
  if (end === text.length) return end
  const c = text.charCodeAt(end)
  return isSpace(c) || c === 44 || c === 125 || c === 93 ? end : undefined // , } ]
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9
}

/**
 * True when `JSON.parse` keeps the JSON number `token` exactly: a safe integer, or a decimal whose
 * double prints back as the same decimal value.
 */
export function keptByDouble(token: string): boolean {
  const n = Number(token)
  if (!/[.eE]/.test(token)) return Number.isSafeInteger(n)
  return Number.isFinite(n) && normalDecimal(String(n)) === normalDecimal(token)
}

/**
 * The exact value of the JSON number `token`: a number where a double holds it, else a bigint
 * (an integer) or an {@link ExactDecimal}.
 */
export function exactNumber(token: string): number | bigint | ExactDecimal {
  // Fewer than 16 characters hold at most 15 digits: what JSON.parse gives is exact (or ±Infinity, as there).
  if (token.length < 16 || keptByDouble(token)) return Number(token)
  return /[.eE]/.test(token) ? new ExactDecimal(token) : BigInt(token)
}

/** A decimal's value as `[-]digits e point` (digits without leading or trailing zeros): equal values, equal text. */
export function normalDecimal(text: string): string {
  const negative = text.charCodeAt(0) === 45
  let s = negative ? text.slice(1) : text
  let point = 0
  const e = s.search(/[eE]/)
  if (e !== -1) {
    point = Number(s.slice(e + 1))
    s = s.slice(0, e)
  }
  const dot = s.indexOf('.')
  const digits = dot === -1 ? s : s.slice(0, dot) + s.slice(dot + 1)
  point += dot === -1 ? s.length : dot
  let first = 0
  while (first < digits.length && digits.charCodeAt(first) === 48) first++
  let last = digits.length
  while (last > first && digits.charCodeAt(last - 1) === 48) last--
  if (first === last) return '0'
  return `${negative ? '-' : ''}${digits.slice(first, last)}e${point - first}`
}
