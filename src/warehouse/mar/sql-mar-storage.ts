import type { MarKeys } from '../../mar/key-hash.js'
import type { MarFilter, MarMode, MarUsage } from '../../contracts/mar-store.js'
import { withPlaceholders, type SqlConnection, type SqlDialect } from '../sql/sql-dialect.js'
import { keysFromBytes, keysToBytes } from './key-blob.js'
import type { BucketId, MarBucket, MarStorage } from './mar-storage.js'

/**
 * {@link MarStorage} over the `_sluice_mar*` tables of a SQL destination (see `ops-ddl.ts`), on
 * `connection` inside the sync's transaction. The statements are built once per dialect.
 *
 * @example
 * ```ts
 * import { sqlMarStorage } from './sql-mar-storage.js'
 * import type { SqlConnection, SqlDialect } from '../sql/sql-dialect.js'
 * declare const connection: SqlConnection, dialect: SqlDialect
 * const storage = sqlMarStorage(connection, dialect)
 * ```
 */
export function sqlMarStorage(connection: SqlConnection, dialect: SqlDialect): MarStorage {
  const sql = marStatements(dialect)
  const q = (text: string, params: readonly (string | number | bigint | Uint8Array | null)[]) => connection.query(text, params)
  return {
    restartHint: 'delete its row from _sluice_mar',
    async findBucket(connectorId, table, month) {
      const [row] = await q(sql.find, [connectorId, table, month])
      return row ? { id: row.bucket as BucketId, mode: row.mode as MarMode, rows: Number(row.rows), version: Number(row.version) } satisfies MarBucket : undefined
    },
    async insertBucket(connectorId, table, month, mode) {
      const [row] = await q(sql.insert, [connectorId, table, month, mode])
      return row!.bucket as BucketId
    },
    async readKeys(bucket) {
      return (await q(sql.keys, [bucket])).map((row) => keysFromBytes(row.keys as Uint8Array))
    },
    async appendKeys(bucket, keys: MarKeys) {
      await q(sql.append, [bucket, keysToBytes(keys)])
    },
    async compactKeys(bucket, keys) {
      await q(sql.dropKeys, [bucket])
      await q(sql.append, [bucket, keysToBytes(keys)])
    },
    async readSketch(bucket) {
      const [row] = await q(sql.sketch, [bucket])
      const bytes = row?.sketch as Uint8Array | null | undefined
      return bytes ? new Uint8Array(bytes) : null // a copy: a driver's Buffer may be a view of a pooled one
    },
    async updateBucket(bucket, rows, sketch) {
      await q(sql.update, [rows, sketch, bucket])
    },
    ...(sql.appendAt
      ? {
          async appendKeysAt(bucket: BucketId, version: number, keys: MarKeys, rows: number) {
            return (await q(sql.appendAt!, [rows, bucket, version, keysToBytes(keys)])).length === 1
          },
        }
      : {}),
    async prune(connectorId, month) {
      await q(sql.pruneKeys, [connectorId, month])
      await q(sql.pruneSketches, [connectorId, month])
    },
    async listBuckets(connectorId) {
      const rows = await q(sql.list, [connectorId])
      return rows.map((row) => ({ id: row.bucket as BucketId, table: row.table_name as string, month: row.month as string, mode: row.mode as MarMode, rows: Number(row.rows), version: Number(row.version) }))
    },
    async deleteBucket(bucket) {
      await q(sql.dropKeys, [bucket])
      await q(sql.drop, [bucket])
    },
    async markThreshold(connectorId, month, threshold, rows) {
      return (await q(sql.threshold, [connectorId, month, threshold, rows])).length === 1
    },
  }
}

/**
 * Committed MAR rows matching the filter, ordered by month, connector and table (read outside
 * any sync; the caller checks `_sluice_mar` exists).
 */
export async function selectMarUsage(connection: SqlConnection, dialect: SqlDialect, filter: MarFilter): Promise<MarUsage[]> {
  const where: string[] = []
  const params: string[] = []
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return
    params.push(value)
    where.push(`"${column}" = ${dialect.placeholder(params.length)}`)
  }
  add('connector_id', filter.connectorId)
  add('month', filter.month)
  add('table_name', filter.table)
  const rows = await connection.query(
    `SELECT "connector_id", "table_name", "month", "mode", "rows" FROM ${dialect.table('_sluice_mar')} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "month", "connector_id", "table_name"`,
    params,
  )
  return rows.map((r) => ({ connectorId: r.connector_id as string, table: r.table_name as string, month: r.month as string, rows: Number(r.rows), approximate: r.mode === 'approximate' }))
}

const built = new WeakMap<SqlDialect, ReturnType<typeof build>>()

function marStatements(dialect: SqlDialect): ReturnType<typeof build> {
  let statements = built.get(dialect)
  if (!statements) built.set(dialect, (statements = build(dialect)))
  return statements
}

function build(d: SqlDialect) {
  const mar = d.table('_sluice_mar')
  const keys = d.table('_sluice_mar_keys')
  const p = (text: string) => withPlaceholders(d, text)
  return {
    find: p(`SELECT "bucket", "mode", "rows", "version" FROM ${mar} WHERE "connector_id" = ? AND "table_name" = ? AND "month" = ?`),
    insert: p(`INSERT INTO ${mar} ("connector_id", "table_name", "month", "mode", "rows", "version", "updated_at") VALUES (?, ?, ?, ?, 0, 0, ${d.now}) RETURNING "bucket"`),
    list: p(`SELECT "bucket", "table_name", "month", "mode", "rows", "version" FROM ${mar} WHERE "connector_id" = ? ORDER BY "month", "table_name"`),
    drop: p(`DELETE FROM ${mar} WHERE "bucket" = ?`),
    keys: p(`SELECT "keys" FROM ${keys} WHERE "bucket" = ? ORDER BY "id"`),
    append: p(`INSERT INTO ${keys} ("bucket", "keys") VALUES (?, ?)`),
    dropKeys: p(`DELETE FROM ${keys} WHERE "bucket" = ?`),
    sketch: p(`SELECT "sketch" FROM ${mar} WHERE "bucket" = ?`),
    update: p(`UPDATE ${mar} SET "rows" = ?, "version" = "version" + 1, "sketch" = COALESCE(?, "sketch"), "updated_at" = ${d.now} WHERE "bucket" = ?`),
    pruneKeys: p(`DELETE FROM ${keys} WHERE "bucket" IN (SELECT "bucket" FROM ${mar} WHERE "connector_id" = ? AND "month" < ?)`),
    pruneSketches: p(`UPDATE ${mar} SET "sketch" = NULL WHERE "connector_id" = ? AND "month" < ? AND "sketch" IS NOT NULL`),
    // The bucket's count and version move only from the version the caller loaded; the keys are appended only if they did.
    appendAt: d.writingWith
      ? p(`WITH b AS (UPDATE ${mar} SET "rows" = ?, "version" = "version" + 1, "updated_at" = ${d.now} WHERE "bucket" = ? AND "version" = ? RETURNING "bucket") INSERT INTO ${keys} ("bucket", "keys") SELECT "bucket", ? FROM b RETURNING "bucket"`)
      : undefined,
    threshold: p(`INSERT INTO ${d.table('_sluice_mar_thresholds')} ("connector_id", "month", "threshold", "rows", "fired_at") VALUES (?, ?, ?, ?, ${d.now}) ON CONFLICT DO NOTHING RETURNING 1 AS "fired"`),
  }
}
