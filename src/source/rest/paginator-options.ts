import { configInvalid, positiveInteger } from '../../core/check-option.js'

// Validation shared by the paginator factories: each throws CONFIG_INVALID naming the option under `where`.

/** A query parameter name: a non-empty string, or `fallback` when left out. */
export function paramName(value: unknown, what: string, fallback: string): string
export function paramName(value: unknown, what: string, fallback?: undefined): string | undefined
export function paramName(value: unknown, what: string, fallback?: string): string | undefined {
  if (value === undefined) return fallback
  if (typeof value === 'string' && value.trim() !== '') return value
  throw configInvalid(what, 'a non-empty query parameter name', value)
}

/** A dot path into the response body: a non-empty string. */
export function bodyPath(value: unknown, what: string): string {
  if (typeof value === 'string' && value !== '') return value
  throw configInvalid(what, "a dot path into the response body such as 'meta.next'", value)
}

/** An optional page size: a positive integer or undefined. */
export function optionalSize(value: unknown, what: string): number | undefined {
  return value === undefined ? undefined : positiveInteger(what, value)
}

/** Rejects option names the factory does not know: the package's one check, re-exported for the paginators. */
export { knownKeys } from '../../core/check-option.js'

/** The options object itself: an object (not null, not an array). */
export function optionsObject<T>(value: T, where: string, example: string): T & object {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as T & object
  throw configInvalid(where, `an options object such as ${example}`, value)
}

/** The `keyset` flag of a token paginator: true or false, default false. */
export function keysetFlag(value: unknown, what: string): boolean {
  if (value === undefined || value === false) return false
  if (value === true) return true
  throw configInvalid(what, 'true (the token continues after the last row returned) or false', value)
}
