import type { Database, Statement } from 'better-sqlite3'

/**
 * Meta tables for MAR and connector operations (DESIGN sections 5 and 8):
 * - `_sluice_mar`: one row per connector, table and month — the count (`rows`), how it is kept
 *   (`mode`), the HyperLogLog sketch in approximate mode, and a `version` bumped at every write.
 * - `_sluice_mar_keys`: the month's keys of exact mode as append-only blobs of 64-bit hashes.
 *   Why not one row per key with INSERT OR IGNORE: hashed keys land all over a B-tree, and with a
 *   commit per checkpoint every commit rewrites most of its pages — measured here, 1M keys in
 *   10k-key commits took 5–13 s as rows against ~0.1 s as blobs checked in memory.
 * - `_sluice_mar_thresholds`: budget thresholds already fired, per connector and month.
 * - `_sluice_leases`: who runs a connector now, until when.
 * - `_sluice_connectors`: persisted controls (paused).
 */
export const OPS_DDL = `
CREATE TABLE IF NOT EXISTS "_sluice_mar" (
  "bucket" INTEGER PRIMARY KEY,
  "connector_id" TEXT NOT NULL,
  "table_name" TEXT NOT NULL,
  "month" TEXT NOT NULL,
  "mode" TEXT NOT NULL,
  "rows" INTEGER NOT NULL,
  "version" INTEGER NOT NULL,
  "sketch" BLOB,
  "updated_at" TEXT NOT NULL,
  UNIQUE ("connector_id", "table_name", "month")
);
CREATE TABLE IF NOT EXISTS "_sluice_mar_keys" (
  "id" INTEGER PRIMARY KEY,
  "bucket" INTEGER NOT NULL,
  "keys" BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS "_sluice_mar_keys_bucket" ON "_sluice_mar_keys" ("bucket");
CREATE TABLE IF NOT EXISTS "_sluice_mar_thresholds" (
  "connector_id" TEXT NOT NULL,
  "month" TEXT NOT NULL,
  "threshold" REAL NOT NULL,
  "rows" INTEGER NOT NULL,
  "fired_at" TEXT NOT NULL,
  PRIMARY KEY ("connector_id", "month", "threshold")
);
CREATE TABLE IF NOT EXISTS "_sluice_leases" (
  "name" TEXT PRIMARY KEY,
  "holder" TEXT NOT NULL,
  "expires_at" INTEGER NOT NULL,
  "acquired_at" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_connectors" (
  "connector_id" TEXT PRIMARY KEY,
  "paused" INTEGER NOT NULL,
  "updated_at" TEXT NOT NULL
);
`

const ready = new WeakSet<Database>()
const statements = new WeakMap<Database, Map<string, Statement>>()

/**
 * Creates the operations tables on a writable handle if needed. Outside a transaction the result
 * is remembered per handle; inside one it is not, because a rollback would undo the CREATE.
 */
export function ensureOpsTables(db: Database): void {
  if (ready.has(db)) return
  db.exec(OPS_DDL)
  if (!db.inTransaction) ready.add(db)
}

/** True when `name` exists (read paths on a read-only handle can't create tables). */
export function hasTable(db: Database, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined
}

/** A statement prepared once per handle. */
export function cached(db: Database, sql: string): Statement {
  let byText = statements.get(db)
  if (!byText) statements.set(db, (byText = new Map()))
  let stmt = byText.get(sql)
  if (!stmt) byText.set(sql, (stmt = db.prepare(sql)))
  return stmt
}

/**
 * How the operations reach the SQLite sink's connection: `run` is the open sync's transaction
 * (begun if needed) — writes there commit with the data; `use` is a handle outside a sync (the
 * sink's own while one is open, so a lease renewal never waits on its own write lock).
 */
export interface SqliteAccess {
  run(): { readonly db: Database; readonly connectorId: string }
  use<T>(mode: 'read' | 'write', fn: (db: Database) => T, missing: () => T): T
}
