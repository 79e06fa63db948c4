import type { Database } from 'better-sqlite3'
import { END_OF_TIME, HISTORY } from '../layout/history-columns.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'
import { activeIndexSql, tableSql } from './sqlite-ddl.js'

/**
 * Turns a history table written by an earlier sluice — which wrote history mode as upserts,
 * without version columns — into a history table: each row becomes one version that started at
 * its `_sluice_synced`, active unless soft-deleted (then closed at its delete). SQLite can't
 * change a table's key in place, so the table is rebuilt (create, copy, drop, rename) in one
 * transaction. Nothing to do when the version columns exist (or the table doesn't yet).
 */
export function migrateToHistory(db: Database, layout: TableLayout): void {
  const q = quoteIdent
  const columns = db.prepare('SELECT "name" FROM pragma_table_info(?)').pluck().all(layout.name) as string[]
  if (columns.length === 0 || columns.includes(HISTORY.start)) return
  const table = q(layout.name)
  const temp = `${layout.name.slice(0, 40)}__sluice_migrating`
  const kept = [...layout.columns.map((c) => c.name), SYSTEM.synced, SYSTEM.deleted, ...(layout.primaryKey.length === 0 ? [SYSTEM.id] : [])].map(q)
  const deleted = q(SYSTEM.deleted)
  const synced = q(SYSTEM.synced)
  db.transaction(() => {
    db.exec(`DROP TABLE IF EXISTS ${q(temp)}`)
    db.exec(tableSql(layout, temp))
    db.exec(`INSERT INTO ${q(temp)} (${[...kept, q(HISTORY.start), q(HISTORY.end), q(HISTORY.active)].join(', ')})
      SELECT ${kept.join(', ')}, ${synced}, CASE WHEN ${deleted} THEN ${synced} ELSE '${END_OF_TIME}' END, NOT ${deleted} FROM ${table}`)
    db.exec(`DROP TABLE ${table}`)
    db.exec(`ALTER TABLE ${q(temp)} RENAME TO ${table}`)
    db.exec(activeIndexSql(layout))
  }).immediate()
}
