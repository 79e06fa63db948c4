import type { Database } from 'better-sqlite3'
import type { ErrorRecord } from '../../core/error-record.js'
import type { SchemaChange } from '../../core/message.js'
import type { SchemaHistoryEntry } from '../../contracts/sink.js'
import type { TableLayout } from '../layout/table-layout.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { migrateRowIndex, ROW_INDEX_DDL } from './sqlite-row-index.js'
import { errorEntry, historyColumns, historyEntry } from '../../warehouse/meta-rows.js'

/** Meta tables of the SQLite destination (see DESIGN section 5). */
export const META_DDL = `
CREATE TABLE IF NOT EXISTS "_sluice_state" (
  "connector_id" TEXT PRIMARY KEY,
  "state" TEXT NOT NULL,
  "pending_truncates" TEXT NOT NULL DEFAULT '{}',
  "last_synced" TEXT,
  "updated_at" TEXT NOT NULL,
  "epoch" INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS "_sluice_tables" (
  "name" TEXT PRIMARY KEY,
  "source_name" TEXT NOT NULL UNIQUE,
  "layout" TEXT NOT NULL,
  "updated_at" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_syncs" (
  "sync_id" TEXT PRIMARY KEY,
  "connector_id" TEXT NOT NULL,
  "started_at" TEXT NOT NULL,
  "ended_at" TEXT NOT NULL,
  "status" TEXT NOT NULL,
  "rows" INTEGER NOT NULL,
  "checkpoints" INTEGER NOT NULL,
  "schema_changes" INTEGER NOT NULL,
  "tables" TEXT NOT NULL,
  "error_code" TEXT,
  "error_message" TEXT,
  "report" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_errors" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "connector_id" TEXT NOT NULL,
  "sync_id" TEXT NOT NULL,
  "table_name" TEXT,
  "kind" TEXT NOT NULL,
  "code" TEXT NOT NULL,
  "message" TEXT NOT NULL,
  "context" TEXT,
  "record" TEXT,
  "created_at" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_schema_history" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "connector_id" TEXT NOT NULL,
  "sync_id" TEXT NOT NULL,
  "table_name" TEXT NOT NULL,
  "column_name" TEXT,
  "change" TEXT NOT NULL,
  "old_type" TEXT,
  "new_type" TEXT,
  "changed_at" TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS "_sluice_syncs_connector" ON "_sluice_syncs" ("connector_id", "started_at");
${ROW_INDEX_DDL}`

/**
 * Brings meta tables made by earlier versions up to date (outside any transaction): `_sluice_state.epoch` (fencing, see `FleetRun`),
 * and the keyless row index's runs (`migrateRowIndex`).
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { META_DDL, migrateMeta } from './sqlite-meta.js'
 * const db = new Database(':memory:')
 * db.exec(META_DDL)
 * migrateMeta(db)
 * ```
 */
export function migrateMeta(db: Database): void {
  const columns = db.prepare(`SELECT "name" FROM pragma_table_info('_sluice_state')`).pluck().all() as string[]
  if (!columns.includes('epoch')) db.exec('ALTER TABLE "_sluice_state" ADD COLUMN "epoch" INTEGER NOT NULL DEFAULT 0')
  migrateRowIndex(db)
}

/** The names used in the database's one namespace (tables, indexes, views, triggers). */
export function takenNames(db: Database): string[] {
  return db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'view', 'trigger')`).pluck().all() as string[]
}

/** Reads every persisted table layout, by source name. */
export function loadLayouts(db: Database): Map<string, TableLayout> {
  const rows = db.prepare('SELECT "layout" FROM "_sluice_tables"').all() as { layout: string }[]
  return new Map(rows.map((r) => {
    const layout = JSON.parse(r.layout) as TableLayout
    return [layout.table, layout]
  }))
}

/** Saves a layout (inside the caller's transaction). */
export function saveLayout(db: Database, layout: TableLayout): void {
  db.prepare(
    `INSERT INTO "_sluice_tables" ("name", "source_name", "layout", "updated_at") VALUES (?, ?, ?, ?)
     ON CONFLICT ("name") DO UPDATE SET "layout" = excluded."layout", "updated_at" = excluded."updated_at"`,
  ).run(layout.name, layout.table, JSON.stringify(layout), new Date().toISOString())
}

/**
 * The saved state, pending truncates, last write time and fencing epoch of a connector. A row made
 * by `fence` before any checkpoint has an empty state text: no state yet.
 */
export function loadState(db: Database, connectorId: string): { state?: string; pending: Record<string, string>; lastSynced: number; epoch: number } {
  const row = db.prepare('SELECT "state", "pending_truncates", "last_synced", "epoch" FROM "_sluice_state" WHERE "connector_id" = ?').get(connectorId) as
    | { state: string; pending_truncates: string; last_synced: string | null; epoch: number }
    | undefined
  if (!row) return { pending: {}, lastSynced: 0, epoch: 0 }
  return {
    ...(row.state === '' ? {} : { state: row.state }),
    pending: JSON.parse(row.pending_truncates) as Record<string, string>,
    lastSynced: row.last_synced ? Date.parse(row.last_synced) : 0,
    epoch: Number(row.epoch),
  }
}

/** Records a finished sync in `_sluice_syncs`. */
export function recordSync(db: Database, report: SyncReport): void {
  db.prepare(
    `INSERT OR REPLACE INTO "_sluice_syncs" ("sync_id", "connector_id", "started_at", "ended_at", "status", "rows", "checkpoints",
      "schema_changes", "tables", "error_code", "error_message", "report") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    report.syncId, report.connectorId, report.startedAt, report.endedAt, report.status, report.rows, report.checkpoints,
    report.schemaChanges, JSON.stringify(report.tables), report.error?.code ?? null, report.error?.message ?? null, JSON.stringify(report),
  )
}

/** Appends error records (inside the caller's transaction). */
export function insertErrors(db: Database, connectorId: string, syncId: string, errors: readonly ErrorRecord[]): void {
  const stmt = db.prepare(
    `INSERT INTO "_sluice_errors" ("connector_id", "sync_id", "table_name", "kind", "code", "message", "context", "record", "created_at")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const now = new Date().toISOString()
  for (const e of errors) {
    stmt.run(connectorId, syncId, e.table ?? null, e.kind, e.code, e.message, e.context ? jsonText(e.context) : null, e.record ? jsonText(e.record) : null, now)
  }
}

/** Reads every error record, oldest first. */
export function selectErrors(db: Database): ErrorRecord[] {
  const rows = db.prepare('SELECT * FROM "_sluice_errors" ORDER BY "id"').all() as Record<string, string | null>[]
  return rows.map((r) => errorEntry(r, (stored) => JSON.parse(stored as string) as Record<string, unknown>))
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))
}

/** Appends applied schema changes of `table` to `_sluice_schema_history` (inside the caller's transaction). */
export function insertHistory(db: Database, connectorId: string, syncId: string, table: string, changes: readonly SchemaChange[]): void {
  if (changes.length === 0) return
  const stmt = db.prepare(
    `INSERT INTO "_sluice_schema_history" ("connector_id", "sync_id", "table_name", "column_name", "change", "old_type", "new_type", "changed_at")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const now = new Date().toISOString()
  for (const c of changes) {
    const h = historyColumns(c)
    stmt.run(connectorId, syncId, table, h.column_name, h.change, h.old_type, h.new_type, now)
  }
}

/** Reads the schema history, oldest first; empty for a warehouse written before the table existed. */
export function selectHistory(db: Database): SchemaHistoryEntry[] {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sluice_schema_history'`).get()
  if (!exists) return []
  const rows = db.prepare('SELECT * FROM "_sluice_schema_history" ORDER BY "id"').all() as Record<string, string | null>[]
  return rows.map((r) => historyEntry(r, r.changed_at!))
}
