import type { Batch } from '../core/batch.js'
import type { ErrorRecord } from '../core/error-record.js'
import type { RecordOp, SchemaChange } from '../core/message.js'
import type { SluiceError } from '../core/sluice-error.js'
import type { WriteMode } from '../core/table-spec.js'
import type { TableLayout } from '../sink/layout/table-layout.js'
import type { SyncReport } from '../contracts/sync-report.js'
import type { MarStorage } from './mar/mar-storage.js'

/** What a destination keeps between syncs, read once when a sync opens. */
export interface SavedMeta {
  /** Every table the destination holds, by source name. */
  readonly layouts: Map<string, TableLayout>
  /** The connector's serialised state, if it has one. */
  readonly state?: string
  /** Truncates registered and not yet applied: table → ISO time. */
  readonly pending: Readonly<Record<string, string>>
  /** The latest write time already in the destination (ms since epoch; 0 if none). */
  readonly lastSynced: number
  /** The connector's fencing epoch (0 if it was never fenced or has no row). */
  readonly epoch?: number
}

/**
 * A connector's `_sluice_state` row as a fleet run reads another one (a partition's parent).
 *
 * @example
 * ```ts
 * import type { FleetStateRow } from './driver.js'
 * const parent: FleetStateRow = { pending: { orders: '2026-12-06T02:00:00.000Z' }, lastSynced: 0, epoch: 3 }
 * ```
 */
export interface FleetStateRow {
  /** Truncates registered and not yet applied: table → ISO time. */
  readonly pending: Readonly<Record<string, string>>
  /** ms since epoch; 0 if none. */
  readonly lastSynced: number
  readonly epoch: number
}

/**
 * What a driver of a destination shared by many writers (a fleet, see `FleetRun`) adds. Every
 * method but `stateRow` runs in the open transaction, so what it checks or changes commits (or
 * rolls back) with the data.
 *
 * @example
 * ```ts
 * import type { FleetDriver } from './driver.js'
 * declare const fleet: FleetDriver
 * const held = (await fleet.holdEpoch({ connectorId: 'orders#p3', epoch: 2 })) === 2
 * ```
 */
export interface FleetDriver {
  /** Another connector's row, read before the first transaction (a partition run reads its parent's). */
  stateRow(connectorId: string): Promise<FleetStateRow | undefined>
  /**
   * Locks the connector's state row for the rest of the transaction (no fence can commit before
   * this transaction does) and resolves to its epoch: the engine commits only if it is the run's
   * `epoch`, and otherwise rolls back with `FENCED` (undefined: the row is gone).
   */
  holdEpoch(args: { readonly connectorId: string; readonly epoch: number }): Promise<number | undefined>
  /**
   * What is committed now of `table`: its layout (undefined: none) and every name taken in the
   * destination's namespace. With `lock`, first waits for the destination's layout lock and holds
   * it until this transaction ends, so schema changes are serialised among its writers (and the
   * read sees every change committed before the lock was granted).
   */
  committedLayout(table: string, lock: boolean): Promise<CommittedLayout>
  /** Deletes these connectors' state rows (a completed backfill's partitions); resolves to their latest write time (ms; 0 if none). */
  dropStates(connectorIds: readonly string[]): Promise<number>
  /** The MAR buckets on the sync's connection, where a completion merges its partitions' counts. */
  readonly mar: MarStorage
}

/** A table's layout as another writer may have committed it, and the names taken next to it (`FleetDriver.committedLayout`). */
export interface CommittedLayout {
  readonly layout: TableLayout | undefined
  readonly taken: readonly string[]
}

/** The connector's row of `_sluice_state`, saved with each checkpoint. */
export interface StateRow {
  readonly connectorId: string
  readonly state: string
  readonly pending: Readonly<Record<string, string>>
  /** ISO time of the latest write. */
  readonly lastSynced: string
}

/** What a driver can do beyond the required methods; the engine refuses, at `open()`, what it can't. */
export interface DriverCapabilities {
  /** Write modes it stores faithfully. A table declared with another one fails with `CONFIG_INVALID`. */
  readonly modes: readonly WriteMode[]
  /**
   * The destination can't ALTER a table it updated earlier in the same transaction (DuckDB): the
   * engine keeps what it wrote since the last commit and, on such a schema change, rolls back and
   * writes it again with every schema change first. Such a driver's `write` and `deleteMatching`
   * resolve to whether they may have changed existing rows.
   */
  readonly replayOnAlter?: boolean
}

/** Where the engine's own timing of a schema step comes from: the layouts before and after, and the changes. */
export interface LayoutStep {
  readonly before: TableLayout
  readonly after: TableLayout
  readonly changes: readonly SchemaChange[]
}

/**
 * One destination's side of one sync: a connection with its open transaction, and the few
 * statements the warehouse engine (`engine.ts`) needs. The engine owns the protocol — when to
 * begin and commit, which layout a batch needs, deferred truncates, write times, meta rows in the
 * same transaction as the data — and a driver only says how its database does each step.
 *
 * A driver lives for one sync (`open` to `close`); it may cache statements and writers per
 * layout (a new layout object means the table changed). Methods may do synchronous work behind
 * their promise (SQLite), but are called once per batch, never per row.
 */
export interface WarehouseDriver {
  /** Short name for errors (`sqlite`, `postgres`, …). */
  readonly name: string
  readonly capabilities: DriverCapabilities

  /** Layouts and the connector's state row; called once, before the first transaction. */
  load(args: { readonly connectorId: string }): Promise<SavedMeta>
  /** Names already used in the destination's namespace (tables, and whatever shares their namespace). */
  takenNames(): Promise<Iterable<string>>

  /** Opens a transaction. May complete synchronously (then returns void), which MAR metering of SQLite relies on. */
  begin(): Promise<void> | void
  /**
   * Saves `state` (when given) and commits the open transaction: durable when it resolves.
   * Resolves to true if it also opened the next transaction (one round trip for both).
   */
  commit(args: { readonly state?: StateRow }): Promise<boolean>
  /** Rolls back the open transaction, if the destination still has one. */
  rollback(): Promise<void>

  /** CREATE TABLE for a layout the engine planned. */
  createTable(layout: TableLayout): Promise<void>
  /** Adds the columns and widens the types of `step.changes` (`add_column`, `change_type`). */
  alterTable(step: LayoutStep): Promise<void>
  /** Saves the layout in `_sluice_tables`. */
  saveLayout(layout: TableLayout): Promise<void>
  /** Appends applied schema changes to `_sluice_schema_history`. */
  insertHistory(args: { readonly connectorId: string; readonly syncId: string; readonly table: string; readonly changes: readonly SchemaChange[] }): Promise<void>

  /** Writes one records batch, every row with write time `synced` (ISO UTC). */
  write(args: { readonly layout: TableLayout; readonly op: RecordOp; readonly batch: Batch; readonly synced: string }): Promise<boolean | void>
  /** Soft-deletes the live rows whose `column` holds one of the batch's values (`match: 'column'`). */
  deleteMatching(args: { readonly layout: TableLayout; readonly column: string; readonly batch: Batch; readonly synced: string }): Promise<boolean | void>
  /**
   * Applies a deferred truncate: soft-deletes the live rows written before `before`, with write
   * time `now`; in a history table, closes the active versions at `now`.
   */
  applyTruncate(args: { readonly layout: TableLayout; readonly before: string; readonly now: string }): Promise<void>

  /** Appends error records to `_sluice_errors`. */
  insertErrors(args: { readonly connectorId: string; readonly syncId: string; readonly errors: readonly ErrorRecord[] }): Promise<void>
  /** After a successful sync: no pending truncates left, `last_synced` set (on the connector's state row, if any). */
  finishState(args: { readonly connectorId: string; readonly lastSynced: string }): Promise<void>
  /** Records a finished sync in `_sluice_syncs` (inside the transaction on success; on its own after a rollback). */
  recordSync(report: SyncReport): Promise<void>

  /** Work due at a successful close before the truncates (SQLite merges its row indexes). */
  beforeFinish?(): Promise<void>
  /** Drops per-run writers and staging before the transaction ends (also before a replay). */
  endWrites?(): Promise<void>
  /** Fenced commits, partition runs and completions (`SinkOpenArgs.fleet`); absent: a fleet sync is refused. */
  readonly fleet?: FleetDriver
  /**
   * The error to throw for a failure of the destination's own (not a `SluiceError`) while the
   * engine did `what` (e.g. "creating table orders"); absent: a `DESTINATION_WRITE` naming the driver.
   */
  failure?(cause: unknown, what: string, context: Record<string, unknown>): SluiceError
}
