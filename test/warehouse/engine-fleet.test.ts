import { describe, expect, it } from 'vitest'
import { batchFromRows } from '../../src/core/batch-from-rows.js'
import { memoryDriver } from '../../src/sink/memory/memory-driver.js'
import { committedRows, memoryStore } from '../../src/sink/memory/memory-store.js'
import type { SyncReport } from '../../src/contracts/sync-report.js'
import { WarehouseRun } from '../../src/warehouse/engine.js'
import { fencedPending } from '../../src/warehouse/fence-row.js'

const HOUR = 3_600_000
const TABLES = [{ table: 'r', primaryKey: ['id'], mode: 'replace' as const }]
const report: SyncReport = { status: 'succeeded', connectorId: 'c', syncId: 's', startedAt: '', endedAt: '', durationMs: 0, rows: 0, checkpoints: 0, schemaChanges: 0, tables: {} }

describe('the engine in a fleet', () => {
  it('a partition writes after its parent\'s pending truncate even when the machine that fenced runs an hour ahead (clock skew)', async () => {
    const store = memoryStore()
    const ahead = new Date(Date.now() + HOUR).toISOString()
    store.states.set('c', { pending: { r: ahead }, lastSynced: 0, epoch: 1 })
    store.states.set('c#a', { pending: {}, lastSynced: 0, epoch: 1 })
    const { run } = await WarehouseRun.open(memoryDriver(store), { connectorId: 'c#a', syncId: 's', tables: TABLES, fleet: { epoch: 1, partitionOf: 'c' } })
    await run.write({ kind: 'records', table: 'r', op: 'upsert', batch: batchFromRows([{ id: 1 }]) })
    await run.checkpoint('{}')
    await run.close(true, report)
    const [row] = committedRows(store.tables.get('r'))
    expect((row!._sluice_synced as string) > ahead).toBe(true)
    expect(row!._sluice_deleted).toBe(false)
    // The completion then keeps it: its truncate deletes only what was written before the fence.
    store.states.set('c', { ...store.states.get('c')!, epoch: 2 })
    const completion = await WarehouseRun.open(memoryDriver(store), { connectorId: 'c', syncId: 's2', tables: TABLES, fleet: { epoch: 2, completes: ['c#a'] } })
    await completion.run.checkpoint('{"done":true}')
    await completion.run.close(true, report)
    expect(committedRows(store.tables.get('r'))[0]!._sluice_deleted).toBe(false)
    expect(store.states.has('c#a')).toBe(false)
    expect(store.states.get('c')!.pending).toEqual({})
  })

  it('a completion registers no replace truncate of its own (only the fence\'s): without one, nothing is deleted', async () => {
    const store = memoryStore()
    store.states.set('c#a', { pending: {}, lastSynced: 0, epoch: 1 })
    const part = await WarehouseRun.open(memoryDriver(store), { connectorId: 'c#a', syncId: 's', tables: TABLES, fleet: { epoch: 1, partitionOf: 'c' } })
    await part.run.write({ kind: 'records', table: 'r', op: 'upsert', batch: batchFromRows([{ id: 1 }]) })
    await part.run.close(true, report)
    store.states.set('c', { pending: {}, lastSynced: 0, epoch: 1 })
    const completion = await WarehouseRun.open(memoryDriver(store), { connectorId: 'c', syncId: 's2', tables: TABLES, fleet: { epoch: 1, completes: ['c#a'] } })
    await completion.run.close(true, report)
    expect(committedRows(store.tables.get('r')).map((r) => r._sluice_deleted)).toEqual([false])
  })

  it('refuses a completion or a partition that names its own connector id (it would merge into itself)', async () => {
    const store = memoryStore()
    store.states.set('c', { pending: {}, lastSynced: 0, epoch: 1 })
    for (const fleet of [{ epoch: 1, completes: ['c#a', 'c'] }, { epoch: 1, partitionOf: 'c' }]) {
      const opened = WarehouseRun.open(memoryDriver(store), { connectorId: 'c', syncId: 's', tables: TABLES, fleet })
      await expect(opened).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('own connector id c') })
    }
  })

  it('partitions that all opened before their table existed create it once, and each adds only the columns still missing', async () => {
    const store = memoryStore()
    const open = async (key: string) => {
      store.states.set(`c#${key}`, { pending: {}, lastSynced: 0, epoch: 1 })
      return (await WarehouseRun.open(memoryDriver(store), { connectorId: `c#${key}`, syncId: key, tables: [{ table: 'r', primaryKey: ['id'] }], fleet: { epoch: 1, partitionOf: 'c' } })).run
    }
    const [a, b, c] = [await open('a'), await open('b'), await open('c')]
    store.states.set('c', { pending: {}, lastSynced: 0, epoch: 1 })
    expect(await a.write({ kind: 'records', table: 'r', op: 'upsert', batch: batchFromRows([{ id: 1, x: 'a' }]) })).toEqual([{ table: 'r', change: expect.objectContaining({ type: 'create_table' }) }])
    // b's rows carry a column a's didn't: b adds it to a's table; c's columns are all there by then.
    expect(await b.write({ kind: 'records', table: 'r', op: 'upsert', batch: batchFromRows([{ id: 2, x: 'b', y: 1 }]) })).toEqual([{ table: 'r', change: { type: 'add_column', column: 'y', columnType: 'INT' } }])
    expect(await c.write({ kind: 'records', table: 'r', op: 'upsert', batch: batchFromRows([{ id: 3, y: 2, x: 'c' }]) })).toEqual([])
    for (const [run, n] of [[a, 1], [b, 2], [c, 3]] as const) {
      await run.checkpoint(`{"n":${n}}`)
      await run.close(true, report)
    }
    expect(committedRows(store.tables.get('r')).map((r) => [r.id, r.x, r.y])).toEqual([[1, 'a', null], [2, 'b', 1], [3, 'c', 2]])
    expect(store.history.map((h) => [h.change, h.column, h.syncId])).toEqual([['create_table', null, 'a'], ['add_column', 'y', 'b']])
  })

  it('fence keeps an earlier pending truncate and puts a new one after the connector\'s last write', () => {
    const last = Date.UTC(2026, 11, 2)
    expect(fencedPending({ pending: { a: '2026-01-01T00:00:00.000Z' }, lastSynced: last }, ['a', 'b'], last - HOUR)).toEqual({
      a: '2026-01-01T00:00:00.000Z',
      b: new Date(last + 1).toISOString(),
    })
  })
})
