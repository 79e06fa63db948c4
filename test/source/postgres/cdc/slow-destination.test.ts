import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { sqlite, sync, type Stage } from '../../../../src/index.js'
import { postgresSource } from '../../../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres.js'
import { connect, readRows, warehousePath } from './cdc-helpers.js'

// The walsender ends a stream it hears nothing from for wal_sender_timeout. A destination that holds
// the reader up longer than that (a long write) must not cost the sync its stream.
describe('a destination slower than wal_sender_timeout', () => {
  let server: PrivatePostgres
  let db: pg.Client
  beforeAll(async () => {
    server = await startPrivatePostgres({ wal_sender_timeout: '3s' })
    db = await connect(server.url)
  }, 120_000)
  afterAll(async () => {
    await db?.end()
    await server?.stop()
  })

  it('keeps the stream: status updates go out while the reader waits on the destination', async () => {
    await db.query(`CREATE TABLE slow (id int PRIMARY KEY, v text)`)
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['slow'], id: 'slow', replication: { checkpointEvery: { rows: 1 } } })
    expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
    for (let i = 1; i <= 3; i++) await db.query(`INSERT INTO slow VALUES (${i}, 'v')`)
    let held = 0
    const hold: Stage = async function* (messages) {
      for await (const m of messages) {
        if (m.kind === 'records' && held++ === 0) await new Promise((r) => setTimeout(r, 7000))
        yield m
      }
    }
    const r = await sync({ source: source(), destination: sqlite({ path }), stages: [hold] })
    expect(r.error).toBeUndefined()
    expect(readRows(path, 'slow').map((x) => x.id)).toEqual([1n, 2n, 3n])
  }, 60_000)
})
