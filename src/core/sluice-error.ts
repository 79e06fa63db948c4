/**
 * Stable machine-readable error codes. Retry and policies decide on `code` and
 * `retryable`, never on message text, so codes are a public contract: add, never rename.
 * The union is closed: every code sluice throws or records is declared here (test/core/error-codes.test.ts).
 */
export type SluiceErrorCode =
  /** An option, a table spec or a policy is invalid, unknown or can't be honoured by this destination or source (refused when built, never downgraded). */
  | 'CONFIG_INVALID'
  /** A records message's `match` can't be applied (a column match needs op `delete` and a batch of exactly one column). */
  | 'MATCH_INVALID'
  /** A `configuration.json` value is missing or not of the kind `checkConfiguration`/`configurationInteger` asked for. */
  | 'CONFIGURATION_KEY'
  /** The CLI can't find, compile or load the connector file of a folder (`sluice debug`, `sluice check`, …). */
  | 'CONNECTOR_LOAD'
  /** A `connector()` yielded rows for a table its `schema()` doesn't declare. */
  | 'TABLE_UNDECLARED'
  /** A row written to a table with a primary key has a null or missing key column. */
  | 'PRIMARY_KEY_MISSING'
  /** A row is not a plain object, or holds a value sluice can't store (a function, a cycle, an invalid Date, a NUL in Postgres text, …). */
  | 'UNSUPPORTED_VALUE'
  /** A saved state or checkpoint can't be read back (corrupt, another shape, another version), or a state store refused it. */
  | 'STATE_INVALID'
  /** The destination can't be opened or reached (connection refused, file locked, missing native package). */
  | 'DESTINATION_UNAVAILABLE'
  /** The destination refused a write, a migration or a meta row, or was used before `open()` or after `close()`. */
  | 'DESTINATION_WRITE'
  /** A source failed: a database source can't connect or read, a file source can't list its files, or the source threw a non-sluice error. */
  | 'SOURCE_FAILED'
  /** A stage failed on a batch (e.g. `flatten` met a value it can't flatten). */
  | 'STAGE_FAILED'
  /** The run's `AbortSignal` fired (deadline, `stop()`, the caller's signal); the sync stops at its last checkpoint. */
  | 'ABORTED'
  /** An HTTP request got a non-2xx status (retryable for 408, 429 and 5xx). */
  | 'HTTP_STATUS'
  /** An HTTP request failed below HTTP (connection reset, DNS, socket closed); retryable. */
  | 'HTTP_NETWORK'
  /** An HTTP request got no headers or no body within its timeout; retryable. */
  | 'HTTP_TIMEOUT'
  /** An HTTP response body is not what was asked (not JSON, truncated, records not an array). */
  | 'HTTP_BODY'
  /** A paginator returned a page it had already returned (the API repeats a cursor or a URL). */
  | 'PAGINATION_LOOP'
  /** A record lacks its incremental cursor field (and `incremental.onMissing` is `'fail'`). */
  | 'CURSOR_MISSING'
  /** A schema change reached a table or column whose `schemaDrift` policy is `freeze`. */
  | 'SCHEMA_FROZEN'
  /** A record failed the `validate` stage's contract (`onError: 'fail'`; otherwise an error record with this code). */
  | 'VALIDATION_FAILED'
  /** A `transform` stage's function threw on a row or a batch. */
  | 'TRANSFORM_FAILED'
  /** `retry` gave up after its policy's attempts; `cause` is the last error. */
  | 'RETRY_EXHAUSTED'
  /** A connector sync was skipped because another run holds it (a `SkippedRun` reason, not thrown). */
  | 'ALREADY_RUNNING'
  /** `createConnector({ check })` ran the connection checks before a sync and one failed, so no sync ran (a `SkippedRun` reason, not thrown). */
  | 'CHECK_FAILED'
  /** A CLI command was called with wrong arguments or flags. */
  | 'USAGE'
  /** `sluice init --template` names a template that doesn't exist. */
  | 'TEMPLATE_UNKNOWN'
  /** `sluice init` would write into a folder that exists and is not empty. */
  | 'INIT_EXISTS'
  /** `sluice init` could not write the files of the new connector. */
  | 'INIT_FAILED'
  /** `sluice init` was given a name that is not a valid connector id. */
  | 'INIT_NAME'
  /** Something that should not happen did (an unknown worker method, an incomplete installation); also what the CLI and alerts report for a non-sluice error. */
  | 'INTERNAL'
  /** An incremental cursor value is neither a timestamp, a number nor a string. */
  | 'CURSOR_INVALID'
  /** Records arrived out of cursor order where the incremental mode needs them sorted. */
  | 'CURSOR_UNSORTED'
  /** More records share one cursor value than a page holds, so paging by that cursor can't move past them. */
  | 'CURSOR_TIES'
  /** A child stream's path template names a field its parent record doesn't have. */
  | 'PARENT_FIELD_MISSING'
  /** An `idCursor` `fetch` or `maxId` returned what its contract forbids (an id that is not a safe integer or a string, ids out of range or order). */
  | 'ID_CURSOR_CONTRACT'
  /** An `idCursor` range failed at its smallest page size and couldn't be tied to one id. */
  | 'ID_FETCH_FAILED'
  /** More ids of an `idCursor` failed and were skipped than its `maxErrors` allows. */
  | 'TOO_MANY_ERRORS'
  /** A `timeWindows` window failed at its smallest size. */
  | 'WINDOW_FAILED'
  /** A `timeWindows` window's fetch took longer than its timeout; retryable. */
  | 'WINDOW_TIMEOUT'
  /** A `timeWindows` fetch returned something other than an array of rows. */
  | 'TIME_WINDOWS_CONTRACT'
  /** A GraphQL response carried errors and no data. */
  | 'GRAPHQL_ERRORS'
  /** A GraphQL response carried errors next to data (and `onPartialData` is not `'continue'`). */
  | 'GRAPHQL_PARTIAL'
  /** A GraphQL API refused a query for its cost or rate (an error code in `throttledCodes`); retryable. */
  | 'GRAPHQL_THROTTLED'
  /** A GraphQL response lacks the connection, its `edges`/`nodes` or its `pageInfo`. */
  | 'GRAPHQL_SHAPE'
  /** A GraphQL connection returned nodes out of the order its incremental cursor needs. */
  | 'GRAPHQL_UNSORTED'
  /** MAR metering was asked of a destination that can't meter. */
  | 'MAR_UNAVAILABLE'
  /** A warehouse already metered in one MAR mode (exact or sketch) was opened with the other. */
  | 'MAR_MODE_CHANGED'
  /** Bytes read back as a HyperLogLog sketch are not one. */
  | 'MAR_SKETCH_INVALID'
  /** Two HyperLogLog sketches of different precision were merged. */
  | 'MAR_SKETCH_MISMATCH'
  /** A connector's `history()` was asked of a destination that keeps no sync history. */
  | 'HISTORY_UNAVAILABLE'
  /** A `schemaDrift` policy dropped a table, a column or a value (an error record code, not thrown). */
  | 'SCHEMA_DISCARDED'
  /** A CLI command was pointed at a file that is neither a SQLite nor a DuckDB warehouse. */
  | 'WAREHOUSE_FORMAT'
  /** A paginator's next link points to another origin than the API's (credentials would leak); allow it with `allowOrigins`. */
  | 'CROSS_ORIGIN_LINK'
  /** A file read by `fileSource` is not valid in its format (CSV, NDJSON, JSON, Parquet, UTF-8). */
  | 'FILE_PARSE'
  /** A file of `fileSource` could not be read (an error record code; the file is skipped, not thrown). */
  | 'FILE_READ'
  /** An `idCursor` request failed with an error that carries no code (an error record code, not thrown). */
  | 'FETCH_FAILED'
  /** A change-data-capture source's server isn't set up for it (`wal_level`, a role without `REPLICATION`, a missing slot or publication with `create: false`; MySQL: the binlog off or not ROW with full images and metadata, missing replication grants); the message gives the SQL or setting to change. */
  | 'REPLICATION_SETUP'
  /** A Postgres replication slot the saved state streams from was dropped or invalidated (`wal_status = 'lost'`): changes were lost; re-snapshot with `onSlotLost: 'resnapshot'` or reset the connector. */
  | 'REPLICATION_SLOT_LOST'
  /** A change-data-capture source's saved position is gone from the server (a purged binlog file); copy the tables again or reset. */
  /** A fleet writer's commit was refused: another worker took over its connector or partition (a newer fencing epoch); its open transaction rolled back. */
  | 'FENCED'
  /** A fleet partition of a backfill failed for good (its retries used up): the backfill fails with the partition named. */
  | 'PARTITION_FAILED'
  | 'REPLICATION_POSITION_LOST'

/**
 * What a `SluiceError` is built from. Throw one from a source, stage or sink of your own so that
 * retry, reports and `_sluice_errors` see a code, not only a message.
 *
 * @example
 * ```ts
 * import { SluiceError, type SluiceErrorOptions } from 'sluice'
 * const options: SluiceErrorOptions = { code: 'HTTP_STATUS', message: 'GET /orders returned 503', retryable: true, context: { status: 503 } }
 * throw new SluiceError(options)
 * ```
 */
export interface SluiceErrorOptions {
  /** The stable code retry and policies decide on. */
  readonly code: SluiceErrorCode
  /** What happened and what to fix, e.g. "`offset.limit` must be a positive integer, got 0". */
  readonly message: string
  /** Whether trying the same thing again may succeed (network blip, 429, 5xx). */
  readonly retryable?: boolean
  /** Where it happened: table, column, row index, URL without secrets, … Never secrets. */
  readonly context?: Readonly<Record<string, unknown>>
  /** The error underneath (a driver's, a parser's), kept as the standard `Error#cause`. */
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
  /** Tells a `SluiceError` from another error, also across two copies of the package (see {@link isSluiceError}). */
  readonly _tag = 'SluiceError' as const
  /** The stable code: what went wrong, for code to decide on. */
  readonly code: SluiceErrorCode
  /** Whether trying the same thing again may succeed; `retry` decides on it. */
  readonly retryable: boolean
  /** Where it happened (table, column, row, URL without secrets); never secrets. */
  readonly context: Readonly<Record<string, unknown>>

  /** An error with its stable `code`; `retryable` is false unless given; `context` must hold no secrets. */
  constructor(options: SluiceErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SluiceError'
    this.code = options.code
    this.retryable = options.retryable ?? false
    this.context = options.context ?? {}
  }

  /** A plain, JSON-safe view for reports, logs and `_sluice_syncs` (no stack, no cause object). */
  toJSON(): { code: SluiceErrorCode; message: string; retryable: boolean; context: Record<string, unknown> } {
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
  static fromJSON(json: { code: SluiceErrorCode; message: string; retryable?: boolean; context?: Record<string, unknown> }, cause?: unknown): SluiceError {
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
