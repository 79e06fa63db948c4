import { SluiceError } from '../core/sluice-error.js'

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

/** Checks `value` is one of `allowed`. */
export function oneOf<T extends string>(what: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  throw invalid(what, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value)
}

/** Builds the CONFIG_INVALID error for a custom rule. */
export function configInvalid(what: string, expected: string, value: unknown): SluiceError {
  return invalid(what, expected, value)
}
