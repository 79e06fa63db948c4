import type { MarKeys } from '../../mar/key-hash.js'
import type { MarFilter, MarMode, MarUsage } from '../../contracts/mar-store.js'
import { withPlaceholders, type SqlConnection, type SqlDialect } from '../sql/sql-dialect.js'
import { keysFromBytes, keysToBytes } from './key-blob.js'
import type { BucketId, ListedBucket, MarBucket, MarStorage } from './mar-storage.js'

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
      if (sql.prune) {
        await q(sql.prune, [connectorId, month, connectorId, month])
        return
      }
      await q(sql.pruneKeys, [connectorId, month])
      await q(sql.pruneSketches, [connectorId, month])
    },
    async listBuckets(connectorIds) {
      const out: ListedBucket[] = []
      for (const ids of chunks(connectorIds)) {
        for (const row of await q(sql.list(ids.length), ids)) {
          out.push({ id: row.bucket as BucketId, connectorId: row.connector_id as string, table: row.table_name as string, month: row.month as string, mode: row.mode as MarMode, rows: Number(row.rows), version: Number(row.version) })
        }
      }
      return out
    },
    async readKeysOf(buckets) {
      const out = new Map<string, MarKeys[]>()
      for (const ids of chunks(buckets)) {
        for (const row of await q(sql.keysOf(ids.length), ids)) {
          const id = String(row.bucket)
          const blob = keysFromBytes(row.keys as Uint8Array)
          const list = out.get(id)
          if (list) list.push(blob)
          else out.set(id, [blob])
        }
      }
      return out
    },
    async deleteBuckets(buckets) {
      for (const ids of chunks(buckets)) {
        await q(sql.dropKeysOf(ids.length), ids)
        await q(sql.dropAll(ids.length), ids)
      }
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

/** Ids bound at most this many to a statement (every dialect's parameter limit is far above). */
const IN_LIST = 500

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += IN_LIST) out.push(items.slice(i, i + IN_LIST))
  return out
}

const built = new WeakMap<SqlDialect, ReturnType<typeof build>>()

function marStatements(dialect: SqlDialect): ReturnType<typeof build> {
  let statements = built.get(dialect)
  if (!statements) built.set(dialect, (statements = build(dialect)))
  return statements
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')

/** A statement text per list length, built on first use. */
function byLength(make: (n: number) => string): (n: number) => string {
  const texts = new Map<number, string>()
  return (n) => {
    let text = texts.get(n)
    if (text === undefined) texts.set(n, (text = make(n)))
    return text
  }
}

function build(d: SqlDialect) {
  const mar = d.table('_sluice_mar')
  const keys = d.table('_sluice_mar_keys')
  const p = (text: string) => withPlaceholders(d, text)
  return {
    find: p(`SELECT "bucket", "mode", "rows", "version" FROM ${mar} WHERE "connector_id" = ? AND "table_name" = ? AND "month" = ?`),
    insert: p(`INSERT INTO ${mar} ("connector_id", "table_name", "month", "mode", "rows", "version", "updated_at") VALUES (?, ?, ?, ?, 0, 0, ${d.now}) RETURNING "bucket"`),
    // Statements over a list of ids, built per list length (at most IN_LIST of them).
    list: byLength((n) => p(`SELECT "bucket", "connector_id", "table_name", "month", "mode", "rows", "version" FROM ${mar} WHERE "connector_id" IN (${marks(n)}) ORDER BY "connector_id", "month", "table_name"`)),
    keysOf: byLength((n) => p(`SELECT "bucket", "keys" FROM ${keys} WHERE "bucket" IN (${marks(n)}) ORDER BY "bucket", "id"`)),
    dropKeysOf: byLength((n) => p(`DELETE FROM ${keys} WHERE "bucket" IN (${marks(n)})`)),
    dropAll: byLength((n) => p(`DELETE FROM ${mar} WHERE "bucket" IN (${marks(n)})`)),
    keys: p(`SELECT "keys" FROM ${keys} WHERE "bucket" = ? ORDER BY "id"`),
    append: p(`INSERT INTO ${keys} ("bucket", "keys") VALUES (?, ?)`),
    dropKeys: p(`DELETE FROM ${keys} WHERE "bucket" = ?`),
    sketch: p(`SELECT "sketch" FROM ${mar} WHERE "bucket" = ?`),
    update: p(`UPDATE ${mar} SET "rows" = ?, "version" = "version" + 1, "sketch" = COALESCE(?, "sketch"), "updated_at" = ${d.now} WHERE "bucket" = ?`),
    pruneKeys: p(`DELETE FROM ${keys} WHERE "bucket" IN (SELECT "bucket" FROM ${mar} WHERE "connector_id" = ? AND "month" < ?)`),
    pruneSketches: p(`UPDATE ${mar} SET "sketch" = NULL WHERE "connector_id" = ? AND "month" < ? AND "sketch" IS NOT NULL`),
    // Both in one statement where a WITH may write (its DELETE runs to completion whatever the UPDATE reads).
    prune: d.writingWith
      ? p(`WITH k AS (DELETE FROM ${keys} WHERE "bucket" IN (SELECT "bucket" FROM ${mar} WHERE "connector_id" = ? AND "month" < ?)) UPDATE ${mar} SET "sketch" = NULL WHERE "connector_id" = ? AND "month" < ? AND "sketch" IS NOT NULL`)
      : undefined,
    // The bucket's count and version move only from the version the caller loaded; the keys are appended only if they did.
    appendAt: d.writingWith
      ? p(`WITH b AS (UPDATE ${mar} SET "rows" = ?, "version" = "version" + 1, "updated_at" = ${d.now} WHERE "bucket" = ? AND "version" = ? RETURNING "bucket") INSERT INTO ${keys} ("bucket", "keys") SELECT "bucket", ? FROM b RETURNING "bucket"`)
      : undefined,
    threshold: p(`INSERT INTO ${d.table('_sluice_mar_thresholds')} ("connector_id", "month", "threshold", "rows", "fired_at") VALUES (?, ?, ?, ?, ${d.now}) ON CONFLICT DO NOTHING RETURNING 1 AS "fired"`),
  }
}
