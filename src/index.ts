/**
 * sluice — embeddable stream primitives for data integration (ELT).
 * This is the only public barrel; heavy optional parts live behind subpath entries.
 */
export { SluiceError, isSluiceError, toSluiceError, type SluiceErrorCode, type SluiceErrorOptions } from './core/sluice-error.js'
export { parseDuration, type Duration } from './core/duration.js'
export { parseColumnType, widenType, isWidening, baseType, decimalParams, type ColumnType, type BaseType } from './core/column-type.js'
export { Batch, isNull, valueAt, takeRows, type Column, type ColumnValues, type Row } from './core/batch.js'
export { batchFromRows, type FromRowsOptions } from './core/batch-from-rows.js'
export { inferType } from './core/infer-type.js'
export { toArrow } from './core/batch-to-arrow.js'
export { decodeConfig } from './core/decode-config.js'
export { serializeState, parseState } from './core/json-state.js'
export { parseTableSpecs, modeOf, type TableSpec, type WriteMode } from './core/table-spec.js'
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
