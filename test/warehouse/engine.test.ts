import { describe, expect, it } from 'vitest'
import { batchFromRows } from '../../src/core/batch-from-rows.js'
import type { RecordOp } from '../../src/core/message.js'
import { isSluiceError } from '../../src/core/sluice-error.js'
import { memoryDriver } from '../../src/sink/memory/memory-driver.js'
import { committedRows, memoryStore, type MemoryStore } from '../../src/sink/memory/memory-store.js'
import type { SinkMessage } from '../../src/contracts/sink.js'
import type { SyncReport } from '../../src/contracts/sync-report.js'
import type { WarehouseDriver } from '../../src/warehouse/driver.js'
import { WarehouseRun } from '../../src/warehouse/engine.js'
import { REPLAY_ROWS } from '../../src/warehouse/replay-journal.js'

const report = (status: SyncReport['status']): SyncReport => ({
  status, connectorId: 'c', syncId: 's', startedAt: '', endedAt: '', durationMs: 0, rows: 0, checkpoints: 0, schemaChanges: 0, tables: {},
})
const records = (table: string, rows: Record<string, unknown>[], op: RecordOp = 'upsert'): SinkMessage => ({
  kind: 'records', table, op, batch: batchFromRows(rows as never),
})
const open = (driver: WarehouseDriver, tables: { table: string; primaryKey?: string[]; mode?: 'upsert' | 'append' | 'replace' | 'history' }[] = []) =>
  WarehouseRun.open(driver, { connectorId: 'c', syncId: 's', tables })
const caught = async (work: Promise<unknown>): Promise<unknown> => work.then(() => undefined, (e: unknown) => e)

/** A memory driver that logs the protocol calls it gets, and (with `replay`) declares DuckDB's "can't ALTER an updated table". */
function logged(store: MemoryStore, replay = false): { driver: WarehouseDriver; calls: string[] } {
  const base = memoryDriver(store)
  const calls: string[] = []
  const driver: WarehouseDriver = {
    ...base,
    capabilities: { ...base.capabilities, replayOnAlter: replay },
    begin: () => {
      calls.push('begin')
      return base.begin()
    },
    commit: async (args) => (calls.push(args.state ? 'checkpoint' : 'commit'), base.commit(args)),
    rollback: async () => (calls.push('rollback'), base.rollback()),
    createTable: async (layout) => (calls.push(`create ${layout.table}`), base.createTable(layout)),
    alterTable: async (step) => (calls.push(`alter ${step.after.table}: ${step.changes.map((c) => c.type).join(',')}`), base.alterTable(step)),
    write: async (args) => {
      calls.push(`write ${args.layout.table} ${args.batch.length}`)
      await base.write(args)
      return args.op !== 'upsert' || replay // every upsert "may have updated rows"
    },
  }
  return { driver, calls }
}

describe('warehouse engine', () => {
  it('a failure of the destination\'s own while writing rows is DESTINATION_WRITE naming the table (not a source failure)', async () => {
    const store = memoryStore()
    const driver: WarehouseDriver = { ...memoryDriver(store), write: async () => { throw new Error('disk full') } }
    const { run } = await WarehouseRun.open(driver, { connectorId: 'c', syncId: 's', tables: [{ table: 't', primaryKey: ['id'] }] })
    const written = run.write({ kind: 'records', table: 't', op: 'upsert', batch: batchFromRows([{ id: 1 }]) })
    await expect(written).rejects.toMatchObject({ code: 'DESTINATION_WRITE', message: expect.stringContaining('memory: writing rows of table t failed: disk full'), context: { table: 't' } })
  })

  it('refuses at open() a declared mode the driver cannot store, naming the mode, the table and the destination', async () => {
    const driver = { ...memoryDriver(memoryStore()), name: 'lake', capabilities: { modes: ['upsert', 'append'] as const } }
    const error = await caught(open(driver, [{ table: 'orders', primaryKey: ['id'], mode: 'history' }]))
    expect(isSluiceError(error) && error.code).toBe('CONFIG_INVALID')
    expect((error as Error).message).toContain('history')
    expect((error as Error).message).toContain('"orders"')
    expect((error as Error).message).toContain('lake')
  })

  it('refuses a table announced by a create_table message with a mode the driver cannot store, writing nothing', async () => {
    const store = memoryStore()
    const driver = { ...memoryDriver(store), name: 'lake', capabilities: { modes: ['upsert'] as const } }
    const { run } = await open(driver)
    const error = await caught(run.write({ kind: 'schema', table: 'items', change: { type: 'create_table', spec: { table: 'items', primaryKey: ['id'], mode: 'append' } } }))
    expect(isSluiceError(error) && error.code).toBe('CONFIG_INVALID')
    expect((error as Error).message).toContain('append')
    expect(store.tables.has('items')).toBe(false)
  })

  it('writes an errors message in the open transaction: rolled back with it, committed with the next checkpoint', async () => {
    const store = memoryStore()
    const first = (await open(memoryDriver(store))).run
    await first.write(records('t', [{ id: 1 }]))
    await first.write({ kind: 'errors', errors: [{ kind: 'record', code: 'VALIDATION_FAILED', message: 'lost', table: 't' }] })
    expect(store.errors).toHaveLength(1)
    await first.close(false, report('failed'))
    expect(store.errors).toEqual([])

    const second = (await open(memoryDriver(store))).run
    await second.write({ kind: 'errors', errors: [{ kind: 'record', code: 'VALIDATION_FAILED', message: 'kept', table: 't' }] })
    await second.checkpoint('{"page":1}')
    await second.close(false, report('failed'))
    expect(store.errors.map((e) => e.message)).toEqual(['kept'])
    expect(store.states.get('c')?.state).toBe('{"page":1}')
  })

  it('defers a truncate to a successful close, and forgets it after a failed one', async () => {
    const store = memoryStore()
    const first = (await open(memoryDriver(store), [{ table: 't', primaryKey: ['id'] }])).run
    await first.write(records('t', [{ id: 1 }, { id: 2 }]))
    await first.checkpoint('{}')
    await first.close(true, report('succeeded'))

    const failed = (await open(memoryDriver(store), [{ table: 't', primaryKey: ['id'] }])).run
    await failed.write({ kind: 'truncate', table: 't' })
    await failed.write(records('t', [{ id: 2 }]))
    await failed.close(false, report('failed'))
    expect(committedRows(store.tables.get('t')).map((r) => r._sluice_deleted)).toEqual([false, false])

    const succeeded = (await open(memoryDriver(store), [{ table: 't', primaryKey: ['id'] }])).run
    await succeeded.write({ kind: 'truncate', table: 't' })
    await succeeded.write(records('t', [{ id: 2 }]))
    await succeeded.close(true, report('succeeded'))
    expect(committedRows(store.tables.get('t')).map((r) => [r.id, r._sluice_deleted])).toEqual([[1, true], [2, false]])
  })

  it('creates a table with its layout and history in the write transaction, and alters it for a new column', async () => {
    const store = memoryStore()
    const { driver, calls } = logged(store)
    const { run } = await open(driver, [{ table: 't', primaryKey: ['id'] }])
    const created = await run.write(records('t', [{ id: 1 }]))
    const added = await run.write(records('t', [{ id: 2, name: 'b' }]))
    await run.checkpoint('{}')
    expect(created.map((c) => c.change.type)).toEqual(['create_table'])
    expect(added.map((c) => c.change.type)).toEqual(['add_column'])
    expect(calls).toEqual(['begin', 'create t', 'write t 1', 'alter t: add_column', 'write t 1', 'checkpoint'])
    expect(store.history.map((h) => h.change)).toEqual(['create_table', 'add_column'])
  })

  it('replayOnAlter: a schema change of a table updated in the transaction rolls back and writes again, DDL first', async () => {
    const store = memoryStore()
    const { driver, calls } = logged(store, true)
    const { run } = await open(driver, [{ table: 't', primaryKey: ['id'] }])
    await run.write(records('t', [{ id: 1 }]))
    await run.checkpoint('{}')
    calls.length = 0
    await run.write(records('t', [{ id: 1 }, { id: 2 }]))
    await run.write({ kind: 'errors', errors: [{ kind: 'record', code: 'VALIDATION_FAILED', message: 'once', table: 't' }] })
    const applied = await run.write(records('t', [{ id: 3, name: 'c' }]))
    await run.checkpoint('{}')
    expect(applied.map((c) => c.change.type)).toEqual(['add_column'])
    // The memory driver begins at the first write after a commit, not with the commit.
    expect(calls).toEqual(['begin', 'write t 2', 'rollback', 'begin', 'alter t: add_column', 'write t 2', 'write t 1', 'checkpoint'])
    expect(store.errors.map((e) => e.message)).toEqual(['once'])
    expect(committedRows(store.tables.get('t')).map((r) => [r.id, r.name])).toEqual([[1, null], [2, null], [3, 'c']])
  })

  it('replayOnAlter: fails with DESTINATION_WRITE asking for checkpoints when more rows than it keeps were written', async () => {
    const { driver } = logged(memoryStore(), true)
    const { run } = await open(driver, [{ table: 't', primaryKey: ['id'] }])
    await run.write(records('t', [{ id: 0 }]))
    await run.checkpoint('{}')
    await run.write(records('t', Array.from({ length: REPLAY_ROWS + 1 }, (_, id) => ({ id }))))
    const error = await caught(run.write(records('t', [{ id: 1, name: 'x' }])))
    expect(isSluiceError(error) && error.code).toBe('DESTINATION_WRITE')
    expect((error as Error).message).toContain('checkpoints more often')
  })
})
