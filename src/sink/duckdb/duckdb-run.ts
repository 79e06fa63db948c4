import type { DuckDBConnection } from '@duckdb/node-api'
import type { ErrorRecord } from '../../core/error-record.js'
import { matchColumn } from '../../core/match-column.js'
import type { RecordsMessage, SchemaChange } from '../../core/message.js'
import type { MeterArgs, MeterResult } from '../../mar/mar-store.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { TableSpec } from '../../core/table-spec.js'
import type { SyncReport } from '../../sync/sync-report.js'
import { DeferredTruncates } from '../layout/deferred-truncates.js'
import { quoteIdent } from '../layout/normalize-name.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'
import type { AppliedSchemaChange, SinkMessage } from '../sink.js'
import { createTableSql, duckdbType, HISTORY } from './duckdb-ddl.js'
import { insertErrors, insertHistory, loadLayouts, loadState, recordSync, saveLayout, saveStateSql } from './duckdb-meta.js'
import { migrateColumn, registerWiden } from './duckdb-migrate.js'
import { SchemaPlan, type PlannedStep } from './duckdb-schema-plan.js'
import { meter, recordThreshold } from './duckdb-stores.js'
import { DuckDbTableWriter } from './duckdb-table-writer.js'
import type { DuckDbModule } from './load-duckdb.js'

/**
 * Rows written since the last commit that a run keeps for a replay (see `#replay`): beyond
 * this, a schema change after an update of the same table in one checkpoint interval fails
 * with a message asking for more frequent checkpoints.
 */
const REPLAY_ROWS = 250_000

/** What a run did since its last commit, in order: what a replay does again. */
type Pending =
  | { readonly message: SinkMessage }
  | { readonly errors: readonly ErrorRecord[] }
  | { readonly meter: MeterArgs }
  | { readonly threshold: { readonly month: string; readonly threshold: number; readonly rows: number } }

/**
 * One sync's work on an open DuckDB connection: layouts, writers, the open transaction and
 * pending truncates. Same flow as the SQLite sink, with one DuckDB-specific twist: DuckDB can't
 * commit a transaction that updated rows of a table and then altered it ("another transaction
 * has altered this table"). So the run keeps the messages written since the last commit, and
 * when a schema change hits a table already updated in the transaction it rolls back, applies
 * the schema changes first, and writes the messages again: still one transaction, same result.
 */
export class DuckDbRun {
  readonly #duck: DuckDbModule
  readonly #connection: DuckDBConnection
  readonly #connectorId: string
  readonly #syncId: string
  readonly #writers = new Map<string, DuckDbTableWriter>()
  readonly #truncates: DeferredTruncates
  /** Layouts and table existence: `#plan.committed` as of the last commit, `#plan` as of now. */
  #plan: SchemaPlan
  #committedPlan: SchemaPlan
  /** Tables whose existing rows this transaction changed: altering them needs a replay. */
  readonly #updated = new Set<string>()
  #pending: Pending[] | undefined = []
  #pendingRows = 0
  #inTransaction = false
  #synced = ''
  /** Whether `_sluice_state` has this connector's row (committed): then a checkpoint updates it. */
  #stateSaved: boolean

  private constructor(
    duck: DuckDbModule, connection: DuckDBConnection, connectorId: string, syncId: string, plan: SchemaPlan, truncates: DeferredTruncates, stateSaved: boolean,
  ) {
    this.#stateSaved = stateSaved
    this.#duck = duck
    this.#connection = connection
    this.#connectorId = connectorId
    this.#syncId = syncId
    this.#plan = plan
    this.#committedPlan = plan.clone()
    this.#truncates = truncates
  }

  /** Loads layouts and the connector's pending truncates, and plans the declared tables. */
  static async start(duck: DuckDbModule, connection: DuckDBConnection, connectorId: string, syncId: string, tables: readonly TableSpec[]): Promise<DuckDbRun> {
    registerWiden(duck, connection)
    const layouts = await loadLayouts(connection)
    const saved = await loadState(connection, connectorId)
    const reader = await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`)
    const existing = reader.getRows().map((r) => r[0] as string)
    const truncates = new DeferredTruncates(saved.pending, saved.lastSynced)
    for (const spec of tables) if (spec.mode === 'replace') truncates.replace(spec.table)
    return new DuckDbRun(duck, connection, connectorId, syncId, new SchemaPlan(tables, layouts, existing), truncates, saved.state !== undefined)
  }

  async write(message: SinkMessage): Promise<AppliedSchemaChange[]> {
    await this.#begin()
    this.#remember({ message })
    if (message.kind === 'truncate') {
      this.#truncates.truncate(message.table)
      this.#synced = new Date(this.#truncates.current).toISOString()
      return []
    }
    if (matchColumn(message) !== undefined) {
      // Finds rows, never creates a table or a column.
      const layout = this.#plan.layout(message.table)
      if (layout && this.#plan.created(message.table)) await this.#writeRows(message.table, layout, message as RecordsMessage)
      return []
    }
    const step = this.#plan.step(message)
    if (step.changes.length > 0 && !step.isNew && this.#updated.has(step.table)) return this.#replay(step)
    await this.#applyStep(step)
    if (message.kind === 'records') await this.#writeRows(message.table, step.after, message)
    return step.changes.map((change) => ({ table: step.table, change }))
  }

  async recordErrors(errors: readonly ErrorRecord[]): Promise<void> {
    await this.#begin()
    this.#remember({ errors })
    await insertErrors(this.#connection, this.#connectorId, this.#syncId, errors)
  }

  /**
   * Saves the state and commits, then opens the next transaction, in one call: each call is a
   * round trip to DuckDB's threads, and on a busy machine those cost more than the statements.
   */
  /** Meters MAR keys in the open transaction, so counts commit with the rows (see `MarStore.meter`). */
  async meter(args: MeterArgs): Promise<MeterResult> {
    await this.#begin()
    this.#remember({ meter: args })
    return meter(this.#connection, this.#connectorId, args)
  }

  /** Marks a MAR budget threshold as fired, in the open transaction. */
  async recordMarThreshold(args: { readonly month: string; readonly threshold: number; readonly rows: number }): Promise<boolean> {
    await this.#begin()
    this.#remember({ threshold: args })
    return recordThreshold(this.#connection, this.#connectorId, args.month, args.threshold, args.rows)
  }

  async checkpoint(stateText: string): Promise<void> {
    await this.#begin()
    const save = saveStateSql(this.#connectorId, stateText, this.#truncates.toJSON(), new Date(this.#truncates.current).toISOString(), this.#stateSaved)
    this.#inTransaction = false
    await this.#connection.run(`${save}; COMMIT; BEGIN TRANSACTION`)
    this.#stateSaved = true
    this.#committed()
    this.#inTransaction = true
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }

  /** Ends the run: on success applies pending truncates; otherwise rolls back to the last checkpoint. Records the sync either way. */
  async close(succeeded: boolean, report: SyncReport): Promise<void> {
    for (const writer of this.#writers.values()) await writer.dispose().catch(() => undefined)
    this.#writers.clear()
    if (!succeeded) {
      // DuckDB ends a transaction itself after some errors: nothing is left to roll back then.
      if (this.#inTransaction) await this.#connection.run('ROLLBACK').catch(() => undefined)
      this.#inTransaction = false
      await recordSync(this.#connection, report)
      return
    }
    await this.#begin()
    const now = new Date(this.#truncates.tick()).toISOString()
    const deleted = quoteIdent(SYSTEM.deleted)
    const synced = quoteIdent(SYSTEM.synced)
    for (const [table, before] of this.#truncates.entries()) {
      const layout = this.#plan.layout(table)
      if (!layout || !this.#plan.created(table)) continue
      // History tables: the active versions written before the truncate are closed too.
      const closing = layout.mode === 'history' ? `, ${quoteIdent(HISTORY.active)} = false, ${quoteIdent(HISTORY.end)} = CAST($1 AS TIMESTAMPTZ)` : ''
      const which = layout.mode === 'history' ? quoteIdent(HISTORY.active) : `NOT ${deleted}`
      await this.#connection.run(
        `UPDATE ${quoteIdent(layout.name)} SET ${deleted} = true, ${synced} = CAST($1 AS TIMESTAMPTZ)${closing} WHERE ${synced} < CAST($2 AS TIMESTAMPTZ) AND ${which}`,
        [now, before],
      )
    }
    this.#truncates.clear()
    await this.#connection.run('UPDATE "_sluice_state" SET "pending_truncates" = $1, "last_synced" = $2 WHERE "connector_id" = $3', [
      '{}', new Date(this.#truncates.current).toISOString(), this.#connectorId,
    ])
    await recordSync(this.#connection, report)
    await this.#commit()
  }

  /**
   * Rolls the transaction back, then redoes it with every schema change first: the steps of
   * the messages since the last commit (and of `current`) are planned again from the committed
   * layouts, their DDL applied while no row is updated yet, then the rows written again.
   */
  async #replay(current: PlannedStep): Promise<AppliedSchemaChange[]> {
    const pending = this.#pending
    if (!pending) {
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `duckdb: table ${current.table} changed schema after more than ${REPLAY_ROWS} rows were written without a checkpoint, some of them updates to it; DuckDB can't alter a table it updated in the same transaction, so emit checkpoints more often`,
        context: { table: current.table },
      })
    }
    await this.#connection.run('ROLLBACK').catch(() => undefined)
    this.#inTransaction = false
    for (const writer of this.#writers.values()) await writer.dispose()
    this.#writers.clear()
    this.#updated.clear()
    this.#pending = []
    this.#pendingRows = 0
    this.#plan = this.#committedPlan.clone()
    await this.#begin()
    const steps = pending.map((p) => ('message' in p && p.message.kind !== 'truncate' && matchColumn(p.message) === undefined ? this.#plan.step(p.message) : undefined))
    for (const step of steps) if (step) await this.#applyStep(step)
    let applied: AppliedSchemaChange[] = []
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!
      this.#remember(p)
      if ('errors' in p) await insertErrors(this.#connection, this.#connectorId, this.#syncId, p.errors)
      else if ('meter' in p) await meter(this.#connection, this.#connectorId, p.meter)
      else if ('threshold' in p) await recordThreshold(this.#connection, this.#connectorId, p.threshold.month, p.threshold.threshold, p.threshold.rows)
      else if (p.message.kind === 'truncate') {
        this.#truncates.truncate(p.message.table)
        this.#synced = new Date(this.#truncates.current).toISOString()
      } else if (p.message.kind === 'records') {
        const layout = this.#plan.layout(p.message.table)
        if (layout && this.#plan.created(p.message.table)) await this.#writeRows(p.message.table, layout, p.message)
      }
      if (i === pending.length - 1) applied = steps[i]!.changes.map((change) => ({ table: steps[i]!.table, change }))
    }
    return applied
  }

  async #writeRows(table: string, layout: TableLayout, message: SinkMessage & { kind: 'records' }): Promise<void> {
    // History versions need a start time of their own per batch: two batches of one key in one transaction are two versions.
    const synced = layout.mode === 'history' ? new Date(this.#truncates.tick()).toISOString() : this.#synced
    const matching = matchColumn(message)
    const writer = this.#writer(layout)
    const changed = matching === undefined ? await writer.write(message.op, message.batch, synced) : await writer.deleteMatching(matching, message.batch, synced)
    if (changed) this.#updated.add(table)
  }

  /** Applies the DDL of one planned step: CREATE TABLE, or ALTERs; layout and history saved in the same transaction. */
  async #applyStep(step: PlannedStep): Promise<void> {
    const { table, before, after, changes } = step
    if (changes.length === 0) return
    await this.#dropWriter(table) // its statements and direct-append column order name the old columns
    if (step.isNew) {
      await this.#connection.run(createTableSql(after))
    } else {
      const names = new Map(after.columns.map((c) => [c.source, c]))
      for (const change of changes) {
        if (change.type === 'add_column') {
          const c = names.get(change.column)!
          await this.#connection.run(`ALTER TABLE ${quoteIdent(after.name)} ADD COLUMN ${quoteIdent(c.name)} ${duckdbType(c.type)}`)
        } else if (change.type === 'change_type') {
          await migrateColumn(this.#connection, after, names.get(change.column)!, change.from, before.primaryKey.includes(change.column))
        }
      }
    }
    await saveLayout(this.#connection, after)
    await insertHistory(this.#connection, this.#connectorId, this.#syncId, table, changes as SchemaChange[])
  }

  #remember(p: Pending): void {
    if (!this.#pending) return
    this.#pending.push(p)
    if ('message' in p && p.message.kind === 'records') this.#pendingRows += p.message.batch.length
    if (this.#pendingRows > REPLAY_ROWS) this.#pending = undefined // too much to hold: a replay would fail instead
  }

  #writer(layout: TableLayout): DuckDbTableWriter {
    let writer = this.#writers.get(layout.table)
    if (!writer) {
      writer = new DuckDbTableWriter(this.#duck, this.#connection, layout)
      this.#writers.set(layout.table, writer)
    }
    return writer
  }

  async #dropWriter(table: string): Promise<void> {
    const writer = this.#writers.get(table)
    if (!writer) return
    this.#writers.delete(table)
    await writer.dispose()
  }

  async #begin(): Promise<void> {
    if (this.#inTransaction) return
    await this.#connection.run('BEGIN TRANSACTION')
    this.#inTransaction = true
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }

  async #commit(): Promise<void> {
    await this.#connection.run('COMMIT')
    this.#inTransaction = false
    this.#committed()
  }

  /** What a commit makes permanent: the plan, and nothing left to replay. */
  #committed(): void {
    this.#committedPlan = this.#plan.clone()
    this.#updated.clear()
    this.#pending = []
    this.#pendingRows = 0
  }
}
