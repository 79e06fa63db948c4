/**
 * A JSON number with more significant digits than a double holds, kept as the exact text it was
 * written as (`12345678901234567890.123`, `0.10000000000000000001`): `JSON.parse` would round it.
 * sluice's JSON readers (HTTP `json()`, `rest`, `graphql`, `fileSource`) hand one over where such a
 * number has a fraction or an exponent; an integer beyond 2^53 becomes a `bigint` instead.
 *
 * A column declared `DECIMAL(p,s)` or `STRING` stores {@link ExactDecimal.text} digit for digit; `LONG`
 * stores an integral one exactly; an undeclared column infers `DOUBLE`, as for any other JSON number
 * (declare the column to keep the digits). Arithmetic and comparisons use the nearest double
 * (`valueOf`); `String(d)` is the text, and `JSON.stringify` writes the text as a JSON string.
 *
 * @example
 * ```ts
 * import { ExactDecimal } from 'sluice'
 * const amount = new ExactDecimal('12345678901234567890.123')
 * amount.text // '12345678901234567890.123'
 * amount instanceof ExactDecimal // true
 * ```
 */
export class ExactDecimal {
  /** The number as written in the JSON text. */
  readonly text: string

  /** `text` must be a JSON number (`-1.5`, `2e-30`); throws a `SyntaxError` otherwise. */
  constructor(text: string) {
    // a documented SyntaxError, as JSON.parse throws for the same text (test/core/lossy-numbers.test.ts)
    if (!JSON_NUMBER.test(text)) throw new SyntaxError(`not a JSON number: ${JSON.stringify(String(text).slice(0, 40))}`)
    this.text = text
  }

  /** The nearest double: what `JSON.parse` would have given. */
  valueOf(): number {
    return Number(this.text)
  }

  /** The number as written, digit for digit. */
  toString(): string {
    return this.text
  }

  /**
   * The text, so `JSON.stringify` keeps every digit (as a JSON string, as bigint replacers do) instead
   * of throwing in an error record or a log line. sluice's own JSON writer (`jsonText`, used for JSON
   * columns and keys) notices the call and writes the exact number instead.
   */
  toJSON(): string {
    written++
    return this.text
  }
}

/** `toJSON` calls so far: `jsonText` compares it around `JSON.stringify` to see whether one was written as a string. */
let written = 0

/** How many times an `ExactDecimal` has been written by `JSON.stringify` (see `toJSON`). */
export function exactDecimalWrites(): number {
  return written
}

/** The JSON number grammar. */
export const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/

/**
 * The integer a JSON number's text denotes (`'12345678901234567.0'`, `'1.5e20'`), or `undefined`
 * when it has a fraction or more than 40 digits before the point (no column stores that as an integer).
 */
export function integerOfText(text: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(text)
  if (!m) return undefined
  const digits = m[2]! + (m[3] ?? '')
  const point = m[2]!.length + Number(m[4] ?? 0)
  if (point > 40) return undefined
  if (point < digits.length && !/^0*$/.test(digits.slice(Math.max(0, point)))) return undefined
  const int = point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0')
  return BigInt(m[1]! + int)
}
