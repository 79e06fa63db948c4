import { stringifyWithBigints } from './bigint-json.js'
import { exactDecimalWrites } from './exact-decimal.js'

/**
 * JSON text of a value for a JSON (or STRING) column, or `undefined` when it has none (`undefined`
 * at the top, a cycle). Plain `JSON.stringify(v)` first: a replacer function turns off V8's fast
 * serializer, and no value needs one except a bigint, which makes the native call throw a
 * `TypeError`, or an `ExactDecimal`, whose `toJSON` made it a string; then the value is written
 * again by {@link stringifyWithBigints}, which keeps either as the exact JSON number (a cycle
 * throws there too and ends as `undefined`). Everything else
 * (Date through `toJSON`, Buffer as `{type,data}`, typed arrays as index objects, undefined members
 * dropped) is what `JSON.stringify` does, on either path.
 *
 * A native throw costs several times the whole fallback walk, and values of one column tend to look
 * alike, so after a value with a bigint the next ones go straight to the walk until one has none.
 *
 * @example
 * ```ts
 * import { jsonText } from './json-text.js'
 * jsonText({ n: 12345678901234567890n }) // '{"n":12345678901234567890}'
 * ```
 */
export function jsonText(v: unknown): string | undefined {
  if (walking.bigints > 0) return walk(v)
  try {
    const before = exactDecimalWrites()
    const text = JSON.stringify(v) as string | undefined
    // An ExactDecimal's toJSON wrote its digits as a JSON string: write it again, as the number.
    return exactDecimalWrites() === before ? text : walk(v)
  } catch (e) {
    if (!(e instanceof TypeError)) return undefined // a throwing getter or toJSON: no text to store
    return walk(v)
  }
}

/** Bigints in the last value written by the walk; > 0 keeps the next value on the walk. */
const walking = { bigints: 0 }

function walk(v: unknown): string | undefined {
  try {
    return stringifyWithBigints(v, walking)
  } catch {
    walking.bigints = 0
    return undefined // a cycle (or a throwing getter or toJSON)
  }
}
