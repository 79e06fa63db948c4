import type pg from 'pg'
import type { ErrorRecord } from '../../core/error-record.js'
import { matchColumn } from '../../core/match-column.js'
import type { RecordsMessage, SchemaChange } from '../../core/message.js'
import { isSluiceError } from '../../core/sluice-error.js'
import type { TableSpec } from '../../core/table-spec.js'
import type { SyncReport } from '../../sync/sync-report.js'
import { DeferredTruncates } from '../layout/deferred-truncates.js'
import { quoteIdent } from '../layout/normalize-name.js'
import { addColumns, applySchemaChange, createTable, planTable, reconcile, type TableLayout } from '../layout/table-layout.js'
import type { AppliedSchemaChange, SinkMessage } from '../sink.js'
import { pgError } from './postgres-connection.js'
import { createTableSql, pgType, qualified } from './postgres-ddl.js'
import { truncateSql } from './postgres-merge.js'
import { insertErrors, insertHistory, loadLayouts, loadState, recordSync, saveLayout, saveStateSql } from './postgres-meta.js'
import { migrateColumn } from './postgres-migrate.js'
import { PostgresTableWriter } from './postgres-writer.js'

/**
 * One sync's work on one borrowed connection: layouts, writers, the open transaction and pending
 * truncates. Writes run inside `BEGIN … COMMIT` spanning one checkpoint, and the state row is
 * written by the same COMMIT, so data and state are durable together or not at all.
 */
export class PostgresRun {
  readonly #client: pg.PoolClient
  readonly #schema: string
  readonly #connectorId: string
  readonly #syncId: string
  readonly #specs: Map<string, TableSpec>
  #layouts = new Map<string, TableLayout>()
  readonly #created = new Set<string>()
  readonly #writers = new Map<string, PostgresTableWriter>()
  readonly #staged = new Set<string>()
  /** Tables whose declared columns were checked against the destination this run. */
  readonly #declaredChecked = new Set<string>()
  #truncates = new DeferredTruncates()
  #inTransaction = false
  #synced = ''

  private constructor(client: pg.PoolClient, schema: string, connectorId: string, syncId: string, tables: readonly TableSpec[]) {
    this.#client = client
    this.#schema = schema
    this.#connectorId = connectorId
    this.#syncId = syncId
    this.#specs = new Map(tables.map((t) => [t.table, t]))
  }

  /** Loads layouts and the saved state; returns the run and the saved state text. */
  static async start(client: pg.PoolClient, schema: string, args: { connectorId: string; syncId: string; tables: readonly TableSpec[] }): Promise<{ run: PostgresRun; state?: string }> {
    const run = new PostgresRun(client, schema, args.connectorId, args.syncId, args.tables)
    run.#layouts = await loadLayouts(client, schema)
    for (const t of run.#layouts.keys()) run.#created.add(t)
    const saved = await loadState(client, schema, args.connectorId)
    run.#truncates = new DeferredTruncates(saved.pending, saved.lastSynced)
    const taken = await run.#takenNames()
    for (const spec of args.tables) {
      // A table that exists gets newly declared columns at its first write (ALTER TABLE + history, in that transaction).
      if (!run.#layouts.has(spec.table)) {
        const layout = planTable(spec, taken)
        taken.add(layout.name)
        run.#layouts.set(spec.table, layout)
      }
      if (spec.mode === 'replace') run.#truncates.replace(spec.table)
    }
    return { run, ...(saved.state === undefined ? {} : { state: saved.state }) }
  }

  async write(message: SinkMessage): Promise<AppliedSchemaChange[]> {
    if (message.kind === 'errors') {
      await this.recordErrors(message.errors)
      return []
    }
    await this.#begin()
    const table = message.table
    if (message.kind === 'truncate') {
      this.#truncates.truncate(table)
      this.#synced = new Date(this.#truncates.current).toISOString()
      return []
    }
    const matching = matchColumn(message)
    if (matching !== undefined) {
      // Finds rows, never creates a table or a column.
      const layout = this.#layouts.get(table)
      if (layout && this.#created.has(table)) await this.#writer(layout).deleteMatching(matching, (message as RecordsMessage).batch, this.#synced)
      return []
    }
    // A table's first `create_table` message (e.g. a child table from `flatten`) may set its key and mode.
    const spec = message.kind === 'schema' && message.change.type === 'create_table' ? { ...message.change.spec, table } : { table, ...this.#specs.get(table) }
    const layout = this.#layouts.get(table) ?? planTable(spec, await this.#takenNames())
    const declared = this.#declaredColumns(layout)
    const { layout: next, changes } =
      message.kind === 'records' ? reconcile(declared.layout, message.batch) : applySchemaChange(declared.layout, message.change)
    const applied = await this.#apply(layout, next, [...declared.changes, ...changes])
    if (message.kind === 'records') {
      // History versions need a start time of their own per batch: two batches of one key in one transaction are two versions.
      const synced = next.mode === 'history' ? new Date(this.#truncates.tick()).toISOString() : this.#synced
      await this.#writer(next).write(message.op, message.batch, synced)
    }
    return applied.map((change) => ({ table, change }))
  }

  async recordErrors(errors: readonly ErrorRecord[]): Promise<void> {
    await this.#begin()
    await this.#query(() => insertErrors(this.#client, this.#schema, this.#connectorId, this.#syncId, errors), 'recording errors')
  }

  /**
   * Saves the state and commits — durable when it resolves — and opens the next transaction in
   * the same round trip (a bare BEGIN takes no snapshot and holds no lock until the next write).
   */
  async checkpoint(stateText: string): Promise<void> {
    await this.#begin()
    const save = saveStateSql(this.#schema, this.#connectorId, stateText, JSON.stringify(this.#truncates.toJSON()), new Date(this.#truncates.current).toISOString())
    await this.#query(() => this.#client.query(`${save}; COMMIT; BEGIN`), 'committing a checkpoint')
    this.#opened()
  }

  /** On success applies deferred truncates and commits; otherwise rolls back to the last checkpoint. Records the sync either way. */
  async close(succeeded: boolean, report: SyncReport): Promise<void> {
    if (!succeeded) {
      // Also after a failed checkpoint, whose transaction state is unknown (a ROLLBACK outside one is only a warning).
      await this.#client.query('ROLLBACK')
      this.#inTransaction = false
      await recordSync(this.#client, this.#schema, report)
      return
    }
    await this.#begin()
    const now = new Date(this.#truncates.tick()).toISOString()
    const statements: string[] = []
    for (const [table, before] of this.#truncates.entries()) {
      const layout = this.#layouts.get(table)
      if (layout && this.#created.has(table)) statements.push(truncateSql(this.#schema, layout, before, now))
    }
    this.#truncates.clear()
    await this.#query(async () => {
      if (statements.length) await this.#client.query(statements.join(';\n'))
      await this.#client.query(
        `UPDATE ${quoteIdent(this.#schema)}."_sluice_state" SET "pending_truncates" = '{}', "last_synced" = $1 WHERE "connector_id" = $2`,
        [new Date(this.#truncates.current).toISOString(), this.#connectorId],
      )
      await recordSync(this.#client, this.#schema, report)
      await this.#client.query('COMMIT')
    }, 'finishing the sync')
    this.#inTransaction = false
  }

  /** The open transaction (begun if needed), for writes that must commit with the data (MAR). */
  async transaction(): Promise<{ client: pg.PoolClient; connectorId: string }> {
    await this.#begin()
    return { client: this.#client, connectorId: this.#connectorId }
  }

  /** Drops this run's staging tables (kept on a pooled connection otherwise). */
  async dropStaging(): Promise<void> {
    if (this.#staged.size) await this.#client.query(`DROP TABLE IF EXISTS ${[...this.#staged].join(', ')}`)
  }

  async #apply(before: TableLayout, after: TableLayout, changes: readonly SchemaChange[]): Promise<SchemaChange[]> {
    const table = after.table
    if (!this.#created.has(table)) {
      const typed = new Set(after.columns.map((c) => c.source))
      if (!after.primaryKey.every((k) => typed.has(k))) {
        // Key types come from the first rows: create the table then.
        this.#layouts.set(table, after)
        return []
      }
      const created = [createTable(after)]
      await this.#query(async () => {
        await this.#client.query(createTableSql(this.#schema, after))
        await saveLayout(this.#client, this.#schema, after)
        await insertHistory(this.#client, this.#schema, this.#connectorId, this.#syncId, table, created)
      }, `creating table ${after.name}`)
      this.#created.add(table)
      this.#layouts.set(table, after)
      this.#writers.delete(table)
      return created
    }
    if (changes.length === 0) {
      if (before !== after) this.#layouts.set(table, after)
      return []
    }
    const names = new Map(after.columns.map((c) => [c.source, c]))
    const t = qualified(this.#schema, after.name)
    await this.#query(async () => {
      for (const change of changes) {
        const c = names.get(change.type === 'create_table' ? '' : change.column)
        if (!c) continue
        if (change.type === 'add_column') await this.#client.query(`ALTER TABLE ${t} ADD COLUMN ${quoteIdent(c.name)} ${pgType(c.type)}`)
        else if (change.type === 'change_type') await migrateColumn(this.#client, this.#schema, after, c, change.from, before.primaryKey.includes(change.column))
      }
      await saveLayout(this.#client, this.#schema, after)
      await insertHistory(this.#client, this.#schema, this.#connectorId, this.#syncId, table, changes)
    }, `changing table ${after.name}`)
    this.#layouts.set(table, after)
    this.#writers.delete(table)
    return [...changes]
  }

  /** On the first write of a run to an existing table, the columns its spec declares that the table lacks. */
  #declaredColumns(layout: TableLayout): { layout: TableLayout; changes: SchemaChange[] } {
    const table = layout.table
    if (this.#declaredChecked.has(table) || !this.#created.has(table)) return { layout, changes: [] }
    this.#declaredChecked.add(table)
    return addColumns(layout, Object.entries(this.#specs.get(table)?.columns ?? {}))
  }

  #writer(layout: TableLayout): PostgresTableWriter {
    let writer = this.#writers.get(layout.table)
    if (!writer) {
      writer = new PostgresTableWriter(this.#client, this.#schema, layout, this.#staged)
      this.#writers.set(layout.table, writer)
    }
    return writer
  }

  async #takenNames(): Promise<Set<string>> {
    const r = await this.#client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
      [this.#schema],
    )
    return new Set([...r.rows.map((row) => row.name), ...[...this.#layouts.values()].map((l) => l.name)])
  }

  async #begin(): Promise<void> {
    if (this.#inTransaction) return
    await this.#query(() => this.#client.query('BEGIN'), 'starting a transaction')
    this.#opened()
  }

  /** A new transaction is open: its rows get the next write time. */
  #opened(): void {
    this.#inTransaction = true
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }

  async #query<T>(work: () => Promise<T>, what: string): Promise<T> {
    try {
      return await work()
    } catch (cause) {
      throw isSluiceError(cause) ? cause : pgError('DESTINATION_WRITE', `postgres: ${what} failed`, cause, { schema: this.#schema })
    }
  }
}
