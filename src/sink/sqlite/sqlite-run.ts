import type Database from 'better-sqlite3'
import type { ErrorRecord } from '../../core/error-record.js'
import { matchColumn } from '../../core/match-column.js'
import type { RecordsMessage, SchemaChange } from '../../core/message.js'
import { isSluiceError, SluiceError } from '../../core/sluice-error.js'
import type { TableSpec } from '../../core/table-spec.js'
import { DeferredTruncates } from '../layout/deferred-truncates.js'
import { HISTORY } from '../layout/history-columns.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { addColumns, applySchemaChange, createTable, planTable, reconcile, SYSTEM, type TableLayout } from '../layout/table-layout.js'
import type { AppliedSchemaChange, TableMessage as SinkMessage, TableDescription } from '../../contracts/sink.js'
import { createTableSql, indexedByRowIndex, migrateColumn, sqliteType, widenRewrites } from './sqlite-ddl.js'
import { migrateToHistory } from './sqlite-history-migration.js'
import { insertErrors, insertHistory, loadLayouts, loadState, recordSync, saveLayout } from './sqlite-meta.js'
import { KeylessRowIndex } from './sqlite-row-index.js'
import { SqliteTableWriter } from './sqlite-writer.js'

/** One sync's work on an open database: layouts, writers, the open transaction and pending truncates. */
export class SqliteRun {
  readonly #db: Database.Database
  readonly #connectorId: string
  readonly #syncId: string
  readonly #specs: Map<string, TableSpec>
  readonly #layouts: Map<string, TableLayout>
  readonly #created = new Set<string>()
  readonly #writers = new Map<string, SqliteTableWriter>()
  /** Row indexes of keyless tables (by source name), kept across the writers a schema change replaces. */
  readonly #rowIndexes = new Map<string, KeylessRowIndex | undefined>()
  readonly #truncates: DeferredTruncates
  /** Tables whose declared columns were checked against the destination this run. */
  readonly #declaredChecked = new Set<string>()
  #inTransaction = false
  #synced = ''

  constructor(db: Database.Database, connectorId: string, syncId: string, tables: readonly TableSpec[]) {
    this.#db = db
    this.#connectorId = connectorId
    this.#syncId = syncId
    this.#specs = new Map(tables.map((t) => [t.table, t]))
    this.#layouts = loadLayouts(db)
    for (const t of this.#layouts.keys()) this.#created.add(t)
    // Earlier versions wrote history tables as upserts: give them their version columns first.
    for (const layout of this.#layouts.values()) if (layout.mode === 'history') migrateToHistory(db, layout)
    const saved = loadState(db, connectorId)
    this.#truncates = new DeferredTruncates(saved.pending, saved.lastSynced)
    for (const spec of tables) {
      // A table that exists gets newly declared columns at its first write (ALTER TABLE + history, in that transaction).
      if (!this.#layouts.has(spec.table)) this.#layouts.set(spec.table, planTable(spec, this.#takenNames()))
      if (spec.mode === 'replace') this.#truncates.replace(spec.table)
    }
  }

  write(message: SinkMessage): AppliedSchemaChange[] {
    this.#begin()
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
      if (layout && this.#created.has(table)) this.#writer(layout).deleteMatching(matching, (message as RecordsMessage).batch, this.#synced)
      return []
    }
    // A table's first `create_table` message (e.g. a child table from `flatten`) may set its key and mode.
    const spec = message.kind === 'schema' && message.change.type === 'create_table' ? { ...message.change.spec, table } : { table, ...this.#specs.get(table) }
    let layout = this.#layouts.get(table) ?? planTable(spec, this.#takenNames())
    const declared = this.#declaredColumns(layout)
    const { layout: next, changes } =
      message.kind === 'records' ? reconcile(declared.layout, message.batch) : applySchemaChange(declared.layout, message.change)
    const applied = this.#apply(layout, next, [...declared.changes, ...changes])
    layout = next
    if (message.kind === 'records') {
      // History versions need a start time of their own per batch: two batches of one key in one transaction are two versions.
      const synced = layout.mode === 'history' ? new Date(this.#truncates.tick()).toISOString() : this.#synced
      this.#writer(layout).write(message.op, message.batch, synced)
    }
    return applied.map((change) => ({ table, change }))
  }

  recordErrors(errors: readonly ErrorRecord[]): void {
    this.#begin()
    insertErrors(this.#db, this.#connectorId, this.#syncId, errors)
  }

  checkpoint(stateText: string): void {
    this.#begin()
    this.#saveState(stateText)
    this.#commit()
  }

  close(succeeded: boolean, report: Parameters<typeof recordSync>[1]): void {
    if (!succeeded) {
      if (this.#inTransaction) this.#db.exec('ROLLBACK')
      this.#inTransaction = false
      recordSync(this.#db, report)
      return
    }
    this.#begin()
    // The next run then starts with no tail to read back (sqlite-row-index.ts).
    for (const index of this.#rowIndexes.values()) index?.merge()
    const now = new Date(this.#truncates.tick()).toISOString()
    for (const [table, before] of this.#truncates.entries()) {
      const layout = this.#layouts.get(table)
      if (!layout || !this.#created.has(table)) continue
      const deleted = quoteIdent(SYSTEM.deleted)
      const synced = quoteIdent(SYSTEM.synced)
      // History tables: the active versions written before the truncate are closed, at its application.
      const history = layout.mode === 'history'
      const close = history ? `, ${quoteIdent(HISTORY.active)} = 0, ${quoteIdent(HISTORY.end)} = @now` : ''
      const live = history ? quoteIdent(HISTORY.active) : `${deleted} = 0`
      this.#db.prepare(`UPDATE ${quoteIdent(layout.name)} SET ${deleted} = 1, ${synced} = @now${close} WHERE ${synced} < @before AND ${live}`).run({ now, before })
    }
    this.#truncates.clear()
    this.#db
      .prepare('UPDATE "_sluice_state" SET "pending_truncates" = ?, "last_synced" = ? WHERE "connector_id" = ?')
      .run('{}', new Date(this.#truncates.current).toISOString(), this.#connectorId)
    recordSync(this.#db, report)
    this.#commit()
  }

  /** On the first write of a run to an existing table, the columns its spec declares that the table lacks. */
  #declaredColumns(layout: TableLayout): { layout: TableLayout; changes: SchemaChange[] } {
    const table = layout.table
    if (this.#declaredChecked.has(table) || !this.#created.has(table)) return { layout, changes: [] }
    this.#declaredChecked.add(table)
    return addColumns(layout, Object.entries(this.#specs.get(table)?.columns ?? {}))
  }

  /** Applies a layout step; a failure of SQLite's (not ours) is the destination's, never reported as the source's. */
  #apply(before: TableLayout, after: TableLayout, changes: readonly SchemaChange[]): SchemaChange[] {
    try {
      return this.#applyDdl(before, after, changes)
    } catch (cause) {
      if (isSluiceError(cause)) throw cause
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `sqlite: changing table ${after.name} (source table ${after.table}) failed: ${(cause as Error).message}`,
        cause,
        context: { table: after.table },
      })
    }
  }

  #applyDdl(before: TableLayout, after: TableLayout, changes: readonly SchemaChange[]): SchemaChange[] {
    const table = after.table
    if (!this.#created.has(table)) {
      const typed = new Set(after.columns.map((c) => c.source))
      if (!after.primaryKey.every((k) => typed.has(k))) {
        // Key types come from the first rows: create the table then.
        this.#layouts.set(table, after)
        return []
      }
      this.#db.exec(createTableSql(after))
      saveLayout(this.#db, after)
      const created = [createTable(after)]
      insertHistory(this.#db, this.#connectorId, this.#syncId, table, created)
      this.#created.add(table)
      this.#layouts.set(table, after)
      this.#writers.delete(table)
      return created
    }
    if (changes.length === 0) return []
    const names = new Map(after.columns.map((c) => [c.source, c]))
    for (const change of changes) {
      if (change.type === 'add_column') {
        const c = names.get(change.column)!
        this.#db.exec(`ALTER TABLE ${quoteIdent(after.name)} ADD COLUMN ${quoteIdent(c.name)} ${sqliteType(c.type)}`)
      } else if (change.type === 'change_type' && widenRewrites(change.from, change.to)) {
        migrateColumn(this.#db, after, names.get(change.column)!, change.from, before.primaryKey.includes(change.column))
      }
    }
    saveLayout(this.#db, after)
    insertHistory(this.#db, this.#connectorId, this.#syncId, table, changes)
    this.#layouts.set(table, after)
    this.#writers.delete(table)
    return [...changes]
  }

  #writer(layout: TableLayout): SqliteTableWriter {
    let writer = this.#writers.get(layout.table)
    if (!writer) {
      writer = new SqliteTableWriter(this.#db, layout, this.#rowIndex(layout))
      this.#writers.set(layout.table, writer)
    }
    return writer
  }

  /** The row index of a keyless table created without a key constraint; none for other tables (or older keyless ones, which keep theirs). */
  #rowIndex(layout: TableLayout): KeylessRowIndex | undefined {
    if (!indexedByRowIndex(layout)) return undefined
    if (!this.#rowIndexes.has(layout.table)) {
      const keyed = this.#db.prepare(`SELECT 1 FROM pragma_index_list(?) WHERE "origin" = 'pk'`).get(layout.name) !== undefined
      this.#rowIndexes.set(layout.table, keyed ? undefined : new KeylessRowIndex(this.#db, layout.name))
    }
    return this.#rowIndexes.get(layout.table)
  }

  #takenNames(): Set<string> {
    // Tables and indexes share one namespace in SQLite.
    const rows = this.#db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'view', 'trigger')`).all() as { name: string }[]
    return new Set([...rows.map((r) => r.name), ...[...this.#layouts.values()].map((l) => l.name)])
  }

  #saveState(stateText: string): void {
    this.#db
      .prepare(
        `INSERT INTO "_sluice_state" ("connector_id", "state", "pending_truncates", "last_synced", "updated_at") VALUES (?, ?, ?, ?, ?)
         ON CONFLICT ("connector_id") DO UPDATE SET "state" = excluded."state", "pending_truncates" = excluded."pending_truncates",
           "last_synced" = excluded."last_synced", "updated_at" = excluded."updated_at"`,
      )
      .run(this.#connectorId, stateText, JSON.stringify(this.#truncates.toJSON()), new Date(this.#truncates.current).toISOString(), new Date().toISOString())
  }

  /** The open transaction (begun if needed), for writes that must commit with the data (MAR). */
  transaction(): { db: Database.Database; connectorId: string } {
    this.#begin()
    return { db: this.#db, connectorId: this.#connectorId }
  }

  #begin(): void {
    if (this.#inTransaction) return
    this.#db.exec('BEGIN IMMEDIATE')
    this.#inTransaction = true
    for (const index of this.#rowIndexes.values()) index?.newTransaction()
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }

  #commit(): void {
    this.#db.exec('COMMIT')
    this.#inTransaction = false
  }
}

export function describeLayout(layout: TableLayout): TableDescription {
  return { table: layout.table, name: layout.name, primaryKey: layout.primaryKey, mode: layout.mode, columns: layout.columns }
}
