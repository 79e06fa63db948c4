import type { Row } from '../core/batch.js'
import type { ErrorRecord } from '../core/error-record.js'
import type { RecordsMessage, SchemaChange, SchemaMessage, State, TruncateMessage } from '../core/message.js'
import type { TableSpec } from '../core/table-spec.js'
import type { CheckResult } from './check.js'
import type { SyncReport, SyncStatus } from './sync-report.js'
import type { ConnectorStore } from './connector-store.js'
import type { MarStore } from './mar-store.js'
import type { OpsReader } from './ops-reader.js'

/** What `sync()` tells a sink when a sync starts. */
export interface SinkOpenArgs {
  readonly connectorId: string
  readonly syncId: string
  /** Tables the source declared (keys, types, modes); others are created from their first batch. */
  readonly tables: readonly TableSpec[]
  /** This sync is one writer among many (a fleet job): fenced by an epoch, maybe one partition of a backfill. */
  readonly fleet?: FleetRun
}

/**
 * A sync run by one worker of a fleet, where a stalled job may be handed to another worker while
 * the first still runs. `epoch` comes from `SinkStateStore.fence` for this sync's connector id;
 * every commit (checkpoint and close) checks it with the state row, in the data's transaction: a
 * writer whose epoch is no longer the latest fails with `FENCED` and its open transaction rolls back.
 *
 * @example
 * ```ts
 * import type { FleetRun } from 'sluice'
 * const part: FleetRun = { epoch: 3, partitionOf: 'orders' }
 * const completion: FleetRun = { epoch: 7, completes: ['orders#p0', 'orders#p1'] }
 * ```
 */
export interface FleetRun {
  /** The writer's fencing epoch for this sync's connector id (from `fence`). */
  readonly epoch: number
  /**
   * This sync reads one partition of connector `partitionOf` (its own connector id is
   * `<partitionOf>#<key>`): it registers no replace-mode truncate, refuses truncate messages, and
   * its rows' write times come after the connector's pending truncates.
   */
  readonly partitionOf?: string
  /**
   * This sync completes a partitioned backfill: in its first commit (its checkpoint of the state
   * after the backfill, or its successful close), together with the connector's deferred truncates,
   * the MAR of these partition connector ids is merged into this connector's and their state rows
   * are removed. It registers no replace-mode truncate of its own (the backfill's `fence` did).
   */
  readonly completes?: readonly string[]
}

/**
 * What `sync()` hands `Sink.checkpoint`.
 *
 * @example
 * ```ts
 * import type { CheckpointArgs } from 'sluice'
 * // A sink keeping state in a file of its own stores the text sync() already made.
 * const save = (args: CheckpointArgs) => args.serialized ?? JSON.stringify(args.state)
 * ```
 */
export interface CheckpointArgs {
  readonly state: State
  /**
   * `state` serialised (`serializeState`), made once per checkpoint by `op.checkpoint` or
   * `sync()`: store this text rather than serialising again. Absent when called by hand.
   */
  readonly serialized?: string
}

/**
 * A message that changes tables: rows, a truncate or a schema change.
 *
 * @example
 * ```ts
 * import type { SinkMessage, TableMessage } from 'sluice'
 * const touchesTable = (m: SinkMessage): m is TableMessage => m.kind !== 'errors'
 * ```
 */
export type TableMessage = RecordsMessage | TruncateMessage | SchemaMessage

/**
 * Records and requests a policy skipped (`_sluice_errors`), in stream order: `sync()` writes them
 * right before the message that was in the making when they were recorded, so they land in the
 * transaction of the checkpoint that follows them, and never in an earlier one.
 *
 * @example
 * ```ts
 * import type { ErrorsMessage } from 'sluice'
 * const m: ErrorsMessage = { kind: 'errors', errors: [{ kind: 'record', code: 'VALIDATION_FAILED', message: 'id: expected a number', table: 'orders' }] }
 * ```
 */
export interface ErrorsMessage {
  readonly kind: 'errors'
  readonly errors: readonly ErrorRecord[]
}

/** A message a sink applies, in stream order. */
export type SinkMessage = TableMessage | ErrorsMessage

/** A schema change the sink applied on its own (a table or column created from data). */
export interface AppliedSchemaChange {
  readonly table: string
  readonly change: SchemaChange
}

/** A table as it stands in the destination: destination names, sluice types, key and mode. */
export interface TableDescription {
  readonly table: string
  readonly name: string
  readonly primaryKey: readonly string[]
  readonly mode: string
  readonly columns: readonly { readonly source: string; readonly name: string; readonly type: string }[]
}

/**
 * One applied schema change as `_sluice_schema_history` keeps it: written by the sink in the
 * same transaction as the change itself, so history and tables never disagree.
 *
 * @example
 * ```ts
 * import type { SchemaHistoryEntry } from 'sluice'
 * const e: SchemaHistoryEntry = {
 *   connectorId: 'shop', syncId: '…', table: 'orders', column: 'total', change: 'change_type',
 *   oldType: 'INT', newType: 'DOUBLE', at: '2026-11-22T10:00:00.000Z',
 * }
 * ```
 */
export interface SchemaHistoryEntry {
  readonly connectorId: string
  readonly syncId: string
  /** Source table name. */
  readonly table: string
  /** Source column name; `null` for `create_table`. */
  readonly column: string | null
  readonly change: SchemaChange['type']
  readonly oldType: string | null
  readonly newType: string | null
  /** ISO-8601 UTC time the change was applied. */
  readonly at: string
}

/**
 * The writer role of a destination. Writes happen inside an open transaction; `checkpoint` makes
 * them durable together with the state (in one transaction where the destination stores state),
 * and only then may the state be considered saved. `close` ends the sync: on success it applies
 * deferred truncates and replace-mode deletes; otherwise it rolls back whatever is not
 * checkpointed. Every method is async so that a sink can live in a worker thread.
 *
 * @example
 * ```ts
 * import type { SinkWriter } from 'sluice'
 * const writer: SinkWriter = {
 *   name: 'log',
 *   async open() { return {} },
 *   async write({ message }) { console.log(message.kind) },
 *   async checkpoint() {},
 *   async close() {},
 * }
 * ```
 */
export interface SinkWriter {
  /** Short name for reports and errors (`sqlite`, `memory`, …). */
  readonly name: string
  /** Prepares meta tables and declared tables; returns the saved state if the destination keeps it. */
  open(args: SinkOpenArgs): Promise<{ readonly state?: State }>
  /**
   * Applies one message inside the current transaction; returns schema changes it made on its own.
   * An `errors` message comes only to a sink that has `recordErrors`, in stream order.
   */
  write(args: { readonly message: SinkMessage }): Promise<readonly AppliedSchemaChange[] | void>
  /** Commits everything written so far together with `state`. Durable when it resolves. */
  checkpoint(args: CheckpointArgs): Promise<void>
  /** Ends the sync; records it in the sync history; releases connections. */
  close(args: { readonly status: SyncStatus; readonly report: SyncReport }): Promise<void>
  /**
   * Writes skipped records/requests to `_sluice_errors` inside the current transaction (committed
   * with the next checkpoint). Its presence says the sink keeps error records: `sync()` then sends
   * them as `errors` messages through `write`, which the built-in sinks route here.
   */
  recordErrors?(args: { readonly errors: readonly ErrorRecord[] }): Promise<void>
  /**
   * Checks that the destination can be reached and written (a directory writable, CREATE on a schema)
   * without opening a sync or writing a table; for `sluice check` and `check()`. Never throws for a
   * failed check: it returns `ok: false`.
   */
  check?(): Promise<readonly CheckResult[]>
}

/**
 * The inspection role of a destination: what it holds, read back (tests, `sluice debug`). Every
 * method is optional.
 *
 * @example
 * ```ts
 * import type { WarehouseReader } from 'sluice'
 * import { memory } from 'sluice'
 * const reader: WarehouseReader = memory()
 * ```
 */
export interface WarehouseReader {
  /** Reads the error records back (tests, `sluice debug`). */
  readErrors?(): Promise<ErrorRecord[]>
  /** Reads a table back by its source name (tests, `sluice debug`): destination column names, system columns included. */
  read?(args: { readonly table: string }): Promise<Row[]>
  /** The tables as they stand in the destination. */
  describe?(): Promise<TableDescription[]>
  /** Every schema change applied so far, oldest first (`_sluice_schema_history`). */
  schemaHistory?(): Promise<SchemaHistoryEntry[]>
}

/**
 * The state-store role of a destination that keeps connector state with the data: the state is
 * loaded by `open` and saved by `checkpoint` (in the data's transaction); this removes it.
 *
 * @example
 * ```ts
 * import type { SinkStateStore } from 'sluice'
 * import { memory } from 'sluice'
 * const store: SinkStateStore = memory()
 * await store.resetState?.({ connectorId: 'shop' })
 * ```
 */
export interface SinkStateStore {
  /** Removes the saved state of a connector (reset). */
  resetState?(args: { readonly connectorId: string }): Promise<void>
  /**
   * Takes over a connector id for a new writer (committed at once, outside any sync): bumps and
   * returns its fencing epoch, so commits of a writer holding an older epoch fail with `FENCED`
   * (see `FleetRun`). `truncate` also registers a deferred truncate of those tables now (the
   * earliest pending one is kept): the start of a replace-mode backfill, applied when it completes.
   * Its presence says the destination can be shared by many writers (a fleet).
   */
  fence?(args: { readonly connectorId: string; readonly truncate?: readonly string[] }): Promise<number>
  /** The connector's saved state, read outside any sync (a fleet plans a backfill from it); `undefined` before its first checkpoint. */
  loadState?(args: { readonly connectorId: string }): Promise<State | undefined>
}

/**
 * A destination: the writer (`SinkWriter`) plus the stores it provides, each optional — its
 * contents read back (`WarehouseReader`), the connector state it keeps (`SinkStateStore`), MAR
 * metering (`MarStore`) and connector operations (`ConnectorStore`). A custom sink implements
 * the writer and whatever stores it can.
 *
 * @example
 * ```ts
 * import { sqlite, sync, fromIterable } from 'sluice'
 * await sync({ source: fromIterable('t', [{ id: 1 }]), destination: sqlite({ path: 'warehouse.db' }) })
 * ```
 */
export interface Sink extends SinkWriter, WarehouseReader, SinkStateStore, MarStore, ConnectorStore, OpsReader {}
