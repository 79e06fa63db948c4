import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { sqlite, sync } from '../../../../src/index.js'
import { postgresSource } from '../../../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres.js'
import { connect, readRows, warehousePath } from './cdc-helpers.js'

// A slot past max_slot_wal_keep_size is invalidated at a checkpoint (wal_status = 'lost'): the WAL
// it needed is gone, so the changes it held are lost.
describe('an invalidated replication slot (wal_status = lost)', () => {
  let server: PrivatePostgres
  let db: pg.Client
  beforeAll(async () => {
    server = await startPrivatePostgres({ max_slot_wal_keep_size: '1MB', wal_keep_size: 0, max_wal_size: '32MB', min_wal_size: '32MB' })
    db = await connect(server.url)
  }, 120_000)
  afterAll(async () => {
    await db?.end()
    await server?.stop()
  })

  it('fails with REPLICATION_SLOT_LOST, and onSlotLost: resnapshot copies again with the deletes soft', async () => {
    await db.query(`CREATE TABLE inv (id int PRIMARY KEY, v text); INSERT INTO inv SELECT g, 'v' FROM generate_series(1, 5) g`)
    const path = warehousePath()
    const source = (onSlotLost: 'fail' | 'resnapshot') => postgresSource({ connection: server.url, tables: ['inv'], id: 'inv', replication: { onSlotLost } })
    expect((await sync({ source: source('fail'), destination: sqlite({ path }) })).error).toBeUndefined()
    await db.query(`DELETE FROM inv WHERE id = 5; INSERT INTO inv VALUES (6, 'new')`)
    // Enough WAL past the limit, then checkpoints: the slot is invalidated.
    await db.query(`CREATE TABLE pad (t text)`)
    for (let i = 0; i < 20 && (await db.query(`SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'sluice_inv'`)).rows[0]?.wal_status !== 'lost'; i++) {
      await db.query(`INSERT INTO pad SELECT repeat('x', 1000) FROM generate_series(1, 20000); SELECT pg_switch_wal(); CHECKPOINT`)
    }
    expect((await db.query(`SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'sluice_inv'`)).rows[0]?.wal_status).toBe('lost')

    const failed = await sync({ source: source('fail'), destination: sqlite({ path }) })
    expect(failed.error?.code).toBe('REPLICATION_SLOT_LOST')
    expect(failed.error?.message).toContain("wal_status = 'lost'")

    const recovered = await sync({ source: source('resnapshot'), destination: sqlite({ path }) })
    expect(recovered.error).toBeUndefined()
    expect(readRows(path, 'inv').map((r) => [r.id, r._sluice_deleted])).toEqual([[1n, 0n], [2n, 0n], [3n, 0n], [4n, 0n], [5n, 1n], [6n, 0n]])
    expect(recovered.replication?.walStatus).not.toBe('lost')
  }, 120_000)
})
