import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api'
import type { ErrorRecord } from '../../core/error-record.js'
import type { SchemaChange } from '../../core/message.js'
import type { TableLayout } from '../layout/table-layout.js'
import type { SchemaHistoryEntry } from '../../contracts/sink.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { errorEntry, historyColumns, historyEntry } from '../../warehouse/meta-rows.js'

/** Meta tables of the DuckDB destination (DESIGN section 5), shaped like the SQLite sink's. */
export const META_DDL = `
CREATE TABLE IF NOT EXISTS "_sluice_state" (
  "connector_id" VARCHAR PRIMARY KEY,
  "state" VARCHAR NOT NULL,
  "pending_truncates" VARCHAR NOT NULL DEFAULT '{}',
  "last_synced" VARCHAR,
  "updated_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_tables" (
  "name" VARCHAR PRIMARY KEY,
  "source_name" VARCHAR NOT NULL UNIQUE,
  "layout" JSON NOT NULL,
  "updated_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_syncs" (
  "sync_id" VARCHAR PRIMARY KEY,
  "connector_id" VARCHAR NOT NULL,
  "started_at" TIMESTAMPTZ NOT NULL,
  "ended_at" TIMESTAMPTZ NOT NULL,
  "status" VARCHAR NOT NULL,
  "rows" BIGINT NOT NULL,
  "checkpoints" BIGINT NOT NULL,
  "schema_changes" BIGINT NOT NULL,
  "tables" JSON NOT NULL,
  "error_code" VARCHAR,
  "error_message" VARCHAR,
  "report" JSON NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS "_sluice_errors_id";
CREATE TABLE IF NOT EXISTS "_sluice_errors" (
  "id" BIGINT PRIMARY KEY DEFAULT nextval('_sluice_errors_id'),
  "connector_id" VARCHAR NOT NULL,
  "sync_id" VARCHAR NOT NULL,
  "table_name" VARCHAR,
  "kind" VARCHAR NOT NULL,
  "code" VARCHAR NOT NULL,
  "message" VARCHAR NOT NULL,
  "context" JSON,
  "record" JSON,
  "created_at" TIMESTAMPTZ NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS "_sluice_schema_history_id";
CREATE TABLE IF NOT EXISTS "_sluice_schema_history" (
  "id" BIGINT PRIMARY KEY DEFAULT nextval('_sluice_schema_history_id'),
  "connector_id" VARCHAR NOT NULL,
  "sync_id" VARCHAR NOT NULL,
  "table_name" VARCHAR NOT NULL,
  "column_name" VARCHAR,
  "change" VARCHAR NOT NULL,
  "old_type" VARCHAR,
  "new_type" VARCHAR,
  "changed_at" TIMESTAMPTZ NOT NULL
);
`

type Param = DuckDBValue

async function rows(connection: DuckDBConnection, sql: string, params: Param[] = []): Promise<Record<string, DuckDBValue>[]> {
  const reader = await connection.runAndReadAll(sql, params)
  return reader.getRowObjects()
}

/** Reads every persisted table layout, by source name. */
export async function loadLayouts(connection: DuckDBConnection): Promise<Map<string, TableLayout>> {
  const found = await rows(connection, 'SELECT CAST("layout" AS VARCHAR) AS "layout" FROM "_sluice_tables"')
  return new Map(found.map((r) => {
    const layout = JSON.parse(r.layout as string) as TableLayout
    return [layout.table, layout]
  }))
}

/** Saves a layout (inside the caller's transaction). */
export async function saveLayout(connection: DuckDBConnection, layout: TableLayout): Promise<void> {
  await connection.run(
    `INSERT INTO "_sluice_tables" ("name", "source_name", "layout", "updated_at") VALUES ($1, $2, $3, now())
     ON CONFLICT ("name") DO UPDATE SET "layout" = excluded."layout", "updated_at" = excluded."updated_at"`,
    [layout.name, layout.table, JSON.stringify(layout)],
  )
}

/** The saved state (absent when the connector has no row), pending truncates and last write time (epoch ms) of a connector. */
export async function loadState(connection: DuckDBConnection, connectorId: string): Promise<{ state?: string; pending: Record<string, string>; lastSynced: number }> {
  const [row] = await rows(connection, 'SELECT "state", "pending_truncates", "last_synced" FROM "_sluice_state" WHERE "connector_id" = $1', [connectorId])
  if (!row) return { pending: {}, lastSynced: 0 }
  return {
    state: row.state as string,
    pending: JSON.parse(row.pending_truncates as string) as Record<string, string>,
    lastSynced: row.last_synced ? Date.parse(row.last_synced as string) : 0,
  }
}

/**
 * The statement saving a connector's state with its pending truncates and last write time, with
 * the values as SQL literals: it runs in one call together with COMMIT (a statement with
 * parameters costs three round trips to DuckDB's threads: extract, prepare, run). Once the row
 * exists (`exists`), a plain UPDATE: cheaper than DuckDB's ON CONFLICT machinery.
 */
export function saveStateSql(connectorId: string, state: string, pending: Record<string, string>, lastSynced: string, exists: boolean): string {
  const [id, text, truncates, last] = [connectorId, state, JSON.stringify(pending), lastSynced].map(sqlString)
  if (exists) {
    return `UPDATE "_sluice_state" SET "state" = ${text}, "pending_truncates" = ${truncates}, "last_synced" = ${last}, "updated_at" = now() WHERE "connector_id" = ${id}`
  }
  return `INSERT INTO "_sluice_state" ("connector_id", "state", "pending_truncates", "last_synced", "updated_at") VALUES (${id}, ${text}, ${truncates}, ${last}, now())
     ON CONFLICT ("connector_id") DO UPDATE SET "state" = excluded."state", "pending_truncates" = excluded."pending_truncates",
       "last_synced" = excluded."last_synced", "updated_at" = excluded."updated_at"`
}

/** A SQL string literal (quotes doubled; DuckDB reads backslashes literally). */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

/** Records a finished sync in `_sluice_syncs`. */
export async function recordSync(connection: DuckDBConnection, report: SyncReport): Promise<void> {
  await connection.run(
    `INSERT OR REPLACE INTO "_sluice_syncs" ("sync_id", "connector_id", "started_at", "ended_at", "status", "rows", "checkpoints",
      "schema_changes", "tables", "error_code", "error_message", "report")
     VALUES ($1, $2, $3::TIMESTAMPTZ, $4::TIMESTAMPTZ, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      report.syncId, report.connectorId, report.startedAt, report.endedAt, report.status, report.rows, report.checkpoints,
      report.schemaChanges, JSON.stringify(report.tables), report.error?.code ?? null, report.error?.message ?? null, JSON.stringify(report),
    ],
  )
}

/** Appends error records (inside the caller's transaction). */
export async function insertErrors(connection: DuckDBConnection, connectorId: string, syncId: string, errors: readonly ErrorRecord[]): Promise<void> {
  for (const e of errors) {
    await connection.run(
      `INSERT INTO "_sluice_errors" ("connector_id", "sync_id", "table_name", "kind", "code", "message", "context", "record", "created_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
      [connectorId, syncId, e.table ?? null, e.kind, e.code, e.message, e.context ? jsonText(e.context) : null, e.record ? jsonText(e.record) : null],
    )
  }
}

/** Reads every error record, oldest first. */
export async function selectErrors(connection: DuckDBConnection): Promise<ErrorRecord[]> {
  const found = await rows(
    connection,
    `SELECT "table_name", "kind", "code", "message", CAST("context" AS VARCHAR) AS "context", CAST("record" AS VARCHAR) AS "record"
     FROM "_sluice_errors" ORDER BY "id"`,
  )
  return found.map((r) => errorEntry(r, (stored) => JSON.parse(stored as string) as Record<string, unknown>))
}

/** Appends applied schema changes of `table` to `_sluice_schema_history` (inside the caller's transaction). */
export async function insertHistory(connection: DuckDBConnection, connectorId: string, syncId: string, table: string, changes: readonly SchemaChange[]): Promise<void> {
  for (const c of changes) {
    const h = historyColumns(c)
    await connection.run(
      `INSERT INTO "_sluice_schema_history" ("connector_id", "sync_id", "table_name", "column_name", "change", "old_type", "new_type", "changed_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())`,
      [connectorId, syncId, table, h.column_name, h.change, h.old_type, h.new_type],
    )
  }
}

/** Reads the schema history, oldest first. */
export async function selectHistory(connection: DuckDBConnection): Promise<SchemaHistoryEntry[]> {
  const found = await rows(
    connection,
    `SELECT *, strftime("changed_at" AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS "at" FROM "_sluice_schema_history" ORDER BY "id"`,
  )
  return found.map((r) => historyEntry(r, r.at as string))
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))
}
