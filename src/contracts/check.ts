import { isSluiceError, type SluiceErrorCode } from '../core/sluice-error.js'

/**
 * The outcome of one connection check (`Source.check`, `SinkWriter.check`): reachability,
 * authentication, a permission or a stream's first request. `message` says what happened in words
 * the user can act on and never holds a secret.
 *
 * @example
 * ```ts
 * import type { CheckResult } from 'sluice'
 * const result: CheckResult = { name: 'orders: first page', ok: false, message: '401 from api.example.com: the token was rejected', hint: 'check `api_token` in configuration.json', code: 'HTTP_STATUS' }
 * ```
 */
export interface CheckResult {
  /** What was checked, short (`postgres: connect`, `orders: first page`). */
  readonly name: string
  readonly ok: boolean
  /** What was found, in words; on failure, what failed. */
  readonly message: string
  /** What to change when it failed (`check \`api_token\` in configuration.json`). */
  readonly hint?: string
  /** The error code of the failure, when it came from a `SluiceError`. */
  readonly code?: SluiceErrorCode
  /** True when the check could not be run (the source or sink has none, or can't check this cheaply): not a pass, not a failure. */
  readonly skipped?: boolean
}

/** What `Source.check` is handed. */
export interface SourceCheckArgs {
  /** The connector's configuration (`Configuration`: string values, as configuration.json holds them). */
  readonly configuration: Readonly<Record<string, string>>
  /** Aborted when the caller gives up: end requests and close connections. */
  readonly signal: AbortSignal
}

/**
 * A passed check, as sources and sinks report one.
 *
 * @example
 * ```ts
 * import { checkPassed } from 'sluice'
 * checkPassed('postgres: connect', 'select 1 answered').ok // true
 * ```
 */
export function checkPassed(name: string, message: string): CheckResult {
  return { name, ok: true, message }
}

/**
 * A failed check from what was thrown: the message of the error (a `SluiceError`'s says what to fix)
 * and its code, with an optional hint.
 *
 * @example
 * ```ts
 * import { checkFailed } from 'sluice'
 * checkFailed('files: directory', new Error('EACCES'), 'make the directory writable').ok // false
 * ```
 */
export function checkFailed(name: string, error: unknown, hint?: string): CheckResult {
  const message = error instanceof Error ? error.message : String(error)
  const code = isSluiceError(error) ? error.code : undefined
  return { name, ok: false, message, ...(hint ? { hint } : {}), ...(code ? { code } : {}) }
}
