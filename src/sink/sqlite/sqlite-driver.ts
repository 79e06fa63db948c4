import type Database from 'better-sqlite3'
import { SluiceError } from '../../core/sluice-error.js'
import { HISTORY } from '../layout/history-columns.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'
import type { WarehouseDriver } from '../../warehouse/driver.js'
import { createTableSql, indexedByRowIndex, migrateColumn, sqliteType, widenRewrites } from './sqlite-ddl.js'
import { migrateToHistory } from './sqlite-history-migration.js'
import { sqliteFleet } from './sqlite-fleet.js'
import { insertErrors, insertHistory, loadLayouts, loadState, recordSync, saveLayout, takenNames } from './sqlite-meta.js'
import { KeylessRowIndex } from './sqlite-row-index.js'
import { SqliteTableWriter } from './sqlite-writer.js'

/**
 * SQLite as a warehouse driver: one connection, `BEGIN IMMEDIATE` transactions, prepared
 * statements per table layout. better-sqlite3 is synchronous: every method does its work at
 * once behind the promise, so a batch costs one resolved await, not one per statement.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { sqliteDriver } from './sqlite-driver.js'
 * const driver = sqliteDriver(new Database(':memory:'))
 * ```
 */
export function sqliteDriver(db: Database.Database): WarehouseDriver {
  const writers = new Map<string, SqliteTableWriter>()
  /** Row indexes of keyless tables (by source name), kept across the writers a schema change replaces. */
  const rowIndexes = new Map<string, KeylessRowIndex | undefined>()
  const q = quoteIdent

  /** The row index of a keyless table created without a key constraint; none for other tables (or older keyless ones, which keep theirs). */
  const rowIndex = (layout: TableLayout): KeylessRowIndex | undefined => {
    if (!indexedByRowIndex(layout)) return undefined
    if (!rowIndexes.has(layout.table)) {
      const keyed = db.prepare(`SELECT 1 FROM pragma_index_list(?) WHERE "origin" = 'pk'`).get(layout.name) !== undefined
      rowIndexes.set(layout.table, keyed ? undefined : new KeylessRowIndex(db, layout.name))
    }
    return rowIndexes.get(layout.table)
  }
  /** The writer of a layout: a changed layout (a new object) gets a new writer, since its statements name the old columns. */
  const writer = (layout: TableLayout): SqliteTableWriter => {
    let w = writers.get(layout.table)
    if (!w || w.layout !== layout) {
      w = new SqliteTableWriter(db, layout, rowIndex(layout))
      writers.set(layout.table, w)
    }
    return w
  }

  return {
    name: 'sqlite',
    capabilities: { modes: ['upsert', 'append', 'replace', 'history'] },
    async load({ connectorId }) {
      const layouts = loadLayouts(db)
      // Earlier versions wrote history tables as upserts: give them their version columns first.
      for (const layout of layouts.values()) if (layout.mode === 'history') migrateToHistory(db, layout)
      return { layouts, ...loadState(db, connectorId) }
    },
    async takenNames() {
      return takenNames(db)
    },
    begin() {
      db.exec('BEGIN IMMEDIATE')
      for (const index of rowIndexes.values()) index?.newTransaction()
    },
    async commit({ state }) {
      if (state) {
        db.prepare(
          `INSERT INTO "_sluice_state" ("connector_id", "state", "pending_truncates", "last_synced", "updated_at") VALUES (?, ?, ?, ?, ?)
           ON CONFLICT ("connector_id") DO UPDATE SET "state" = excluded."state", "pending_truncates" = excluded."pending_truncates",
             "last_synced" = excluded."last_synced", "updated_at" = excluded."updated_at"`,
        ).run(state.connectorId, state.state, JSON.stringify(state.pending), state.lastSynced, new Date().toISOString())
      }
      db.exec('COMMIT')
      // The next transaction begins at the next write: BEGIN IMMEDIATE takes the write lock, which another writer may want meanwhile.
      return false
    },
    async rollback() {
      if (db.inTransaction) db.exec('ROLLBACK')
    },
    async createTable(layout) {
      db.exec(createTableSql(layout))
    },
    async alterTable({ before, after, changes }) {
      const names = new Map(after.columns.map((c) => [c.source, c]))
      for (const change of changes) {
        if (change.type === 'add_column') {
          const c = names.get(change.column)!
          db.exec(`ALTER TABLE ${q(after.name)} ADD COLUMN ${q(c.name)} ${sqliteType(c.type)}`)
        } else if (change.type === 'change_type' && widenRewrites(change.from, change.to)) {
          migrateColumn(db, after, names.get(change.column)!, change.from, before.primaryKey.includes(change.column))
        }
      }
    },
    async saveLayout(layout) {
      saveLayout(db, layout)
    },
    async insertHistory({ connectorId, syncId, table, changes }) {
      insertHistory(db, connectorId, syncId, table, changes)
    },
    async write({ layout, op, batch, synced }) {
      writer(layout).write(op, batch, synced)
    },
    async deleteMatching({ layout, column, batch, synced }) {
      writer(layout).deleteMatching(column, batch, synced)
    },
    async applyTruncate({ layout, before, now }) {
      // History tables: the active versions written before the truncate are closed, at its application.
      const history = layout.mode === 'history'
      const close = history ? `, ${q(HISTORY.active)} = 0, ${q(HISTORY.end)} = @now` : ''
      const live = history ? q(HISTORY.active) : `${q(SYSTEM.deleted)} = 0`
      db.prepare(`UPDATE ${q(layout.name)} SET ${q(SYSTEM.deleted)} = 1, ${q(SYSTEM.synced)} = @now${close} WHERE ${q(SYSTEM.synced)} < @before AND ${live}`).run({ now, before })
    },
    async insertErrors({ connectorId, syncId, errors }) {
      insertErrors(db, connectorId, syncId, errors)
    },
    async finishState({ connectorId, lastSynced }) {
      db.prepare('UPDATE "_sluice_state" SET "pending_truncates" = ?, "last_synced" = ? WHERE "connector_id" = ?').run('{}', lastSynced, connectorId)
    },
    async recordSync(report) {
      recordSync(db, report)
    },
    async beforeFinish() {
      // The next run then starts with no tail to read back (sqlite-row-index.ts).
      for (const index of rowIndexes.values()) index?.merge()
    },
    fleet: sqliteFleet(db),
    failure(cause, what, context) {
      return new SluiceError({ code: 'DESTINATION_WRITE', message: `sqlite: ${what} failed: ${(cause as Error).message}`, cause, context })
    },
  }
}
