/**
 * Stable machine-readable error codes. Retry and policies decide on `code` and
 * `retryable`, never on message text, so codes are a public contract: add, never rename.
 */
export type SluiceErrorCode =
  | 'CONFIG_INVALID'
  | 'MATCH_INVALID'
  | 'CONFIGURATION_KEY'
  | 'CONNECTOR_LOAD'
  | 'TABLE_UNDECLARED'
  | 'PRIMARY_KEY_MISSING'
  | 'UNSUPPORTED_VALUE'
  | 'STATE_INVALID'
  | 'DESTINATION_UNAVAILABLE'
  | 'DESTINATION_WRITE'
  | 'SOURCE_FAILED'
  | 'STAGE_FAILED'
  | 'ABORTED'
  | 'HTTP_STATUS'
  | 'HTTP_NETWORK'
  | 'HTTP_TIMEOUT'
  | 'HTTP_BODY'
  | 'PAGINATION_LOOP'
  | 'CURSOR_MISSING'
  | 'SCHEMA_FROZEN'
  | 'VALIDATION_FAILED'
  | 'TRANSFORM_FAILED'
  | 'RETRY_EXHAUSTED'
  | 'ALREADY_RUNNING'
  | 'USAGE'
  | 'TEMPLATE_UNKNOWN'
  | 'INIT_EXISTS'
  | 'INIT_FAILED'
  | 'INIT_NAME'
  | 'INTERNAL'
  | 'CURSOR_INVALID'
  | 'CURSOR_UNSORTED'
  | 'CURSOR_TIES'
  | 'PARENT_FIELD_MISSING'
  | 'ID_CURSOR_CONTRACT'
  | 'ID_FETCH_FAILED'
  | 'TOO_MANY_ERRORS'
  | 'WINDOW_FAILED'
  | 'WINDOW_TIMEOUT'
  | 'TIME_WINDOWS_CONTRACT'
  | 'GRAPHQL_ERRORS'
  | 'GRAPHQL_PARTIAL'
  | 'GRAPHQL_THROTTLED'
  | 'GRAPHQL_SHAPE'
  | 'GRAPHQL_UNSORTED'
  | 'MAR_UNAVAILABLE'
  | 'MAR_MODE_CHANGED'
  | 'MAR_SKETCH_INVALID'
  | 'MAR_SKETCH_MISMATCH'
  | 'HISTORY_UNAVAILABLE'
  | 'SCHEMA_DISCARDED'
  | 'WAREHOUSE_FORMAT'
  | 'CROSS_ORIGIN_LINK'
  | (string & {})

export interface SluiceErrorOptions {
  readonly code: SluiceErrorCode
  readonly message: string
  /** Whether trying the same thing again may succeed (network blip, 429, 5xx). */
  readonly retryable?: boolean
  /** Where it happened: table, column, row index, URL without secrets, … Never secrets. */
  readonly context?: Readonly<Record<string, unknown>>
  readonly cause?: unknown
}

/**
 * The one error class of sluice: a stable `code`, `retryable`, structured `context` and `cause`.
 * Thrown at the edge for bad input (config, API response, file) with a message saying what to fix.
 *
 * @example
 * ```ts
 * import { SluiceError } from 'sluice'
 * const err = new SluiceError({ code: 'CONFIG_INVALID', message: '`limit` must be a positive integer, got 0' })
 * err.retryable // false
 * ```
 */
export class SluiceError extends Error {
  readonly _tag = 'SluiceError' as const
  readonly code: SluiceErrorCode
  readonly retryable: boolean
  readonly context: Readonly<Record<string, unknown>>

  constructor(options: SluiceErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SluiceError'
    this.code = options.code
    this.retryable = options.retryable ?? false
    this.context = options.context ?? {}
  }

  /** A plain, JSON-safe view for reports, logs and `_sluice_syncs` (no stack, no cause object). */
  toJSON(): { code: string; message: string; retryable: boolean; context: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, context: { ...this.context } }
  }

  /**
   * The error again from its `toJSON()` view (e.g. sent from a worker thread), with an optional
   * cause: callers see the same `code`, `message`, `retryable` and `context` as where it was thrown.
   *
   * @example
   * ```ts
   * import { SluiceError } from 'sluice'
   * const copy = SluiceError.fromJSON(new SluiceError({ code: 'DESTINATION_WRITE', message: 'disk full' }).toJSON())
   * copy.code // 'DESTINATION_WRITE'
   * ```
   */
  static fromJSON(json: { code: string; message: string; retryable?: boolean; context?: Record<string, unknown> }, cause?: unknown): SluiceError {
    return new SluiceError({ code: json.code, message: json.message, retryable: json.retryable ?? false, context: json.context ?? {}, ...(cause === undefined ? {} : { cause }) })
  }
}

/** True for any `SluiceError`, also across duplicated copies of the package (checks the tag). */
export function isSluiceError(value: unknown): value is SluiceError {
  return value instanceof SluiceError || (typeof value === 'object' && value !== null && (value as { _tag?: unknown })._tag === 'SluiceError')
}

/**
 * Wraps anything thrown into a `SluiceError`, keeping an existing one as it is.
 * Use at a boundary (source, stage, sink) so reports always carry a code.
 */
export function toSluiceError(value: unknown, code: SluiceErrorCode, context?: Record<string, unknown>): SluiceError {
  if (isSluiceError(value)) return value
  const message = value instanceof Error ? value.message : String(value)
  return new SluiceError({ code, message, cause: value, ...(context ? { context } : {}) })
}
