import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { sqlite, sync } from '../../../../src/index.js'
import { postgresSource } from '../../../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres.js'
import { connect, readRows, warehousePath } from './cdc-helpers.js'

// Syncs (bounded, small windows, some cut short by a deadline) run one after another while writers
// insert, update, delete and truncate in transactions; after the writers stop, one more sync: the
// destination's live rows equal the source's, every other row is soft-deleted.
describe('postgres replication with concurrent writers', () => {
  let server: PrivatePostgres
  let db: pg.Client
  beforeAll(async () => {
    server = await startPrivatePostgres()
    db = await connect(server.url)
  }, 120_000)
  afterAll(async () => {
    await db?.end()
    await server?.stop()
  })

  it('ends equal to the source, row for row, deletes soft', async () => {
    await db.query(`CREATE TABLE w1 (id int PRIMARY KEY, v int, note text); CREATE TABLE w2 (id int PRIMARY KEY, v int)`)
    await db.query(`INSERT INTO w1 SELECT g, g, 'n' FROM generate_series(1, 2000) g; INSERT INTO w2 SELECT g, g FROM generate_series(1, 500) g`)
    const writers = await Promise.all([connect(server.url), connect(server.url)])
    let writing = true
    let seed = 7
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n)
    const write = async (c: pg.Client) => {
      for (let i = 0; writing; i++) {
        const id = rand(3000) + 1
        const t = rand(10) < 7 ? 'w1' : 'w2'
        const kind = rand(100)
        const sql =
          kind < 40 ? `INSERT INTO ${t} (id, v) VALUES (${id}, ${i}) ON CONFLICT (id) DO UPDATE SET v = excluded.v`
          : kind < 70 ? `UPDATE ${t} SET v = v + 1 WHERE id BETWEEN ${id} AND ${id + 20}`
          : kind < 95 ? `DELETE FROM ${t} WHERE id BETWEEN ${id} AND ${id + 5}`
          : kind < 97 ? `BEGIN; UPDATE w1 SET v = -v WHERE id % 7 = ${id % 7}; DELETE FROM w2 WHERE id % 11 = ${id % 11}; COMMIT`
          : `TRUNCATE ${t}`
        await c.query(sql)
      }
    }
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['w1', 'w2'], id: 'w', batchSize: 300, replication: { checkpointEvery: { rows: 200 } } })
    const running = writers.map(write)
    let syncs = 0
    const end = Date.now() + 6000
    try {
      while (syncs < 4 || Date.now() < end) {
        const r = await sync({ source: source(), destination: sqlite({ path }), ...(syncs % 3 === 2 ? { deadline: 150 } : {}) })
        expect(r.error).toBeUndefined()
        syncs++
      }
    } finally {
      writing = false
      await Promise.all(running)
      await Promise.all(writers.map((w) => w.end()))
    }
    const last = await sync({ source: source(), destination: sqlite({ path }) })
    expect(last.error).toBeUndefined()
    for (const table of ['w1', 'w2']) {
      const want = (await db.query(`SELECT id, v FROM ${table} ORDER BY id`)).rows.map((r) => [BigInt(r.id), BigInt(r.v)])
      const rows = readRows(path, table)
      expect(rows.filter((r) => r._sluice_deleted === 0n).map((r) => [r.id, r.v])).toEqual(want)
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length)
    }
  }, 120_000)
})
