import pg from 'pg'
import { expect, it } from 'vitest'
import { connectionOf, opsDdl } from '../../../src/sink/postgres/postgres-stores.js'
import { postgresDialect } from '../../../src/sink/postgres/postgres-stores.js'
import { sqlMarStorage } from '../../../src/warehouse/mar/sql-mar-storage.js'
import { mergeMar, meter } from '../../../src/warehouse/mar/meter.js'
import { HyperLogLog } from '../../../src/mar/hyperloglog.js'
import type { SqlConnection } from '../../../src/warehouse/sql/sql-dialect.js'
import { describeWithService, pgUnavailable, PG_URL, schemas } from '../../source/postgres/pg-service.js'

const down = await pgUnavailable()

/** Key hashes `from`..`to` as the two-word layout (high word 0). */
const keys = (from: number, to: number) => {
  const out = new Uint32Array((to - from + 1) * 2)
  for (let i = 0; i <= to - from; i++) out[i * 2 + 1] = from + i
  return out
}

/** A fresh schema with the MAR tables, and a client of its own for `work` (ended after). */
async function withOpsSchema(fresh: ReturnType<typeof schemas>, work: (schema: string, client: pg.Client) => Promise<void>): Promise<void> {
  const schema = fresh.next()
  await fresh.pool.query(`CREATE SCHEMA "${schema}"; ${opsDdl(schema)}`)
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await work(schema, client)
  } finally {
    await client.end()
  }
}

describeWithService('meter on Postgres: new keys in one round trip (appendKeysAt)', 'PostgreSQL', down, () => {
  const fresh = schemas('sluice_meter')

  it('appends with the count in one statement while the bucket is as this process wrote it; a rollback or another writer sends it down the full path', async () => {
    const schema = fresh.next()
    await fresh.pool.query(`CREATE SCHEMA "${schema}"; ${opsDdl(schema)}`)
    const a = new pg.Client({ connectionString: PG_URL })
    const b = new pg.Client({ connectionString: PG_URL })
    await a.connect()
    await b.connect()
    try {
      let statements = 0
      const counted = (c: SqlConnection): SqlConnection => ({ query: (sql, params) => (statements++, c.query(sql, params)) })
      const storageA = sqlMarStorage(counted(connectionOf(a)), postgresDialect(schema))
      const storageB = sqlMarStorage(connectionOf(b), postgresDialect(schema))
      const month = { table: 't', month: '2026-11' }
      const inTx = async <T>(client: pg.Client, end: 'COMMIT' | 'ROLLBACK', work: () => Promise<T>) => {
        await client.query('BEGIN')
        const out = await work()
        await client.query(end)
        return out
      }

      expect(await inTx(a, 'COMMIT', () => meter(storageA, 'c', { ...month, keys: keys(1, 3) }))).toEqual({ added: 3, total: 3 })
      statements = 0
      expect(await inTx(a, 'COMMIT', () => meter(storageA, 'c', { ...month, keys: keys(3, 5) }))).toEqual({ added: 2, total: 5 })
      expect(statements).toBe(1) // find, append and update in one

      // Rolled back: the version went back, the one-statement path refuses, the keys count again.
      expect(await inTx(a, 'ROLLBACK', () => meter(storageA, 'c', { ...month, keys: keys(6, 7) }))).toEqual({ added: 2, total: 7 })
      statements = 0
      expect(await inTx(a, 'COMMIT', () => meter(storageA, 'c', { ...month, keys: keys(6, 8) }))).toEqual({ added: 3, total: 8 })
      expect(statements).toBeGreaterThan(1)

      // Another writer added a key: refused again, the memo is loaded again, that key is not counted twice.
      expect(await inTx(b, 'COMMIT', () => meter(storageB, 'c', { ...month, keys: keys(9, 9) }))).toEqual({ added: 1, total: 9 })
      expect(await inTx(a, 'COMMIT', () => meter(storageA, 'c', { ...month, keys: keys(9, 10) }))).toEqual({ added: 1, total: 10 })

      // Nothing new: no write, the count stays.
      expect(await inTx(a, 'COMMIT', () => meter(storageA, 'c', { ...month, keys: keys(1, 10) }))).toEqual({ added: 0, total: 10 })

      const stored = await fresh.pool.query<{ rows: string; version: string }>(`SELECT "rows", "version" FROM "${schema}"."_sluice_mar"`)
      expect(stored.rows).toEqual([{ rows: '10', version: expect.any(String) }])
      const blobs = await fresh.pool.query<{ keys: Buffer }>(`SELECT "keys" FROM "${schema}"."_sluice_mar_keys" ORDER BY "id"`)
      const all = blobs.rows.flatMap((r) => {
        const words = new Uint32Array(r.keys.buffer.slice(r.keys.byteOffset, r.keys.byteOffset + r.keys.byteLength))
        return Array.from({ length: words.length / 2 }, (_, i) => words[i * 2 + 1]!)
      })
      expect(all.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    } finally {
      await a.end()
      await b.end()
    }
  })
})

describeWithService('meter on Postgres: a new bucket (a new month, a fleet partition) in four statements', 'PostgreSQL', down, () => {
  const fresh = schemas('sluice_meter_new')

  it('find, insert, one prune of older months (their keys deleted, sketches cleared, counts kept) and the keys with the count; nothing read back', () =>
    withOpsSchema(fresh, async (schema, client) => {
      const texts: string[] = []
      const storage = sqlMarStorage({ query: (sql, params) => (texts.push(sql), connectionOf(client).query(sql, params)) }, postgresDialect(schema))
      const other = sqlMarStorage(connectionOf(client), postgresDialect(schema))
      const inTx = async <T>(work: () => Promise<T>) => {
        await client.query('BEGIN')
        const out = await work()
        await client.query('COMMIT')
        return out
      }
      // Older months: August in exact mode, and (another table) a sketch for August; September exact.
      await inTx(() => meter(other, 'c', { table: 't', month: '2026-08', keys: keys(1, 4) }))
      const sketch = new HyperLogLog(10).addKeys(keys(1, 50))
      await inTx(() => meter(other, 'c', { table: 'u', month: '2026-08', sketch: sketch.toBytes() }))
      await inTx(() => meter(other, 'c', { table: 't', month: '2026-09', keys: keys(1, 3) }))
      await inTx(() => meter(other, 'someone-else', { table: 't', month: '2026-08', keys: keys(1, 2) }))

      expect(await inTx(() => meter(storage, 'c', { table: 't', month: '2026-10', keys: keys(2, 6) }))).toEqual({ added: 5, total: 5 })
      expect(texts).toHaveLength(4)
      expect(texts[0]).toMatch(/^SELECT "bucket", "mode"/)
      expect(texts[1]).toMatch(/^INSERT INTO/)
      expect(texts[2]).toMatch(/^WITH k AS \(DELETE FROM .*"_sluice_mar_keys".*UPDATE .*"_sluice_mar" SET "sketch" = NULL/)
      expect(texts[3]).toMatch(/^WITH b AS \(UPDATE/)

      const buckets = await fresh.pool.query<{ connector_id: string; table_name: string; month: string; rows: string; has_sketch: boolean; blobs: string }>(
        `SELECT m."connector_id", m."table_name", m."month", m."rows", m."sketch" IS NOT NULL AS has_sketch,
           (SELECT count(*) FROM "${schema}"."_sluice_mar_keys" k WHERE k."bucket" = m."bucket") AS blobs
         FROM "${schema}"."_sluice_mar" m ORDER BY 1, 2, 3`,
      )
      expect(buckets.rows).toEqual([
        { connector_id: 'c', table_name: 't', month: '2026-08', rows: '4', has_sketch: false, blobs: '0' }, // before the previous month: keys gone, count kept
        { connector_id: 'c', table_name: 't', month: '2026-09', rows: '3', has_sketch: false, blobs: '1' }, // the previous month: kept
        { connector_id: 'c', table_name: 't', month: '2026-10', rows: '5', has_sketch: false, blobs: '1' },
        { connector_id: 'c', table_name: 'u', month: '2026-08', rows: expect.any(String), has_sketch: false, blobs: '0' }, // its sketch cleared
        { connector_id: 'someone-else', table_name: 't', month: '2026-08', rows: '2', has_sketch: false, blobs: '1' }, // another connector's: untouched
      ])

      // The next batch of the month goes the one-statement way, and a key seen in the first batch is not counted again.
      texts.length = 0
      expect(await inTx(() => meter(storage, 'c', { table: 't', month: '2026-10', keys: keys(6, 7) }))).toEqual({ added: 1, total: 6 })
      expect(texts).toHaveLength(1)
    }))

  it('a created bucket rolled back leaves no memo behind: the keys count again in the bucket that replaces it', () =>
    withOpsSchema(fresh, async (schema, client) => {
      const storage = sqlMarStorage(connectionOf(client), postgresDialect(schema))
      await client.query('BEGIN')
      expect(await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(1, 3) })).toEqual({ added: 3, total: 3 })
      await client.query('ROLLBACK')
      await client.query('BEGIN')
      expect(await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(1, 4) })).toEqual({ added: 4, total: 4 })
      await client.query('COMMIT')
      const stored = await fresh.pool.query<{ rows: string }>(`SELECT "rows" FROM "${schema}"."_sluice_mar"`)
      expect(stored.rows).toEqual([{ rows: '4' }])
    }))
})

describeWithService('mergeMar on Postgres: a backfill\'s partitions merge in a handful of statements', 'PostgreSQL', down, () => {
  const fresh = schemas('sluice_merge')

  /** 64 partitions of 100 keys each, every one overlapping the next by 10, and the connector already holding keys 1…50. */
  async function seeded(schema: string, client: pg.Client) {
    await fresh.pool.query(`CREATE SCHEMA "${schema}"; ${opsDdl(schema)}`)
    const storage = sqlMarStorage(connectionOf(client), postgresDialect(schema))
    const month = { table: 't', month: '2026-11' }
    await client.query('BEGIN')
    await meter(storage, 'c', { ...month, keys: keys(1, 50) })
    const parts: string[] = []
    for (let i = 0; i < 64; i++) {
      parts.push(`c#p${i}`)
      // Two pages each: two blobs per partition bucket.
      await meter(storage, `c#p${i}`, { ...month, keys: keys(i * 90 + 1, i * 90 + 60) })
      await meter(storage, `c#p${i}`, { ...month, keys: keys(i * 90 + 50, i * 90 + 100) })
    }
    // Another month and table of one partition merge into their own buckets.
    await meter(storage, 'c#p3', { table: 'u', month: '2026-11', keys: keys(1, 7) })
    await meter(storage, 'c#p5', { table: 't', month: '2026-10', keys: keys(1, 4) })
    await client.query('COMMIT')
    return parts
  }

  async function stored(schema: string) {
    const counts = await fresh.pool.query<{ connector_id: string; table_name: string; month: string; rows: string }>(`SELECT "connector_id", "table_name", "month", "rows" FROM "${schema}"."_sluice_mar" ORDER BY 1, 2, 3`)
    const blobs = await fresh.pool.query<{ keys: Buffer; table_name: string; month: string }>(`SELECT k."keys", m."table_name", m."month" FROM "${schema}"."_sluice_mar_keys" k JOIN "${schema}"."_sluice_mar" m USING ("bucket") WHERE m."connector_id" = 'c' AND m."table_name" = 't' AND m."month" = '2026-11'`)
    const all = blobs.rows.flatMap((r) => {
      const words = new Uint32Array(r.keys.buffer.slice(r.keys.byteOffset, r.keys.byteOffset + r.keys.byteLength))
      return Array.from({ length: words.length / 2 }, (_, i) => words[i * 2 + 1]!)
    })
    return { counts: counts.rows.map((r) => `${r.connector_id} ${r.table_name} ${r.month} ${r.rows}`), keys: all.sort((x, y) => x - y) }
  }

  for (const [name, readKeys] of [['one read of every key', undefined], ['reads of at most 1,000 keys', 1000]] as const) {
    it(`64 partitions, overlapping each other and the connector: each key counted once, the partitions' buckets gone (${name})`, async () => {
      const schema = fresh.next()
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      try {
        const parts = await seeded(schema, client)
        let statements = 0
        const counted: SqlConnection = { query: (sql, params) => (statements++, connectionOf(client).query(sql, params)) }
        // A fresh storage: nothing remembered from the metering above.
        const storage = sqlMarStorage(counted, postgresDialect(schema))
        await client.query('BEGIN')
        await mergeMar(storage, 'c', parts, readKeys === undefined ? {} : { readKeys })
        await client.query('COMMIT')
        // However many partitions: list (1); per bucket merged into, find, read the partitions' keys, append, update
        // (4 × 3), and read its keys for the one that exists (1), insert and prune for the two new ones (2 × 2; a new
        // bucket has no keys to read); delete keys and buckets (2): 20.
        if (readKeys === undefined) expect(statements).toBe(20)
        else expect(statements).toBeGreaterThan(20) // 64 × 100 keys at 1,000 a read: several reads and appends
        const after = await stored(schema)
        expect(after.counts).toEqual(['c t 2026-10 4', 'c t 2026-11 5770', 'c u 2026-11 7'])
        expect(after.keys).toEqual(Array.from({ length: 5770 }, (_, i) => i + 1))
        // Run again: nothing left to merge, nothing changes.
        await client.query('BEGIN')
        await mergeMar(storage, 'c', parts)
        await client.query('COMMIT')
        expect(await stored(schema)).toEqual(after)
      } finally {
        await client.end()
      }
    })
  }
})
