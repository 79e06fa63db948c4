import type pg from 'pg'
import { SluiceError } from '../../core/sluice-error.js'
import { HyperLogLog } from '../../mar/hyperloglog.js'
import type { MarKeys } from '../../mar/key-hash.js'
import { KeySet } from '../../mar/key-set.js'
import type { MarFilter, MarMode, MarStore, MarUsage, MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { hasOps, type PostgresAccess } from './postgres-ops-ddl.js'

/** Key blobs of a bucket beyond this many are merged into one when the bucket is next loaded. */
const COMPACT_AT = 32

interface Bucket {
  readonly bucket: number
  readonly mode: MarMode
  readonly rows: number
  readonly version: number
  readonly sketch: Buffer | null
}

/** What a client remembers of a bucket between batches; trusted only while `version` matches the row (a rollback puts it back). */
type Loaded = { version: number; keys?: KeySet; sketch?: HyperLogLog }
const loaded = new WeakMap<pg.ClientBase, Map<string, Loaded>>()

/**
 * The MAR methods of the Postgres sink (see `MarStore`), as SQLite's: `meter` and
 * `recordMarThreshold` write in the sync's open transaction, so counts commit with the data;
 * `readMar` reads committed counts on a client of its own.
 */
export function postgresMar(access: PostgresAccess): Required<MarStore> {
  const t = (name: string) => `${quoteIdent(access.schema)}.${quoteIdent(name)}`
  const memo = (client: pg.ClientBase): Map<string, Loaded> => {
    let byBucket = loaded.get(client)
    if (!byBucket) loaded.set(client, (byBucket = new Map()))
    return byBucket
  }

  const bucketOf = async (client: pg.ClientBase, connectorId: string, table: string, month: string, mode: MarMode): Promise<Bucket> => {
    const found = await client.query<{ bucket: string; mode: MarMode; rows: string; version: string; sketch: Buffer | null }>(
      `SELECT "bucket", "mode", "rows", "version", "sketch" FROM ${t('_sluice_mar')} WHERE "connector_id" = $1 AND "table_name" = $2 AND "month" = $3`,
      [connectorId, table, month],
    )
    const row = found.rows[0]
    if (row) {
      if (row.mode !== mode) {
        throw new SluiceError({
          code: 'MAR_MODE_CHANGED',
          message: `MAR of table ${table} (connector ${connectorId}) is counted in ${row.mode} mode for ${month}; switch mar.mode at the start of a month, or delete its row from _sluice_mar to start the month over`,
          context: { connectorId, table, month, mode: row.mode },
        })
      }
      return { bucket: Number(row.bucket), mode, rows: Number(row.rows), version: Number(row.version), sketch: row.sketch }
    }
    const made = await client.query<{ bucket: string }>(
      `INSERT INTO ${t('_sluice_mar')} ("connector_id", "table_name", "month", "mode", "rows", "version", "updated_at") VALUES ($1, $2, $3, $4, 0, 0, now()) RETURNING "bucket"`,
      [connectorId, table, month, mode],
    )
    await prune(client, connectorId, month)
    return { bucket: Number(made.rows[0]!.bucket), mode, rows: 0, version: 0, sketch: null }
  }

  /** A new month began: keys and sketches of months before the previous one are no longer needed (their counts stay). */
  const prune = async (client: pg.ClientBase, connectorId: string, month: string) => {
    const [y, m] = month.split('-').map(Number) as [number, number]
    const before = new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7)
    await client.query(`DELETE FROM ${t('_sluice_mar_keys')} WHERE "bucket" IN (SELECT "bucket" FROM ${t('_sluice_mar')} WHERE "connector_id" = $1 AND "month" < $2)`, [connectorId, before])
    await client.query(`UPDATE ${t('_sluice_mar')} SET "sketch" = NULL WHERE "connector_id" = $1 AND "month" < $2 AND "sketch" IS NOT NULL`, [connectorId, before])
  }

  const bump = (client: pg.ClientBase, b: Bucket, rows: number, sketch: Buffer | null) =>
    client.query(`UPDATE ${t('_sluice_mar')} SET "rows" = $1, "version" = "version" + 1, "sketch" = COALESCE($2, "sketch"), "updated_at" = now() WHERE "bucket" = $3`, [rows, sketch, b.bucket])

  const meterKeys = async (client: pg.ClientBase, connectorId: string, args: MeterArgs, keys: MarKeys): Promise<MeterResult> => {
    const b = await bucketOf(client, connectorId, args.table, args.month, 'exact')
    const id = `${access.schema}\u0000${b.bucket}`
    const byBucket = memo(client)
    let state = byBucket.get(id)
    if (!state?.keys || state.version !== b.version) {
      state = { version: b.version, keys: await loadKeys(client, b) }
      byBucket.set(id, state)
    }
    const fresh = state.keys!.addAll(keys)
    const added = fresh.length / 2
    if (added === 0) return { added, total: b.rows }
    await client.query(`INSERT INTO ${t('_sluice_mar_keys')} ("bucket", "keys") VALUES ($1, $2)`, [b.bucket, toBlob(fresh)])
    await bump(client, b, b.rows + added, null)
    state.version = b.version + 1
    return { added, total: b.rows + added }
  }

  /** The month's keys of a bucket; merges many small blobs into one (inside the caller's transaction). */
  const loadKeys = async (client: pg.ClientBase, b: Bucket): Promise<KeySet> => {
    const blobs = (await client.query<{ keys: Buffer }>(`SELECT "keys" FROM ${t('_sluice_mar_keys')} WHERE "bucket" = $1 ORDER BY "id"`, [b.bucket])).rows.map((r) => r.keys)
    const set = new KeySet(b.rows)
    for (const blob of blobs) set.addAll(fromBlob(blob))
    if (blobs.length > COMPACT_AT) {
      await client.query(`DELETE FROM ${t('_sluice_mar_keys')} WHERE "bucket" = $1`, [b.bucket])
      await client.query(`INSERT INTO ${t('_sluice_mar_keys')} ("bucket", "keys") VALUES ($1, $2)`, [b.bucket, toBlob(set.toKeys())])
    }
    return set
  }

  const meterSketch = async (client: pg.ClientBase, connectorId: string, args: MeterArgs, bytes: Uint8Array): Promise<MeterResult> => {
    const delta = HyperLogLog.fromBytes(bytes)
    const b = await bucketOf(client, connectorId, args.table, args.month, 'approximate')
    const id = `${access.schema}\u0000${b.bucket}`
    const byBucket = memo(client)
    let state = byBucket.get(id)
    if (!state?.sketch || state.version !== b.version) {
      state = { version: b.version, sketch: b.sketch ? HyperLogLog.fromBytes(new Uint8Array(b.sketch)) : new HyperLogLog(delta.p) }
      byBucket.set(id, state)
    }
    const total = Math.round(state.sketch!.merge(delta).estimate())
    await bump(client, b, total, Buffer.from(state.sketch!.toBytes()))
    state.version = b.version + 1
    return { added: Math.max(0, total - b.rows), total }
  }

  return {
    async meter(args) {
      const { client, connectorId } = await access.run()
      return args.sketch ? meterSketch(client, connectorId, args, args.sketch) : meterKeys(client, connectorId, args, args.keys ?? new Uint32Array(0))
    },
    async readMar(filter: MarFilter) {
      return access.use(false, async (client) => ((await hasOps(client, access.schema)) ? selectMar(client, t('_sluice_mar'), filter) : []))
    },
    async recordMarThreshold({ month, threshold, rows }) {
      const { client, connectorId } = await access.run()
      const r = await client.query(
        `INSERT INTO ${t('_sluice_mar_thresholds')} ("connector_id", "month", "threshold", "rows", "fired_at") VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING`,
        [connectorId, month, threshold, rows],
      )
      return r.rowCount === 1
    },
  }
}

async function selectMar(client: pg.ClientBase, table: string, filter: MarFilter): Promise<MarUsage[]> {
  const where: string[] = []
  const params: string[] = []
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return
    params.push(value)
    where.push(`"${column}" = $${params.length}`)
  }
  add('connector_id', filter.connectorId)
  add('month', filter.month)
  add('table_name', filter.table)
  const r = await client.query<{ connector_id: string; table_name: string; month: string; mode: string; rows: string }>(
    `SELECT "connector_id", "table_name", "month", "mode", "rows" FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "month", "connector_id", "table_name"`,
    params,
  )
  return r.rows.map((row) => ({ connectorId: row.connector_id, table: row.table_name, month: row.month, rows: Number(row.rows), approximate: row.mode === 'approximate' }))
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
