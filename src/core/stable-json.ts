/**
 * Whether `text` is valid JSON already written as `fast-json-stable-stringify` would write
 * `JSON.parse(text)`: no whitespace, object keys unique and in sort order, strings escaped as
 * `JSON.stringify` escapes them, numbers as JavaScript prints them. Then the text is its own
 * stable form and a row hash can use it as it is (`row-hash.ts`), instead of parsing and
 * re-stringifying it: measured at ~10 % of a keyless sync of the bench's orders.
 *
 * It answers `false` whenever it is unsure (the caller then takes the slow, exact path): numbers
 * are accepted only without an exponent, with at most 15 digits (a decimal of 15 significant
 * digits is the one JavaScript prints back for its double) and not below 1e-6 (printed with an
 * exponent); strings only with the escapes `JSON.stringify` writes for quotes, backslashes and
 * `\b \f \n \r \t`, and without surrogate code units (a lone one would be escaped).
 */
export function isStableJson(text: string): boolean {
  const end = scanValue(text, 0)
  return end === text.length
}

/** The index after the value that starts at `at`, or -1 when it is not a stable JSON value. */
function scanValue(s: string, at: number): number {
  const c = s.charCodeAt(at)
  if (c === 0x22) return scanString(s, at)
  if (c === 0x7b) return scanObject(s, at)
  if (c === 0x5b) return scanArray(s, at)
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber(s, at)
  if (s.startsWith('true', at)) return at + 4
  if (s.startsWith('false', at)) return at + 5
  if (s.startsWith('null', at)) return at + 4
  return -1
}

function scanObject(s: string, at: number): number {
  let i = at + 1
  if (s.charCodeAt(i) === 0x7d) return i + 1
  let previous: string | undefined
  for (;;) {
    if (s.charCodeAt(i) !== 0x22) return -1
    const keyEnd = scanString(s, i)
    if (keyEnd < 0) return -1
    // Keys as JSON text compare like their values only without escapes: with one, take the slow path.
    const key = s.slice(i + 1, keyEnd - 1)
    if (key.includes('\\') || key === '__proto__') return -1
    if (previous !== undefined && !(previous < key)) return -1
    previous = key
    if (s.charCodeAt(keyEnd) !== 0x3a) return -1
    i = scanValue(s, keyEnd + 1)
    if (i < 0) return -1
    const next = s.charCodeAt(i)
    if (next === 0x7d) return i + 1
    if (next !== 0x2c) return -1
    i++
  }
}

function scanArray(s: string, at: number): number {
  let i = at + 1
  if (s.charCodeAt(i) === 0x5d) return i + 1
  for (;;) {
    i = scanValue(s, i)
    if (i < 0) return -1
    const next = s.charCodeAt(i)
    if (next === 0x5d) return i + 1
    if (next !== 0x2c) return -1
    i++
  }
}

function scanString(s: string, at: number): number {
  for (let i = at + 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x22) return i + 1
    if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) return -1
    if (c === 0x5c) {
      const e = s.charCodeAt(++i)
      // What JSON.stringify writes; `\/` and `\u…` are written otherwise (or not at all).
      if (e !== 0x22 && e !== 0x5c && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1
    }
  }
  return -1
}

function scanNumber(s: string, at: number): number {
  let i = at
  const negative = s.charCodeAt(i) === 0x2d
  if (negative) i++
  const intStart = i
  while (isDigit(s.charCodeAt(i))) i++
  const intDigits = i - intStart
  if (intDigits === 0) return -1
  const zeroInt = s.charCodeAt(intStart) === 0x30
  if (zeroInt && intDigits > 1) return -1 // leading zero: not JSON
  let fractionDigits = 0
  if (s.charCodeAt(i) === 0x2e) {
    const start = ++i
    while (isDigit(s.charCodeAt(i))) i++
    fractionDigits = i - start
    if (fractionDigits === 0 || s.charCodeAt(i - 1) === 0x30) return -1 // `1.` is not JSON; `1.50` prints as 1.5
    if (zeroInt) {
      let zeros = 0
      while (s.charCodeAt(start + zeros) === 0x30) zeros++
      if (zeros > 5) return -1 // below 1e-6: printed with an exponent
    }
  } else if (zeroInt && negative) {
    return -1 // -0 prints as 0
  }
  const c = s.charCodeAt(i)
  if (c === 0x65 || c === 0x45) return -1 // an exponent: printed otherwise
  if ((zeroInt ? 0 : intDigits) + fractionDigits > 15) return -1
  return i
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}
