import type pg from 'pg'
import { quoteIdent } from '../../core/normalize-name.js'

/**
 * Meta tables for MAR and connector operations, as in the SQLite destination:
 * - `_sluice_mar`: per connector, table and month — the count, its mode, the HyperLogLog sketch
 *   (approximate mode) and a `version` bumped at every write;
 * - `_sluice_mar_keys`: a month's exact-mode keys as append-only `bytea` blobs of 64-bit hashes
 *   (one row per key would rewrite index pages all over at every commit);
 * - `_sluice_mar_thresholds`: budget thresholds already fired;
 * - `_sluice_leases`: who runs a connector now, until when (ms since the epoch);
 * - `_sluice_connectors`: persisted controls (paused).
 */
export function opsDdl(schema: string): string {
  const s = quoteIdent(schema)
  return `
CREATE TABLE IF NOT EXISTS ${s}."_sluice_mar" (
  "bucket" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "connector_id" text NOT NULL,
  "table_name" text NOT NULL,
  "month" text NOT NULL,
  "mode" text NOT NULL,
  "rows" bigint NOT NULL,
  "version" bigint NOT NULL,
  "sketch" bytea,
  "updated_at" timestamptz NOT NULL,
  UNIQUE ("connector_id", "table_name", "month")
);
CREATE TABLE IF NOT EXISTS ${s}."_sluice_mar_keys" (
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "bucket" bigint NOT NULL,
  "keys" bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS "_sluice_mar_keys_bucket" ON ${s}."_sluice_mar_keys" ("bucket");
CREATE TABLE IF NOT EXISTS ${s}."_sluice_mar_thresholds" (
  "connector_id" text NOT NULL,
  "month" text NOT NULL,
  "threshold" double precision NOT NULL,
  "rows" bigint NOT NULL,
  "fired_at" timestamptz NOT NULL,
  PRIMARY KEY ("connector_id", "month", "threshold")
);
CREATE TABLE IF NOT EXISTS ${s}."_sluice_leases" (
  "name" text PRIMARY KEY,
  "holder" text NOT NULL,
  "expires_at" bigint NOT NULL,
  "acquired_at" bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}."_sluice_connectors" (
  "connector_id" text PRIMARY KEY,
  "paused" boolean NOT NULL,
  "updated_at" timestamptz NOT NULL
);
`
}

/**
 * How the operations reach Postgres: `run` is the open sync's client inside its transaction
 * (begun if needed) — writes there commit with the data; `use` borrows a client outside any sync
 * (`create` true: make the schema and meta tables first; false: the work checks they exist).
 */
export interface PostgresAccess {
  readonly schema: string
  run(): Promise<{ readonly client: pg.ClientBase; readonly connectorId: string }>
  use<T>(create: boolean, work: (client: pg.ClientBase) => Promise<T>): Promise<T>
}

/** True when the operations tables exist. */
export async function hasOps(client: pg.ClientBase, schema: string): Promise<boolean> {
  const r = await client.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${quoteIdent(schema)}."_sluice_connectors"`])
  return r.rows[0]?.ok === true
}
