import { formatMicros, parseNaiveMicros, parseUtcMicros } from '../core/temporal.js'

const MAX_SAFE = 9007199254740991n

/**
 * ISO-8601 text of epoch microseconds given as a bigint, exact for every date a 64-bit timestamp
 * holds: `formatMicros` takes a number, which is exact only within 2^53 µs (about 1685–2255), and
 * warehouses use `9999-12-31T23:59:59.999Z` as "open-ended". Fractional digits are trimmed.
 *
 * @example
 * ```ts
 * import { formatEpochMicros } from './epoch-micros.js'
 * formatEpochMicros(253402300799999000n, 'Z') // '9999-12-31T23:59:59.999Z'
 * ```
 */
export function formatEpochMicros(micros: bigint, suffix: string): string {
  if (micros >= -MAX_SAFE && micros <= MAX_SAFE) return formatMicros(Number(micros), suffix)
  let seconds = micros / 1_000_000n
  let fraction = micros % 1_000_000n
  if (fraction < 0n) {
    fraction += 1_000_000n
    seconds -= 1n
  }
  // Whole seconds × 10^6 is exact in a double (the mantissa needs ~53 bits less the factor 2^6).
  const base = formatMicros(Number(seconds) * 1_000_000, '')
  return fraction === 0n ? base + suffix : `${base}.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}${suffix}`
}

/**
 * Epoch microseconds of ISO text (zoned when `zoned`, else naive) as an exact bigint, for every
 * date: the core parsers return a number, exact only within 2^53 µs. Whole seconds are parsed as
 * a number (a multiple of 10^6, exact in a double at any date) and the fraction added as digits.
 * `undefined` when the text is not such a value.
 *
 * @example
 * ```ts
 * import { exactMicros } from './epoch-micros.js'
 * exactMicros('9999-12-31T23:59:59.999Z', true) // 253402300799999000n
 * ```
 */
export function exactMicros(text: string, zoned: boolean): bigint | undefined {
  const parse = zoned ? parseUtcMicros : parseNaiveMicros
  const fast = parse(text)
  if (fast === undefined) return undefined
  if (Math.abs(fast) <= Number.MAX_SAFE_INTEGER) return BigInt(fast)
  const fraction = /:\d{2}\.(\d+)/.exec(text)?.[1] ?? ''
  const whole = parse(fraction ? text.replace(`.${fraction}`, '') : text)!
  return BigInt(whole) + BigInt((fraction + '000000').slice(0, 6))
}
