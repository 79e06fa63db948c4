import pg from 'pg'
import { expect, it } from 'vitest'
import { connectionOf, opsDdl } from '../../../src/sink/postgres/postgres-stores.js'
import { postgresDialect } from '../../../src/sink/postgres/postgres-stores.js'
import { sqlMarStorage } from '../../../src/warehouse/mar/sql-mar-storage.js'
import { meter } from '../../../src/warehouse/mar/meter.js'
import type { SqlConnection } from '../../../src/warehouse/sql/sql-dialect.js'
import { describeWithService, pgUnavailable, PG_URL, schemas } from '../../source/postgres/pg-service.js'

const down = await pgUnavailable()

/** Key hashes `from`..`to` as the two-word layout (high word 0). */
const keys = (from: number, to: number) => {
  const out = new Uint32Array((to - from + 1) * 2)
  for (let i = 0; i <= to - from; i++) out[i * 2 + 1] = from + i
  return out
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
