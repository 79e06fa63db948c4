import type { Database } from 'better-sqlite3'
import { SluiceError } from '../../core/sluice-error.js'
import { HyperLogLog } from '../../mar/hyperloglog.js'
import type { MarKeys } from '../../mar/key-hash.js'
import { KeySet } from '../../mar/key-set.js'
import type { MarFilter, MarMode, MarStore, MarUsage, MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { cached, ensureOpsTables, hasTable, type SqliteAccess } from './sqlite-ops-ddl.js'

/** Key blobs of a bucket beyond this many are merged into one when the bucket is next loaded. */
const COMPACT_AT = 32

interface Bucket {
  readonly bucket: number
  readonly mode: MarMode
  readonly rows: number
  readonly version: number
  readonly sketch: Buffer | null
}

/** What a handle remembers of a bucket between batches; trusted only while `version` matches the row. */
type Loaded = { version: number; keys?: KeySet; sketch?: HyperLogLog }
const loaded = new WeakMap<Database, Map<number, Loaded>>()

/**
 * The MAR methods of the SQLite sink (see `MarStore`): `meter` and `recordMarThreshold` write in
 * the sync's open transaction; `readMar` reads committed counts from any handle.
 */
export function sqliteMar(access: SqliteAccess): Required<MarStore> {
  return {
    async meter(args) {
      const { db, connectorId } = access.run()
      ensureOpsTables(db)
      return args.sketch ? meterSketch(db, connectorId, args, args.sketch) : meterKeys(db, connectorId, args, args.keys ?? new Uint32Array(0))
    },
    async readMar(filter) {
      return access.use('read', (db) => (hasTable(db, '_sluice_mar') ? selectMar(db, filter) : []), () => [])
    },
    async recordMarThreshold({ month, threshold, rows }) {
      const { db, connectorId } = access.run()
      ensureOpsTables(db)
      const info = cached(db, `INSERT OR IGNORE INTO "_sluice_mar_thresholds" ("connector_id", "month", "threshold", "rows", "fired_at") VALUES (?, ?, ?, ?, ?)`)
        .run(connectorId, month, threshold, rows, new Date().toISOString())
      return info.changes === 1
    },
  }
}

function bucketOf(db: Database, connectorId: string, table: string, month: string, mode: MarMode): Bucket {
  const found = cached(db, `SELECT "bucket", "mode", "rows", "version", "sketch" FROM "_sluice_mar" WHERE "connector_id" = ? AND "table_name" = ? AND "month" = ?`)
    .get(connectorId, table, month) as Bucket | undefined
  if (found) {
    if (found.mode !== mode) {
      throw new SluiceError({
        code: 'MAR_MODE_CHANGED',
        message: `MAR of table ${table} (connector ${connectorId}) is counted in ${found.mode} mode for ${month}; switch mar.mode at the start of a month, or delete its row from _sluice_mar to start the month over`,
        context: { connectorId, table, month, mode: found.mode },
      })
    }
    return found
  }
  const info = cached(db, `INSERT INTO "_sluice_mar" ("connector_id", "table_name", "month", "mode", "rows", "version", "updated_at") VALUES (?, ?, ?, ?, 0, 0, ?)`)
    .run(connectorId, table, month, mode, new Date().toISOString())
  prune(db, connectorId, month)
  return { bucket: Number(info.lastInsertRowid), mode, rows: 0, version: 0, sketch: null }
}

/**
 * A new month began: keys and sketches of months before the previous one are no longer needed
 * (their counts stay). The previous month is kept so that a clock stepping back doesn't recount.
 */
function prune(db: Database, connectorId: string, month: string): void {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const before = new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7)
  cached(db, `DELETE FROM "_sluice_mar_keys" WHERE "bucket" IN (SELECT "bucket" FROM "_sluice_mar" WHERE "connector_id" = ? AND "month" < ?)`).run(connectorId, before)
  cached(db, `UPDATE "_sluice_mar" SET "sketch" = NULL WHERE "connector_id" = ? AND "month" < ? AND "sketch" IS NOT NULL`).run(connectorId, before)
}

function memo(db: Database): Map<number, Loaded> {
  let byBucket = loaded.get(db)
  if (!byBucket) loaded.set(db, (byBucket = new Map()))
  return byBucket
}

function meterKeys(db: Database, connectorId: string, args: MeterArgs, keys: MarKeys): MeterResult {
  const b = bucketOf(db, connectorId, args.table, args.month, 'exact')
  const byBucket = memo(db)
  let state = byBucket.get(b.bucket)
  if (!state?.keys || state.version !== b.version) {
    state = { version: b.version, keys: loadKeys(db, b) }
    byBucket.set(b.bucket, state)
  }
  const fresh = state.keys!.addAll(keys)
  const added = fresh.length / 2
  if (added === 0) return { added, total: b.rows }
  cached(db, `INSERT INTO "_sluice_mar_keys" ("bucket", "keys") VALUES (?, ?)`).run(b.bucket, toBlob(fresh))
  bump(db, b, b.rows + added, null)
  state.version = b.version + 1
  return { added, total: b.rows + added }
}

/** The month's keys of a bucket; merges many small blobs into one (inside the caller's transaction). */
function loadKeys(db: Database, b: Bucket): KeySet {
  const blobs = cached(db, `SELECT "keys" FROM "_sluice_mar_keys" WHERE "bucket" = ? ORDER BY "id"`).pluck().all(b.bucket) as Buffer[]
  const set = new KeySet(b.rows)
  for (const blob of blobs) set.addAll(fromBlob(blob))
  if (blobs.length > COMPACT_AT) {
    cached(db, `DELETE FROM "_sluice_mar_keys" WHERE "bucket" = ?`).run(b.bucket)
    cached(db, `INSERT INTO "_sluice_mar_keys" ("bucket", "keys") VALUES (?, ?)`).run(b.bucket, toBlob(set.toKeys()))
  }
  return set
}

function meterSketch(db: Database, connectorId: string, args: MeterArgs, bytes: Uint8Array): MeterResult {
  const delta = HyperLogLog.fromBytes(bytes)
  const b = bucketOf(db, connectorId, args.table, args.month, 'approximate')
  const byBucket = memo(db)
  let state = byBucket.get(b.bucket)
  if (!state?.sketch || state.version !== b.version) {
    state = { version: b.version, sketch: b.sketch ? HyperLogLog.fromBytes(new Uint8Array(b.sketch)) : new HyperLogLog(delta.p) }
    byBucket.set(b.bucket, state)
  }
  const total = Math.round(state.sketch!.merge(delta).estimate())
  bump(db, b, total, Buffer.from(state.sketch!.toBytes()))
  state.version = b.version + 1
  return { added: Math.max(0, total - b.rows), total }
}

function bump(db: Database, b: Bucket, rows: number, sketch: Buffer | null): void {
  cached(db, `UPDATE "_sluice_mar" SET "rows" = ?, "version" = "version" + 1, "sketch" = COALESCE(?, "sketch"), "updated_at" = ? WHERE "bucket" = ?`)
    .run(rows, sketch, new Date().toISOString(), b.bucket)
}

function selectMar(db: Database, filter: MarFilter): MarUsage[] {
  const where: string[] = []
  const params: string[] = []
  if (filter.connectorId !== undefined) (where.push('"connector_id" = ?'), params.push(filter.connectorId))
  if (filter.month !== undefined) (where.push('"month" = ?'), params.push(filter.month))
  if (filter.table !== undefined) (where.push('"table_name" = ?'), params.push(filter.table))
  const rows = db
    .prepare(`SELECT "connector_id", "table_name", "month", "mode", "rows" FROM "_sluice_mar" ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "month", "connector_id", "table_name"`)
    .all(...params) as { connector_id: string; table_name: string; month: string; mode: string; rows: number }[]
  return rows.map((r) => ({ connectorId: r.connector_id, table: r.table_name, month: r.month, rows: Number(r.rows), approximate: r.mode === 'approximate' }))
}

/** Keys as stored: the two-word layout's bytes (little-endian words, as on every platform Node runs on). */
function toBlob(keys: MarKeys): Buffer {
  return Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength)
}

function fromBlob(blob: Buffer): MarKeys {
  const keys = new Uint32Array(blob.byteLength >>> 2)
  new Uint8Array(keys.buffer).set(blob.subarray(0, keys.byteLength))
  return keys
}
