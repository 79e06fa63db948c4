import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { sqlite, sync } from '../../../../src/index.js'
import { postgresSource } from '../../../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres.js'
import { connect, readRows, warehousePath } from './cdc-helpers.js'

/** Polls `check` until it returns true, or fails after `ms` (measured progress, not a timing assertion). */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('postgres replication slot lifecycle', () => {
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

  it('a dropped slot fails with REPLICATION_SLOT_LOST; onSlotLost: resnapshot reads every table again and soft-deletes rows gone since', async () => {
    await db.query(`CREATE TABLE lost (id int PRIMARY KEY, v text); INSERT INTO lost SELECT g, 'v' || g FROM generate_series(1, 10) g`)
    const path = warehousePath()
    const source = (onSlotLost: 'fail' | 'resnapshot' = 'fail') => postgresSource({ connection: server.url, tables: ['lost'], id: 'lost', replication: { onSlotLost } })
    expect((await sync({ source: source(), destination: sqlite({ path }) })).status).toBe('succeeded')
    await db.query(`SELECT pg_drop_replication_slot('sluice_lost')`)
    await db.query(`DELETE FROM lost WHERE id IN (2, 3); UPDATE lost SET v = 'changed' WHERE id = 4; INSERT INTO lost VALUES (11, 'new')`)

    const failed = await sync({ source: source(), destination: sqlite({ path }) })
    expect(failed.status).toBe('failed')
    expect(failed.error?.code).toBe('REPLICATION_SLOT_LOST')
    expect(failed.error?.message).toContain('sluice_lost')
    expect(readRows(path, 'lost').filter((r) => r._sluice_deleted === 1n)).toEqual([])

    const recovered = await sync({ source: source('resnapshot'), destination: sqlite({ path }) })
    expect(recovered.error).toBeUndefined()
    const rows = readRows(path, 'lost')
    expect(rows.filter((r) => r._sluice_deleted === 1n).map((r) => r.id)).toEqual([2n, 3n])
    expect(rows.filter((r) => r._sluice_deleted === 0n).map((r) => r.id)).toEqual([1n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n])
    expect(rows.find((r) => r.id === 4n)?.v).toBe('changed')

    // And it streams again from the new slot.
    await db.query(`DELETE FROM lost WHERE id = 5`)
    expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
    expect(readRows(path, 'lost').find((r) => r.id === 5n)?._sluice_deleted).toBe(1n)
  }, 60_000)

  it('reports slot lag and retained WAL; dropReplication() drops the slot', async () => {
    await db.query(`CREATE TABLE st (id int PRIMARY KEY)`)
    const source = postgresSource({ connection: server.url, tables: ['st'], id: 'st', replication: 'logical' })
    const r = await sync({ source, destination: sqlite({ path: warehousePath() }) })
    expect(r.error).toBeUndefined()
    expect(r.replication).toMatchObject({ kind: 'postgres-logical', slot: 'sluice_st', walStatus: 'reserved' })
    expect(r.replication!.position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
    expect(r.replication!.retainedWalBytes).toBeGreaterThanOrEqual(0)
    expect(await source.dropReplication!()).toEqual(['replication slot "sluice_st"'])
    expect(await source.dropReplication!()).toEqual([])
    expect((await db.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'sluice_st'`)).rowCount).toBe(0)
  }, 60_000)

  it('continuous and idle: a requested stop (the deadline) ends the run at an idle checkpoint, not after the grace period', async () => {
    await db.query(`CREATE TABLE quiet (id int PRIMARY KEY); INSERT INTO quiet VALUES (1)`)
    const source = postgresSource({ connection: server.url, tables: ['quiet'], id: 'quiet', replication: { continuous: true, checkpointEvery: { ms: 300 } } })
    const path = warehousePath()
    // Two runs first: the copy, then one that confirms what the slot's creation and the copy left in the WAL.
    for (let i = 0; i < 2; i++) expect((await sync({ source, destination: sqlite({ path }), deadline: '1s' })).status).toBe('stopped')
    // Nothing is written anywhere now: without idle checkpoints the stop waits for one that never comes, until the grace
    // period (longer than this test's timeout) aborts the run.
    const report = await sync({ source, destination: sqlite({ path }), deadline: '1s', grace: 600_000 })
    expect(report.status).toBe('stopped')
    expect(report.stopReason).toBe('deadline')
    expect(report.error).toBeUndefined()
    // A checkpoint per idle window (300 ms) before the deadline and one after it; without them a quiet server gave one
    // checkpoint, ~12 s after the deadline, when its own WAL (a running-transactions record) moved the slot.
    expect(report.checkpoints).toBeGreaterThanOrEqual(2)
    expect(readRows(path, 'quiet').map((r) => r.id)).toEqual([1n])
  }, 60_000)

  it('continuous and idle: keepalives confirm the server position, so the WAL the slot retains stays bounded; a TRUNCATE lands while the run goes on', async () => {
    await db.query(`CREATE TABLE idle (id int PRIMARY KEY); INSERT INTO idle VALUES (1)`)
    await db.query(`CREATE DATABASE other`)
    const other = await connect(server.url.replace(/\/postgres$/, '/other'))
    const stop = new AbortController()
    const path = warehousePath()
    const running = sync({
      source: postgresSource({ connection: server.url, tables: ['idle'], id: 'idle', replication: { continuous: true, checkpointEvery: { ms: 200 } } }),
      destination: sqlite({ path }),
      signal: stop.signal,
      grace: 5000,
    })
    const slot = async () => (await db.query(`SELECT active, confirmed_flush_lsn::text AS confirmed, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8 AS retained FROM pg_replication_slots WHERE slot_name = 'sluice_idle'`)).rows[0]
    await until('the slot to stream', 30_000, async () => (await slot())?.active === true)
    try {
      // ~30 MB of WAL the slot has nothing to send for (another database).
      const before = (await db.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn as string
      await other.query(`CREATE TABLE junk (id int, pad text)`)
      for (let i = 0; i < 3; i++) await other.query(`INSERT INTO junk SELECT g, repeat('p', 100) FROM generate_series(1, 100000) g`)
      const written = (await db.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn as string
      const generated = Number((await db.query(`SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::int8 AS n`, [written, before])).rows[0].n)
      expect(generated).toBeGreaterThan(10_000_000)
      await until('confirmed_flush_lsn to pass the WAL written meanwhile', 60_000, async () => {
        const r = await db.query(`SELECT confirmed_flush_lsn >= $1::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = 'sluice_idle'`, [written])
        return r.rows[0]?.ok === true
      })
      // restart_lsn follows once a running-transactions record (logged by CHECKPOINT) is decoded past the confirmed position.
      await until('retained WAL to shrink below 1 MB', 60_000, async () => {
        await db.query('CHECKPOINT')
        return Number((await slot()).retained) < 1_000_000
      })
      // Still streaming: a change lands (committed by a time checkpoint) while the run goes on.
      await db.query(`INSERT INTO idle VALUES (2); DELETE FROM idle WHERE id = 1`)
      await until('the change to be committed in the destination', 30_000, async () => {
        try {
          return readRows(path, 'idle').map((r) => `${r.id}:${r._sluice_deleted}`).join() === '1:1,2:0'
        } catch {
          return false // the file is being written
        }
      })
      // A TRUNCATE in a run that never succeeds (continuous runs end 'stopped') still lands, with its checkpoint.
      await db.query(`TRUNCATE idle; INSERT INTO idle VALUES (3)`)
      await until('the truncate to be committed in the destination', 30_000, async () => {
        try {
          return readRows(path, 'idle').map((r) => `${r.id}:${r._sluice_deleted}`).join() === '1:1,2:1,3:0'
        } catch {
          return false
        }
      })
    } finally {
      stop.abort()
      await other.end()
    }
    const report = await running
    expect(report.error).toBeUndefined()
    expect(report.status).toBe('stopped')
  }, 120_000)
})
