import type { Database } from 'better-sqlite3'
import type { TableLayout } from '../layout/table-layout.js'
import type { SyncReport } from '../../sync/sync-report.js'

/** Meta tables of the SQLite destination (see DESIGN section 5). */
export const META_DDL = `
CREATE TABLE IF NOT EXISTS "_sluice_state" (
  "connector_id" TEXT PRIMARY KEY,
  "state" TEXT NOT NULL,
  "pending_truncates" TEXT NOT NULL DEFAULT '{}',
  "last_synced" TEXT,
  "updated_at" TEXT NOT NULL
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
CREATE INDEX IF NOT EXISTS "_sluice_syncs_connector" ON "_sluice_syncs" ("connector_id", "started_at");
`

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

/** The saved state, pending truncates and last write time of a connector. */
export function loadState(db: Database, connectorId: string): { state?: string; pending: Record<string, string>; lastSynced: number } {
  const row = db.prepare('SELECT "state", "pending_truncates", "last_synced" FROM "_sluice_state" WHERE "connector_id" = ?').get(connectorId) as
    | { state: string; pending_truncates: string; last_synced: string | null }
    | undefined
  if (!row) return { pending: {}, lastSynced: 0 }
  return { state: row.state, pending: JSON.parse(row.pending_truncates) as Record<string, string>, lastSynced: row.last_synced ? Date.parse(row.last_synced) : 0 }
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
