import type { SqlDialect } from './sql-dialect.js'

/**
 * The MAR and connector-control tables (DESIGN sections 5 and 8), in one definition for every
 * SQL destination:
 * - `_sluice_mar`: one row per connector, table and month — the count (`rows`), how it is kept
 *   (`mode`), the HyperLogLog sketch in approximate mode, and a `version` bumped at every write.
 * - `_sluice_mar_keys`: the month's keys of exact mode as append-only blobs of 64-bit hashes.
 *   Why not one row per key with an upsert: hashed keys land all over a B-tree, and with a
 *   commit per checkpoint every commit rewrites most of its pages — measured on SQLite, 1M keys
 *   in 10k-key commits took 5–13 s as rows against ~0.1 s as blobs checked in memory.
 * - `_sluice_mar_thresholds`: budget thresholds already fired, per connector and month.
 * - `_sluice_leases`: who runs a connector now, until when (ms since the epoch).
 * - `_sluice_connectors`: persisted controls (paused).
 *
 * @example
 * ```ts
 * import { opsDdl } from './ops-ddl.js'
 * import type { SqlDialect } from './sql-dialect.js'
 * declare const dialect: SqlDialect
 * const ddl: string = opsDdl(dialect)
 * ```
 */
export function opsDdl(d: SqlDialect): string {
  const { text, bigint, double, boolean, blob, timestamp } = d.types
  const bucket = d.identity('_sluice_mar', 'bucket')
  const keyId = d.identity('_sluice_mar_keys', 'id')
  return `
${bucket.before ?? ''}
CREATE TABLE IF NOT EXISTS ${d.table('_sluice_mar')} (
  ${bucket.definition},
  "connector_id" ${text} NOT NULL,
  "table_name" ${text} NOT NULL,
  "month" ${text} NOT NULL,
  "mode" ${text} NOT NULL,
  "rows" ${bigint} NOT NULL,
  "version" ${bigint} NOT NULL,
  "sketch" ${blob},
  "updated_at" ${timestamp} NOT NULL,
  UNIQUE ("connector_id", "table_name", "month")
);
${keyId.before ?? ''}
CREATE TABLE IF NOT EXISTS ${d.table('_sluice_mar_keys')} (
  ${keyId.definition},
  "bucket" ${bigint} NOT NULL,
  "keys" ${blob} NOT NULL
);
${d.keysIndex ? `CREATE INDEX IF NOT EXISTS "_sluice_mar_keys_bucket" ON ${d.table('_sluice_mar_keys')} ("bucket");` : ''}
CREATE TABLE IF NOT EXISTS ${d.table('_sluice_mar_thresholds')} (
  "connector_id" ${text} NOT NULL,
  "month" ${text} NOT NULL,
  "threshold" ${double} NOT NULL,
  "rows" ${bigint} NOT NULL,
  "fired_at" ${timestamp} NOT NULL,
  PRIMARY KEY ("connector_id", "month", "threshold")
);
CREATE TABLE IF NOT EXISTS ${d.table('_sluice_leases')} (
  "name" ${text} PRIMARY KEY,
  "holder" ${text} NOT NULL,
  "expires_at" ${bigint} NOT NULL,
  "acquired_at" ${bigint} NOT NULL
);
CREATE TABLE IF NOT EXISTS ${d.table('_sluice_connectors')} (
  "connector_id" ${text} PRIMARY KEY,
  "paused" ${boolean} NOT NULL,
  "updated_at" ${timestamp} NOT NULL
);
`
}
