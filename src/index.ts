/**
 * sluice — embeddable stream primitives for data integration (ELT).
 * This is the only public barrel; heavy optional parts live behind subpath entries.
 */
export { SluiceError, isSluiceError, toSluiceError, type SluiceErrorCode, type SluiceErrorOptions } from './core/sluice-error.js'
export { parseDuration, type Duration } from './core/duration.js'
export { parseColumnType, widenType, isWidening, baseType, decimalParams, type ColumnType, type BaseType } from './core/column-type.js'
export { Batch, isNull, valueAt, takeRows, type Column, type ColumnValues, type Row, type RowInput } from './core/batch.js'
export { batchFromRows, type FromRowsOptions } from './core/batch-from-rows.js'
export { inferType } from './core/infer-type.js'
export { toArrow } from './core/batch-to-arrow.js'
export { decodeConfig } from './core/decode-config.js'
export type { ErrorRecord, RecordError } from './core/error-record.js'
export { serializeState, parseState } from './core/json-state.js'
export { parseTableSpecs, modeOf, type TableSpec, type TableSpecInput, type WriteMode } from './core/table-spec.js'
export type {
  Message, RecordsMessage, TruncateMessage, SchemaMessage, CheckpointMessage, SchemaChange, State, Json, RecordOp,
} from './core/message.js'

export { op, RowsMessage } from './source/op.js'
export { connector, checkConfiguration, type ConnectorDefinition } from './source/connector.js'
export { fromIterable, type FromIterableOptions } from './source/from-iterable.js'
export { toSource, type Source, type SourceLike, type SourceReadArgs, type Configuration } from './source/source.js'

export type { Sink, SinkOpenArgs, SinkMessage, AppliedSchemaChange, TableDescription } from './sink/sink.js'
export { sqlite, type SqliteOptions } from './sink/sqlite/sqlite-sink.js'
export { memory, type MemorySink } from './sink/memory/memory-sink.js'
export { normalizeName, quoteIdent } from './sink/layout/normalize-name.js'

export type { StateStore } from './state/state-store.js'
export { memoryState } from './state/memory-state.js'
export { fileState, type FileStateOptions } from './state/file-state.js'

export { sync, type SyncOptions, type SyncEvents, type Stage, type StageContext } from './sync/sync.js'
export type { SyncReport, SyncStatus, TableCounts } from './sync/sync-report.js'

export { retry, type RetryEvent, type RetryOptions } from './retry/retry.js'
export {
  exponentialBackoff, constantBackoff, backoffDelay,
  type RetryPolicy, type ExponentialBackoff, type ConstantBackoff, type ExponentialBackoffOptions, type ConstantBackoffOptions,
} from './retry/backoff.js'
export { systemClock, fakeClock, type Clock, type FakeClock, type FakeClockOptions } from './retry/clock.js'
export { rateLimit, type RateLimiter, type RateLimitOptions } from './retry/rate-limit.js'
export { adaptiveSize, type AdaptiveSize, type AdaptiveSizeOptions } from './retry/adaptive-size.js'
export { retryAfterFromHeaders, retryAfterDelay, type ResponseHeaders } from './retry/retry-after.js'
export { isRetryable, isRetryableStatus, statusAdvice } from './retry/classify.js'

export { httpClient, type HttpClient, type HttpClientOptions, type HttpRequest, type JsonResponse } from './http/http-client.js'
export type { HttpResponse } from './http/http-response.js'
export { buildUrl, type QueryValue } from './http/build-url.js'
export { redactUrl, redactSecrets } from './http/redact.js'
export type { Auth, AuthTarget } from './http/auth/auth.js'
export { apiKeyAuth, type ApiKeyAuthOptions } from './http/auth/api-key-auth.js'
export { bearerAuth, type BearerAuthOptions } from './http/auth/bearer-auth.js'
export { basicAuth, type BasicAuthOptions } from './http/auth/basic-auth.js'
export { oauth2ClientCredentials, type OAuth2ClientCredentialsOptions } from './http/auth/oauth2-client-credentials.js'
export { authFromConfig, type AuthConfig } from './http/auth/auth-from-config.js'

export { rest } from './source/rest/rest-source.js'
export type { RestOptions, RestStream } from './source/rest/rest-options.js'
export type { Paginator, Page, PageRequest } from './source/rest/paginator.js'
export type { StopRules } from './source/rest/stop-rules.js'
export { offset, type OffsetOptions } from './source/rest/offset-paginator.js'
export { pageNumber, type PageNumberOptions } from './source/rest/page-number-paginator.js'
export { cursor, type CursorOptions } from './source/rest/cursor-paginator.js'
export { linkHeader, type LinkHeaderOptions } from './source/rest/link-header-paginator.js'
export { nextUrl, type NextUrlOptions } from './source/rest/next-url-paginator.js'
export type { PaginateConfig } from './source/rest/paginate-config.js'
export type { IncrementalOptions } from './cursor/incremental-options.js'

export { idCursor, type IdCursorOptions } from './source/id-cursor/id-cursor.js'
export type { IdCursorFetch, IdCursorFetchArgs, IdValue } from './source/id-cursor/id-cursor-fetch.js'
export { timeWindows, type TimeWindowsOptions, type Instant } from './source/time-windows/time-windows.js'
export type { WindowFetch, WindowFetchArgs } from './source/time-windows/fetch-window.js'
export { graphql, type GraphqlOptions, type GraphqlIncremental, type GraphqlHttpOptions } from './source/graphql/graphql.js'
export type { GraphqlErrorItem } from './source/graphql/graphql-response.js'
