import type pg from 'pg'
import type { ErrorRecord } from '../../core/error-record.js'
import type { SchemaChange } from '../../core/message.js'
import type { SchemaHistoryEntry } from '../../contracts/sink.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { quoteIdent } from '../../core/normalize-name.js'
import type { TableLayout } from '../layout/table-layout.js'
import { quoteLiteral } from '../../db/postgres-connection.js'
import { opsDdl } from './postgres-stores.js'
import { errorEntry, historyColumns, historyEntry } from '../../warehouse/meta-rows.js'

type Queryable = Pick<pg.PoolClient, 'query'>

/**
 * Meta tables of the Postgres destination, with the columns of the SQLite ones (DESIGN section
 * 5) in native types. `state` stays text so a saved state is byte-equal to its serialisation;
 * error contexts are `json` (kept verbatim) rather than `jsonb`, which rejects `\u0000`.
 */
export function metaDdl(schema: string): string {
  const s = quoteIdent(schema)
  return `
CREATE TABLE IF NOT EXISTS ${s}."_sluice_state" (
  "connector_id" text PRIMARY KEY,
  "state" text NOT NULL,
  "pending_truncates" text NOT NULL DEFAULT '{}',
  "last_synced" timestamptz,
  "updated_at" timestamptz NOT NULL,
  "epoch" bigint NOT NULL DEFAULT 0
);
${epochColumn(schema)}
CREATE TABLE IF NOT EXISTS ${s}."_sluice_tables" (
  "name" text PRIMARY KEY,
  "source_name" text NOT NULL UNIQUE,
  "layout" jsonb NOT NULL,
  "updated_at" timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}."_sluice_syncs" (
  "sync_id" text PRIMARY KEY,
  "connector_id" text NOT NULL,
  "started_at" timestamptz NOT NULL,
  "ended_at" timestamptz NOT NULL,
  "status" text NOT NULL,
  "rows" bigint NOT NULL,
  "checkpoints" integer NOT NULL,
  "schema_changes" integer NOT NULL,
  "tables" jsonb NOT NULL,
  "error_code" text,
  "error_message" text,
  "report" jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}."_sluice_errors" (
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "connector_id" text NOT NULL,
  "sync_id" text NOT NULL,
  "table_name" text,
  "kind" text NOT NULL,
  "code" text NOT NULL,
  "message" text NOT NULL,
  "context" json,
  "record" json,
  "created_at" timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}."_sluice_schema_history" (
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "connector_id" text NOT NULL,
  "sync_id" text NOT NULL,
  "table_name" text NOT NULL,
  "column_name" text,
  "change" text NOT NULL,
  "old_type" text,
  "new_type" text,
  "changed_at" timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS "_sluice_syncs_connector" ON ${s}."_sluice_syncs" ("connector_id", "started_at");
`
}

/**
 * Adds `_sluice_state.epoch` (fencing, see `FleetRun`) to a schema made before it existed. Checked
 * in the catalog first: a bare `ALTER TABLE … ADD COLUMN IF NOT EXISTS` takes an ACCESS EXCLUSIVE
 * lock even when the column exists, and would queue every sync's open behind any writer holding
 * a state row (a frozen fleet worker, say).
 */
function epochColumn(schema: string): string {
  const table = `${quoteIdent(schema)}."_sluice_state"`
  return `DO $sluice$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${quoteLiteral(table)}) AND attname = 'epoch' AND NOT attisdropped) THEN
    ALTER TABLE ${table} ADD COLUMN "epoch" bigint NOT NULL DEFAULT 0;
  END IF;
END $sluice$;`
}

/**
 * Creates the schema, meta and operations tables once, serialised by an advisory lock: two sinks opening the
 * same fresh schema at once would otherwise race on `CREATE TABLE IF NOT EXISTS`.
 */
export async function prepareSchema(client: Queryable, schema: string): Promise<void> {
  const lock = `SELECT pg_advisory_xact_lock(hashtext(${quoteLiteral(`sluice:${schema}`)}))`
  const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
  const create = exists.rowCount ? '' : `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};`
  await client.query(`BEGIN; ${lock}; ${create} ${metaDdl(schema)} ${opsDdl(schema)} COMMIT`).catch(async (e: unknown) => {
    await client.query('ROLLBACK').catch(() => {})
    throw e
  })
}

/** True when the meta tables exist (a read before any sync finds none). */
export async function hasMeta(client: Queryable, schema: string): Promise<boolean> {
  const r = await client.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${quoteIdent(schema)}."_sluice_tables"`])
  return r.rows[0]?.ok === true
}

/** The names used in the schema's namespace (tables, indexes, sequences, views): one `name` column. */
export function takenNamesSql(schema: string): string {
  return `SELECT c.relname AS "name" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(schema)}`
}

/** Every persisted table layout, by source name. */
export async function loadLayouts(client: Queryable, schema: string): Promise<Map<string, TableLayout>> {
  const r = await client.query<{ layout: TableLayout }>(`SELECT "layout" FROM ${quoteIdent(schema)}."_sluice_tables" ORDER BY "name"`)
  return new Map(r.rows.map((row) => [row.layout.table, row.layout]))
}

/** Saves a layout (inside the caller's transaction). */
export async function saveLayout(client: Queryable, schema: string, layout: TableLayout): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}."_sluice_tables" ("name", "source_name", "layout", "updated_at") VALUES ($1, $2, $3, now())
     ON CONFLICT ("name") DO UPDATE SET "layout" = excluded."layout", "updated_at" = excluded."updated_at"`,
    [layout.name, layout.table, JSON.stringify(layout)],
  )
}

/** A connector's state row as saved (`loadState` reads it with defaults): undefined when it has none. */
export async function readStateRow(
  client: Queryable,
  schema: string,
  connectorId: string,
): Promise<{ state?: string; pending: Record<string, string>; lastSynced: number; epoch: number } | undefined> {
  const r = await client.query<{ state: string; pending_truncates: string; last_synced: Date | null; epoch: string }>(
    `SELECT "state", "pending_truncates", "last_synced", "epoch" FROM ${quoteIdent(schema)}."_sluice_state" WHERE "connector_id" = $1`,
    [connectorId],
  )
  const row = r.rows[0]
  if (!row) return undefined
  return {
    ...(row.state === '' ? {} : { state: row.state }),
    pending: JSON.parse(row.pending_truncates) as Record<string, string>,
    lastSynced: row.last_synced ? row.last_synced.getTime() : 0,
    epoch: Number(row.epoch),
  }
}

/**
 * The saved state text, pending truncates, last write time (ms) and fencing epoch of a connector.
 * A row made by `fence` before any checkpoint has an empty state text: no state yet.
 */
export async function loadState(
  client: Queryable,
  schema: string,
  connectorId: string,
): Promise<{ state?: string; pending: Record<string, string>; lastSynced: number; epoch: number }> {
  return (await readStateRow(client, schema, connectorId)) ?? { pending: {}, lastSynced: 0, epoch: 0 }
}

/**
 * The statement that saves a state, as one simple-query string so it travels with the COMMIT
 * in a single round trip. Every value is a literal escaped by `quoteLiteral`.
 */
export function saveStateSql(schema: string, connectorId: string, stateText: string, pending: string, lastSynced: string): string {
  return `INSERT INTO ${quoteIdent(schema)}."_sluice_state" ("connector_id", "state", "pending_truncates", "last_synced", "updated_at")
VALUES (${quoteLiteral(connectorId)}, ${quoteLiteral(stateText)}, ${quoteLiteral(pending)}, ${quoteLiteral(lastSynced)}, now())
ON CONFLICT ("connector_id") DO UPDATE SET "state" = excluded."state", "pending_truncates" = excluded."pending_truncates",
  "last_synced" = excluded."last_synced", "updated_at" = excluded."updated_at"`
}

/** Records a finished sync in `_sluice_syncs`. */
export async function recordSync(client: Queryable, schema: string, report: SyncReport): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}."_sluice_syncs" ("sync_id", "connector_id", "started_at", "ended_at", "status", "rows", "checkpoints",
      "schema_changes", "tables", "error_code", "error_message", "report") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT ("sync_id") DO UPDATE SET "ended_at" = excluded."ended_at", "status" = excluded."status", "rows" = excluded."rows",
      "checkpoints" = excluded."checkpoints", "schema_changes" = excluded."schema_changes", "tables" = excluded."tables",
      "error_code" = excluded."error_code", "error_message" = excluded."error_message", "report" = excluded."report"`,
    [
      report.syncId, report.connectorId, report.startedAt, report.endedAt, report.status, report.rows, report.checkpoints,
      report.schemaChanges, JSON.stringify(report.tables), report.error?.code ?? null, report.error?.message ?? null, JSON.stringify(report),
    ],
  )
}

/** Appends error records (inside the caller's transaction). */
export async function insertErrors(client: Queryable, schema: string, connectorId: string, syncId: string, errors: readonly ErrorRecord[]): Promise<void> {
  if (errors.length === 0) return
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}."_sluice_errors" ("connector_id", "sync_id", "table_name", "kind", "code", "message", "context", "record", "created_at")
     SELECT $1, $2, e."table_name", e."kind", e."code", e."message", e."context", e."record", now()
     FROM json_to_recordset($3::json) AS e("table_name" text, "kind" text, "code" text, "message" text, "context" json, "record" json, "n" int)
     ORDER BY e."n"`,
    [
      connectorId,
      syncId,
      jsonText(
        errors.map((e, n) => ({ n, table_name: e.table ?? null, kind: e.kind, code: e.code, message: e.message, context: e.context ?? null, record: e.record ?? null })),
      ),
    ],
  )
}

/** Every error record, oldest first. */
export async function selectErrors(client: Queryable, schema: string): Promise<ErrorRecord[]> {
  const r = await client.query<Record<string, unknown>>(`SELECT * FROM ${quoteIdent(schema)}."_sluice_errors" ORDER BY "id"`)
  return r.rows.map((row) => errorEntry(row, (stored) => stored as Record<string, unknown>))
}

/** JSON text with bigints as decimal text and bytes as base64 (read before `Buffer#toJSON` runs). */
function jsonText(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key]
    if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
    return typeof v === 'bigint' ? v.toString() : v
  })
}

/** Appends applied schema changes of `table` to `_sluice_schema_history` (inside the caller's transaction). */
export async function insertHistory(client: Queryable, schema: string, connectorId: string, syncId: string, table: string, changes: readonly SchemaChange[]): Promise<void> {
  if (changes.length === 0) return
  const rows = changes.map((c, n) => ({ n, ...historyColumns(c) }))
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}."_sluice_schema_history" ("connector_id", "sync_id", "table_name", "column_name", "change", "old_type", "new_type", "changed_at")
     SELECT $1, $2, $3, h."column_name", h."change", h."old_type", h."new_type", now()
     FROM json_to_recordset($4::json) AS h("n" int, "column_name" text, "change" text, "old_type" text, "new_type" text) ORDER BY h."n"`,
    [connectorId, syncId, table, JSON.stringify(rows)],
  )
}

/** The schema history, oldest first. */
export async function selectHistory(client: Queryable, schema: string): Promise<SchemaHistoryEntry[]> {
  const r = await client.query<Record<string, string | Date | null>>(`SELECT * FROM ${quoteIdent(schema)}."_sluice_schema_history" ORDER BY "id"`)
  return r.rows.map((row) => historyEntry(row, (row.changed_at as Date).toISOString()))
}
