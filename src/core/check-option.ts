import { SluiceError } from './sluice-error.js'

// Validation helpers for policy factories: each throws CONFIG_INVALID naming the option and the bad value.

function invalid(what: string, expected: string, value: unknown): SluiceError {
  const got = typeof value === 'number' || typeof value === 'string' ? JSON.stringify(value) : String(value)
  return new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${what}\` must be ${expected}, got ${got}`,
    context: { option: what },
  })
}

/** Checks `value` is an integer ≥ 1. */
export function positiveInteger(what: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value
  throw invalid(what, 'a positive integer', value)
}

/** Checks `value` is a finite number ≥ 0 (a duration in ms). */
export function nonNegativeMs(what: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
  throw invalid(what, 'a finite number of milliseconds ≥ 0', value)
}

/** Checks `value` is a finite number > 0 (a duration in ms). */
export function positiveMs(what: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value
  throw invalid(what, 'a finite number of milliseconds > 0', value)
}

/** Checks `value` is a finite number ≥ `min`. */
export function numberAtLeast(what: string, value: unknown, min: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return value
  throw invalid(what, `a finite number ≥ ${min}`, value)
}

/** Checks `value` is `true` or `false`. */
export function booleanOption(what: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value
  throw invalid(what, 'true or false', value)
}

/** Checks `value` is one of `allowed`. */
export function oneOf<T extends string>(what: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  throw invalid(what, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value)
}

/** Builds the CONFIG_INVALID error for a custom rule. */
export function configInvalid(what: string, expected: string, value: unknown): SluiceError {
  return invalid(what, expected, value)
}

/**
 * Refuses option names `where` does not know — a typo (`destinaton`) or an option sluice doesn't
 * have (`replication`) would otherwise be ignored silently. The error names the key as written and
 * lists the valid ones. Every public factory calls it first; `options` that is not an object is
 * left to the factory's own checks.
 */
export function knownKeys(options: unknown, allowed: readonly string[], where: string): void {
  if (typeof options !== 'object' || options === null) return
  for (const key of Object.keys(options)) if (!allowed.includes(key)) throw unknownOption(key, allowed, where)
}

/**
 * {@link knownKeys} with the names written as `{ name: true, … }` and checked by the compiler
 * against the options type: a name missing from the list, or one the type lacks, fails the
 * typecheck, so the list can't fall behind the interface.
 *
 * @example
 * ```ts
 * import { knownOptions } from './check-option.js'
 * interface SizeOptions { readonly min?: number; readonly max?: number }
 * const size = (options: SizeOptions) => knownOptions(options, { min: true, max: true }, 'size')
 * ```
 */
export function knownOptions<T>(options: T, names: NoInfer<{ readonly [K in keyof Required<NonNullable<T>>]: true }>, where: string): void {
  knownKeys(options, Object.keys(names), where)
}

function unknownOption(key: string, allowed: readonly string[], where: string): SluiceError {
  const near = allowed.find((a) => editDistance(a.toLowerCase(), key.toLowerCase()) <= Math.min(2, a.length >> 2 || 1))
  const hint = near ? ` (did you mean \`${near}\`?)` : ''
  return new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${where}.${key}\` is not an option of ${where}${hint}; its options are ${allowed.join(', ')}`,
    context: { option: `${where}.${key}`, known: [...allowed] },
  })
}

/** Levenshtein distance, for the "did you mean" hint (short names only: quadratic). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}
