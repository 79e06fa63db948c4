import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api'
import { SluiceError } from '../../core/sluice-error.js'
import { HyperLogLog } from '../../mar/hyperloglog.js'
import type { MarKeys } from '../../mar/key-hash.js'
import { KeySet } from '../../mar/key-set.js'
import type { MarFilter, MarMode, MarUsage, MeterArgs, MeterResult } from '../../contracts/mar-store.js'

/**
 * Meta tables for MAR and connector operations (DESIGN sections 5 and 8), shaped like the SQLite
 * sink's: `_sluice_mar` (one row per connector, table and month: count, mode, HyperLogLog sketch,
 * a version bumped at every write), `_sluice_mar_keys` (exact mode's keys as append-only blobs of
 * 64-bit hashes, checked in memory: a row per key would rewrite the index at every commit),
 * `_sluice_mar_thresholds`, `_sluice_leases`, `_sluice_connectors`.
 */
export const OPS_DDL = `
CREATE SEQUENCE IF NOT EXISTS "_sluice_mar_bucket";
CREATE TABLE IF NOT EXISTS "_sluice_mar" (
  "bucket" BIGINT PRIMARY KEY DEFAULT nextval('_sluice_mar_bucket'),
  "connector_id" VARCHAR NOT NULL,
  "table_name" VARCHAR NOT NULL,
  "month" VARCHAR NOT NULL,
  "mode" VARCHAR NOT NULL,
  "rows" BIGINT NOT NULL,
  "version" BIGINT NOT NULL,
  "sketch" BLOB,
  "updated_at" TIMESTAMPTZ NOT NULL,
  UNIQUE ("connector_id", "table_name", "month")
);
CREATE SEQUENCE IF NOT EXISTS "_sluice_mar_keys_id";
CREATE TABLE IF NOT EXISTS "_sluice_mar_keys" (
  "id" BIGINT PRIMARY KEY DEFAULT nextval('_sluice_mar_keys_id'),
  "bucket" BIGINT NOT NULL,
  "keys" BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_mar_thresholds" (
  "connector_id" VARCHAR NOT NULL,
  "month" VARCHAR NOT NULL,
  "threshold" DOUBLE NOT NULL,
  "rows" BIGINT NOT NULL,
  "fired_at" TIMESTAMPTZ NOT NULL,
  PRIMARY KEY ("connector_id", "month", "threshold")
);
CREATE TABLE IF NOT EXISTS "_sluice_leases" (
  "name" VARCHAR PRIMARY KEY,
  "holder" VARCHAR NOT NULL,
  "expires_at" BIGINT NOT NULL,
  "acquired_at" BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_connectors" (
  "connector_id" VARCHAR PRIMARY KEY,
  "paused" BOOLEAN NOT NULL,
  "updated_at" TIMESTAMPTZ NOT NULL
);
`

/** Key blobs of a bucket beyond this many are merged into one when the bucket is next loaded. */
const COMPACT_AT = 32

interface Bucket {
  readonly bucket: bigint
  readonly mode: MarMode
  readonly rows: number
  readonly version: number
  readonly sketch: Uint8Array | null
}

/** What a connection remembers of a bucket between batches; trusted only while `version` matches the row. */
type Loaded = { version: number; keys?: KeySet; sketch?: HyperLogLog }
const memos = new WeakMap<DuckDBConnection, Map<bigint, Loaded>>()
const statements = new WeakMap<DuckDBConnection, Map<string, Promise<DuckDBPreparedStatement>>>()

/** Runs `sql` as a statement prepared once per connection (one round trip per run instead of three). */
async function exec(connection: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<DuckDBValue[][]> {
  let byText = statements.get(connection)
  if (!byText) statements.set(connection, (byText = new Map()))
  let prepared = byText.get(sql)
  if (!prepared) {
    prepared = connection.prepare(sql)
    byText.set(sql, prepared)
    prepared.catch(() => byText.delete(sql))
  }
  const statement = await prepared
  statement.bind(params)
  return (await statement.runAndReadAll()).getRows()
}

/** Counts keys (exact) or merges a sketch (approximate) for a connector, table and month, inside the caller's transaction. */
export async function meter(connection: DuckDBConnection, connectorId: string, args: MeterArgs): Promise<MeterResult> {
  if (args.sketch) return meterSketch(connection, connectorId, args, args.sketch)
  return meterKeys(connection, connectorId, args, args.keys ?? new Uint32Array(0))
}

/** Marks a budget threshold as fired; false when it already was. */
export async function recordThreshold(connection: DuckDBConnection, connectorId: string, month: string, threshold: number, rows: number): Promise<boolean> {
  const inserted = await exec(
    connection,
    `INSERT INTO "_sluice_mar_thresholds" ("connector_id", "month", "threshold", "rows", "fired_at") VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING RETURNING 1`,
    [connectorId, month, threshold, rows],
  )
  return inserted.length === 1
}

/** MAR rows matching the filter, by month, connector and table. */
export async function selectMar(connection: DuckDBConnection, filter: MarFilter): Promise<MarUsage[]> {
  const where: string[] = []
  const params: string[] = []
  if (filter.connectorId !== undefined) (params.push(filter.connectorId), where.push(`"connector_id" = $${params.length}`))
  if (filter.month !== undefined) (params.push(filter.month), where.push(`"month" = $${params.length}`))
  if (filter.table !== undefined) (params.push(filter.table), where.push(`"table_name" = $${params.length}`))
  const reader = await connection.runAndReadAll(
    `SELECT "connector_id", "table_name", "month", "mode", "rows" FROM "_sluice_mar" ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "month", "connector_id", "table_name"`,
    params,
  )
  return reader.getRows().map(([connector, table, month, mode, rows]) => ({
    connectorId: connector as string, table: table as string, month: month as string, rows: Number(rows), approximate: mode === 'approximate',
  }))
}

async function bucketOf(connection: DuckDBConnection, connectorId: string, table: string, month: string, mode: MarMode): Promise<Bucket> {
  const [found] = await exec(
    connection,
    `SELECT "bucket", "mode", "rows", "version", "sketch" FROM "_sluice_mar" WHERE "connector_id" = $1 AND "table_name" = $2 AND "month" = $3`,
    [connectorId, table, month],
  )
  if (found) {
    const [bucket, foundMode, rows, version, sketch] = found
    if (foundMode !== mode) {
      throw new SluiceError({
        code: 'MAR_MODE_CHANGED',
        message: `MAR of table ${table} (connector ${connectorId}) is counted in ${String(foundMode)} mode for ${month}; switch mar.mode at the start of a month, or delete its row from _sluice_mar to start the month over`,
        context: { connectorId, table, month, mode: foundMode },
      })
    }
    const bytes = sketch === null ? null : (sketch as { bytes: Uint8Array }).bytes
    return { bucket: bucket as bigint, mode, rows: Number(rows), version: Number(version), sketch: bytes }
  }
  const [[bucket]] = (await exec(
    connection,
    `INSERT INTO "_sluice_mar" ("connector_id", "table_name", "month", "mode", "rows", "version", "updated_at") VALUES ($1, $2, $3, $4, 0, 0, now()) RETURNING "bucket"`,
    [connectorId, table, month, mode],
  )) as [[bigint]]
  await prune(connection, connectorId, month)
  return { bucket, mode, rows: 0, version: 0, sketch: null }
}

/** A new month began: keys and sketches of months before the previous one are no longer needed (their counts stay). */
async function prune(connection: DuckDBConnection, connectorId: string, month: string): Promise<void> {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const before = new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7)
  await exec(connection, `DELETE FROM "_sluice_mar_keys" WHERE "bucket" IN (SELECT "bucket" FROM "_sluice_mar" WHERE "connector_id" = $1 AND "month" < $2)`, [connectorId, before])
  await exec(connection, `UPDATE "_sluice_mar" SET "sketch" = NULL WHERE "connector_id" = $1 AND "month" < $2 AND "sketch" IS NOT NULL`, [connectorId, before])
}

function memo(connection: DuckDBConnection): Map<bigint, Loaded> {
  let byBucket = memos.get(connection)
  if (!byBucket) memos.set(connection, (byBucket = new Map()))
  return byBucket
}

async function meterKeys(connection: DuckDBConnection, connectorId: string, args: MeterArgs, keys: MarKeys): Promise<MeterResult> {
  const b = await bucketOf(connection, connectorId, args.table, args.month, 'exact')
  const byBucket = memo(connection)
  let state = byBucket.get(b.bucket)
  if (!state?.keys || state.version !== b.version) {
    state = { version: b.version, keys: await loadKeys(connection, b) }
    byBucket.set(b.bucket, state)
  }
  const fresh = state.keys!.addAll(keys)
  const added = fresh.length / 2
  if (added === 0) return { added, total: b.rows }
  await insertKeys(connection, b.bucket, fresh)
  await bump(connection, b, b.rows + added, null)
  state.version = b.version + 1
  return { added, total: b.rows + added }
}

/** The month's keys of a bucket; merges many small blobs into one (inside the caller's transaction). */
async function loadKeys(connection: DuckDBConnection, b: Bucket): Promise<KeySet> {
  const blobs = await exec(connection, `SELECT "keys" FROM "_sluice_mar_keys" WHERE "bucket" = $1 ORDER BY "id"`, [b.bucket])
  const set = new KeySet(b.rows)
  for (const [blob] of blobs) set.addAll(fromBlob((blob as { bytes: Uint8Array }).bytes))
  if (blobs.length > COMPACT_AT) {
    await exec(connection, `DELETE FROM "_sluice_mar_keys" WHERE "bucket" = $1`, [b.bucket])
    await insertKeys(connection, b.bucket, set.toKeys())
  }
  return set
}

async function insertKeys(connection: DuckDBConnection, bucket: bigint, keys: MarKeys): Promise<void> {
  const statement = await connection.prepare(`INSERT INTO "_sluice_mar_keys" ("bucket", "keys") VALUES ($1, $2)`)
  try {
    statement.bindBigInt(1, bucket)
    statement.bindBlob(2, new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength))
    await statement.run()
  } finally {
    statement.destroySync()
  }
}

async function meterSketch(connection: DuckDBConnection, connectorId: string, args: MeterArgs, bytes: Uint8Array): Promise<MeterResult> {
  const delta = HyperLogLog.fromBytes(bytes)
  const b = await bucketOf(connection, connectorId, args.table, args.month, 'approximate')
  const byBucket = memo(connection)
  let state = byBucket.get(b.bucket)
  if (!state?.sketch || state.version !== b.version) {
    state = { version: b.version, sketch: b.sketch ? HyperLogLog.fromBytes(b.sketch) : new HyperLogLog(delta.p) }
    byBucket.set(b.bucket, state)
  }
  const total = Math.round(state.sketch!.merge(delta).estimate())
  await bump(connection, b, total, state.sketch!.toBytes())
  state.version = b.version + 1
  return { added: Math.max(0, total - b.rows), total }
}

async function bump(connection: DuckDBConnection, b: Bucket, rows: number, sketch: Uint8Array | null): Promise<void> {
  const statement = await connection.prepare(
    `UPDATE "_sluice_mar" SET "rows" = $1, "version" = "version" + 1, "sketch" = COALESCE($2, "sketch"), "updated_at" = now() WHERE "bucket" = $3`,
  )
  try {
    statement.bindBigInt(1, BigInt(rows))
    if (sketch) statement.bindBlob(2, sketch)
    else statement.bindNull(2)
    statement.bindBigInt(3, b.bucket)
    await statement.run()
  } finally {
    statement.destroySync()
  }
}

/** Keys as stored: the two-word layout's bytes (little-endian words, as on every platform Node runs on). */
function fromBlob(blob: Uint8Array): MarKeys {
  const keys = new Uint32Array(blob.byteLength >>> 2)
  new Uint8Array(keys.buffer).set(blob.subarray(0, keys.byteLength))
  return keys
}
