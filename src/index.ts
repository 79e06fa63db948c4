/**
 * sluice — embeddable stream primitives for data integration (ELT).
 * This is the only public barrel; heavy optional parts live behind subpath entries. It exports the
 * contract of DESIGN section 4 and what a user needs to extend it (a Source, a Stage, a Sink or a
 * store, an Auth, a Paginator, an Alert, a Logger); helpers stay internal. docs/public-api.md lists
 * the surface by purpose and what was left out, and why.
 *
 * @module sluice
 */

// Errors
export { SluiceError, isSluiceError, type SluiceErrorCode, type SluiceErrorOptions } from './core/sluice-error.js'

// Data: rows, batches, types and messages (what sources yield, stages transform and sinks write)
export type { Duration } from './core/duration.js'
export type { ColumnType } from './core/column-type.js'
export { Batch, isNull, valueAt, type Column, type ColumnValues, type Row, type RowInput } from './core/batch.js'
export { batchFromRows, type FromRowsOptions } from './core/batch-from-rows.js'
export { ExactDecimal } from './core/exact-decimal.js'
export { decodeConfig } from './core/decode-config.js'
export type { ErrorRecord, RecordError } from './core/error-record.js'
export type { TableSpec, TableSpecInput, WriteMode } from './core/table-spec.js'
export type {
  Message, RecordsMessage, TruncateMessage, SchemaMessage, CheckpointMessage, SchemaChange, State, Json, RecordOp, RecordMatch,
} from './core/message.js'

// Sources: the Source contract, connectors and the built-in sources
export { op, type RowsMessage } from './source/op.js'
export { connector, checkConfiguration, configurationInteger, type ConnectorDefinition } from './source/connector.js'
export { fromIterable, type FromIterableOptions } from './source/from-iterable.js'
export type { Source, SourceLike, SourceReadArgs, SourceCatalog, Configuration, PartitionsArgs } from './contracts/source.js'
export type { Partition, PartitionPlan } from './contracts/partition.js'
export type { CheckResult, SourceCheckArgs } from './contracts/check.js'
export { checkPassed, checkFailed } from './contracts/check.js'
export { check, type CheckOptions, type CheckReport } from './check/check.js'
export { configuredSource } from './source/configured-source.js'

// Destinations: the Sink contract and the embedded sinks
export type {
  Sink, SinkWriter, WarehouseReader, SinkStateStore, SinkOpenArgs, SinkMessage, TableMessage, ErrorsMessage, CheckpointArgs,
  AppliedSchemaChange, TableDescription, SchemaHistoryEntry, FleetRun,
} from './contracts/sink.js'
export { sqlite, type SqliteOptions } from './sink/sqlite/sqlite-sink.js'
export { memory, type MemorySink } from './sink/memory/memory-sink.js'

// State stores
export type { StateStore } from './contracts/state-store.js'
export { memoryState } from './state/memory-state.js'
export { fileState, type FileStateOptions } from './state/file-state.js'

// The sync and its stages
export { sync } from './sync/sync.js'
export type { SyncOptions, SyncEvents } from './sync/sync-options.js'
export type { Stage, StageContext, StageDeclaration } from './contracts/stage.js'
export type { ReplicationStatus, SyncReport, SyncStatus, TableCounts } from './contracts/sync-report.js'

// Retry, time and rate
export { retry, type RetryEvent, type RetryOptions } from './retry/retry.js'
export {
  exponentialBackoff, constantBackoff,
  type RetryPolicy, type ExponentialBackoff, type ConstantBackoff, type ExponentialBackoffOptions, type ConstantBackoffOptions,
} from './retry/backoff.js'
export { isRetryable } from './retry/classify.js'
export { systemClock, fakeClock, type Clock, type FakeClock, type FakeClockOptions } from './core/clock.js'
export { rateLimit, type RateLimiter, type RateLimitOptions } from './retry/rate-limit.js'

// HTTP and auth (for sources of your own, and the Auth extension point)
export { httpClient, type HttpClient, type HttpClientOptions, type HttpRequest, type JsonResponse } from './http/http-client.js'
export type { HttpResponse } from './http/http-response.js'
export type { QueryValue } from './http/build-url.js'
export type { TimeoutsMs } from './http/http-error.js'
export type { ResponseHeaders } from './retry/retry-after.js'
export type { Auth, AuthTarget } from './http/auth/auth.js'
export { apiKeyAuth, type ApiKeyAuthOptions } from './http/auth/api-key-auth.js'
export { bearerAuth, type BearerAuthOptions } from './http/auth/bearer-auth.js'
export { basicAuth, type BasicAuthOptions } from './http/auth/basic-auth.js'
export { oauth2ClientCredentials, type OAuth2ClientCredentialsOptions } from './http/auth/oauth2-client-credentials.js'
export type { AuthConfig } from './http/auth/auth-from-config.js'

// REST and its paginators (the Paginator extension point)
export { rest } from './source/rest/rest-source.js'
export type { RestOptions, RestStream } from './source/rest/rest-options.js'
export type { FieldsParam } from './source/rest/fields-param.js'
export type { Paginator, Page, PageRequest } from './source/rest/paginator.js'
export type { StopRules } from './source/rest/stop-rules.js'
export { offset, type OffsetOptions } from './source/rest/offset-paginator.js'
export { pageNumber, type PageNumberOptions } from './source/rest/page-number-paginator.js'
export { cursor, type CursorOptions } from './source/rest/cursor-paginator.js'
export { linkHeader, type LinkHeaderOptions } from './source/rest/link-header-paginator.js'
export { nextUrl, type NextUrlOptions } from './source/rest/next-url-paginator.js'
export type { PaginateConfig } from './source/rest/paginate-config.js'
export type { IncrementalOptions } from './cursor/incremental-options.js'
export type { CursorType } from './cursor/cursor-value.js'
export type { AllowOrigin } from './source/rest/allow-origins.js'

// Other API sources
export { idCursor, type IdCursorOptions } from './source/id-cursor/id-cursor.js'
export type { IdCursorFetch, IdCursorFetchArgs, IdValue } from './source/id-cursor/id-cursor-fetch.js'
export { timeWindows, type TimeWindowsOptions, type Instant } from './source/time-windows/time-windows.js'
export type { WindowFetch, WindowFetchArgs } from './source/time-windows/fetch-window.js'
export { graphql, type GraphqlOptions, type GraphqlIncremental, type GraphqlHttpOptions } from './source/graphql/graphql.js'
export type { GraphqlErrorItem } from './source/graphql/graphql-response.js'

// Long-running connectors, their stores, MAR metering and alerts
export { createConnector, type Connector, type ConnectorStatus, type ConnectorRunResult } from './connector/create-connector.js'
export type { ConnectorOptions } from './connector/connector-options.js'
export type { ConnectorEventMap, ConnectorEvent, SkippedRun } from './connector/connector-events.js'
export type { ConnectorStore, ConnectorSettings, LeaseArgs, LeaseResult } from './contracts/connector-store.js'
export type { OpsReader, LeaseHolder, SyncErrorRow, MarThresholdFired } from './contracts/ops-reader.js'
export type { ScheduleSpec, ScheduleCommon } from './schedule/schedule.js'
export { marReport, type MarReportOptions } from './mar/mar-report.js'
export { estimateMar, type EstimateMarOptions, type MarEstimate, type TableMarEstimate, type CountingSource } from './mar/estimate-mar.js'
export type { MarThresholdEvent } from './mar/metered-sink.js'
export type { MarOptions } from './mar/mar-options.js'
export type { MarStore, MarMode, MarUsage, MarFilter, MeterArgs, MeterResult, MarKeys } from './contracts/mar-store.js'
export { HyperLogLog } from './mar/hyperloglog.js'

// Handing the tables to dbt
export { dbtProject, type DbtProjectOptions, type DbtFile, type DbtDialect } from './dbt/dbt-project.js'
export type { Alert, AlertEvent, AlertType } from './alert/alert.js'
export { webhook, type WebhookOptions } from './alert/webhook.js'
export { logAlert as log, type LogAlertOptions } from './alert/log-alert.js'

// Logging and progress
export { jsonLogger, type JsonLoggerOptions } from './log/json-logger.js'
export { silentLogger, type Logger, type LogLevel, type LogFields } from './log/logger.js'
export { redactLogger, type RedactList } from './log/redact-fields.js'
export { progressTracker, type ProgressTracker, type ProgressTrackerOptions, type ProgressSnapshot } from './log/progress-tracker.js'

// Stages
export { schemaDrift } from './schema-drift/schema-drift.js'
export type { DriftMode, DriftPreset, DriftPolicy, SchemaDriftOptions } from './schema-drift/drift-policy.js'
export { select, type SelectOptions, type SelectStage } from './stage/select.js'
export type { Selection } from './contracts/selection.js'
export type { ColumnRef } from './stage/name-pattern.js'
export { hashColumns, type HashColumnsOptions } from './stage/hash-columns.js'
export { keepsNames } from './stage/keeps-names.js'
export { validate, type ValidateOptions, type RecordContract } from './stage/validate.js'
export { transform, type TransformOptions, type RowTransform, type BatchTransform, type RowInfo } from './stage/transform.js'
export { sql, type SqlOptions } from './stage/sql.js'
export { flatten, type FlattenOptions } from './stage/flatten.js'
