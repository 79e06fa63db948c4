import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { sqlite, sync } from '../../../../src/index.js'
import { postgresSource } from '../../../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres.js'
import { connect, readRows, warehousePath } from './cdc-helpers.js'

describe('postgresSource({ replication: "logical" }): snapshot then stream', () => {
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

  it('lands the rows there before the first sync, then inserts, updates and deletes (soft); a sync with no change changes nothing', async () => {
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, name text, qty int8)`)
    await db.query(`INSERT INTO items SELECT g, 'item ' || g, g * 10 FROM generate_series(1, 25) g`)
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['items'], batchSize: 10, replication: 'logical' })
    const first = await sync({ source: source(), destination: sqlite({ path }) })
    expect(first.error).toBeUndefined()
    expect(first.status).toBe('succeeded')
    expect(readRows(path, 'items')).toHaveLength(25)
    expect(first.replication).toMatchObject({ kind: 'postgres-logical', slot: 'sluice_postgres_public' })

    await db.query(`INSERT INTO items VALUES (26, 'new', 1)`)
    await db.query(`BEGIN; UPDATE items SET name = 'renamed' WHERE id = 2; DELETE FROM items WHERE id = 3; UPDATE items SET qty = 9007199254740993 WHERE id = 4; COMMIT`)
    const second = await sync({ source: source(), destination: sqlite({ path }) })
    expect(second.status).toBe('succeeded')
    const rows = readRows(path, 'items')
    expect(rows).toHaveLength(26)
    expect(rows.find((r) => r.id === 26n)).toMatchObject({ name: 'new', _sluice_deleted: 0n })
    expect(rows.find((r) => r.id === 2n)).toMatchObject({ name: 'renamed' })
    expect(rows.find((r) => r.id === 3n)).toMatchObject({ _sluice_deleted: 1n })
    expect(rows.find((r) => r.id === 4n)).toMatchObject({ qty: 9007199254740993n })
    expect(second.replication?.lagBytes).toBeGreaterThanOrEqual(0)

    const third = await sync({ source: source(), destination: sqlite({ path }) })
    expect(third.status).toBe('succeeded')
    expect(third.rows).toBe(0)
    expect(readRows(path, 'items')).toEqual(rows)
  }, 60_000)
})
