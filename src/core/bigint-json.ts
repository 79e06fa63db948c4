import { ExactDecimal } from './exact-decimal.js'

/**
 * `JSON.stringify(value)` with one difference: a bigint or an `ExactDecimal` is written as the
 * exact JSON number it is (`12345678901234567890`) where `JSON.stringify` throws. Node 20 has no `JSON.rawJSON`, so
 * this walks the value itself, following the standard's SerializeJSONProperty step by step:
 * `toJSON` (also on a bigint, if someone defined one), boxed primitives unwrapped, non-finite
 * numbers as `null`, `undefined`/functions/symbols omitted from objects and `null` in arrays,
 * own enumerable string keys in `Object.keys` order. Returns `undefined` where `JSON.stringify`
 * would; throws a `TypeError` on a cycle, like it. Slower than the native one: it is only the
 * fallback for values that hold a bigint (see `jsonText`).
 *
 * @example
 * ```ts
 * import { stringifyWithBigints } from './bigint-json.js'
 * stringifyWithBigints({ n: 12345678901234567890n }) // '{"n":12345678901234567890}'
 * ```
 */
export function stringifyWithBigints(value: unknown, seen?: { bigints: number }): string | undefined {
  bigints = 0
  try {
    return property('', value, [])
  } finally {
    if (seen) seen.bigints = bigints
  }
}

/** Bigints (and exact decimals) written by the current call (module state: the walk is synchronous and allocation-free to count). */
let bigints = 0

function property(key: string, value: unknown, stack: object[]): string | undefined {
  if (value instanceof ExactDecimal) {
    bigints++
    return value.text // before toJSON, which refuses: the exact text is the JSON number
  }
  let v = value
  if ((typeof v === 'object' && v !== null) || typeof v === 'bigint') {
    const toJSON = (v as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') v = toJSON.call(v, key) as unknown
  }
  if (v instanceof Number) v = Number(v)
  else if (v instanceof String) v = String(v)
  else if (v instanceof Boolean || v instanceof BigInt) v = v.valueOf()
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v)
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null'
    case 'boolean':
      return v ? 'true' : 'false'
    case 'bigint':
      bigints++
      return v.toString()
    case 'object':
      if (v === null) return 'null'
      return container(v, stack)
    default:
      return undefined // undefined, function, symbol
  }
}

function container(v: object, stack: object[]): string {
  // internal protocol: JSON.stringify's own error for a cycle, which json-text and describe-unstorable catch and turn into a coded error
  if (stack.includes(v)) throw new TypeError('Converting circular structure to JSON')
  stack.push(v)
  let out: string
  if (Array.isArray(v)) {
    out = '['
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + (property(String(i), v[i], stack) ?? 'null')
    out += ']'
  } else {
    out = '{'
    let first = true
    for (const k of Object.keys(v)) {
      const text = property(k, (v as Record<string, unknown>)[k], stack)
      if (text === undefined) continue
      out += (first ? '' : ',') + JSON.stringify(k) + ':' + text
      first = false
    }
    out += '}'
  }
  stack.pop()
  return out
}
