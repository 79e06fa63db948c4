import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Batch, batchFromRows, isSluiceError, op, SluiceError, sqlite, sync, type RecordsMessage, type Sink, type SyncReport } from '../../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-thread-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const fresh = (thread: boolean) => sqlite({ path: join(dir, `t${n++}.db`), thread })

const OPEN = { connectorId: 'c', syncId: 's', tables: [{ table: 't', primaryKey: ['id'] }] }
const report = (status: SyncReport['status']): SyncReport => ({
  status, connectorId: 'c', syncId: 's', startedAt: '2026-12-01T00:00:00.000Z', endedAt: '2026-12-01T00:00:01.000Z', durationMs: 1000,
  rows: 0, checkpoints: 0, schemaChanges: 0, tables: {},
})
const good = (ids: number[]) => op.upsert('t', ids.map((id) => ({ id, s: `s${id}` })))
/** Same shape as `good` (id INT, s STRING), but row 1's text is an object: better-sqlite3 can't bind it. */
function unbindable(): RecordsMessage {
  const base = batchFromRows([{ id: 10, s: 'a' }, { id: 11, s: 'b' }])
  const s = base.column('s')!
  const batch = new Batch([base.column('id')!, { ...s, values: ['a', {} as string] }], 2)
  return { kind: 'records', table: 't', op: 'upsert', batch }
}
const caught = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e)

describe('sqlite({ thread: true })', () => {
  it('a write that fails in the worker fails the next checkpoint with the error the plain sink throws, and saves no state', async () => {
    const plain = fresh(false)
    await plain.open(OPEN)
    await plain.write({ message: good([1, 2]) })
    const direct = await caught(plain.write({ message: unbindable() }))
    await plain.close({ status: 'failed', report: report('failed') })

    const sink = fresh(true)
    await sink.open(OPEN)
    await sink.write({ message: good([1, 2]) })
    await sink.checkpoint({ state: { page: 1 } })
    // A batch of a shape already written goes out without waiting: its failure comes with the next call that waits.
    await sink.write({ message: unbindable() })
    const error = await caught(sink.checkpoint({ state: { page: 2 } }))
    expect(isSluiceError(direct) && direct.code).toBe('DESTINATION_WRITE')
    expect(isSluiceError(error)).toBe(true)
    expect(error).toBeInstanceOf(SluiceError)
    expect({ ...(error as { toJSON(): object }).toJSON() }).toEqual((direct as { toJSON(): object }).toJSON())
    // Nothing else goes in after it.
    expect(((await caught(sink.write({ message: good([3]) }))) as SluiceError).toJSON()).toEqual((error as SluiceError).toJSON())
    await sink.close({ status: 'failed', report: report('failed') })

    const again = await sink.open(OPEN)
    expect(again.state).toEqual({ page: 1 })
    await sink.close({ status: 'succeeded', report: report('succeeded') })
    expect((await sink.read!({ table: 't' })).map((r) => r.id)).toEqual([1, 2])
  })

  it('a sync whose last batch fails in the worker reports that error and keeps the last checkpoint', async () => {
    const sink = fresh(true)
    const first = await sync({
      destination: sink, connectorId: 'c',
      source: { tables: () => OPEN.tables, async *read() { yield good([1, 2]); yield op.checkpoint({ page: 1 }); yield good([3]); yield unbindable() } },
    })
    expect(first.status).toBe('failed')
    expect(first.error).toMatchObject({ code: 'DESTINATION_WRITE', context: { table: 't', op: 'upsert', row: 1 } })
    expect(first.checkpoints).toBe(1)
    expect((await sink.read!({ table: 't' })).map((r) => r.id)).toEqual([1, 2])
    expect((await sink.history!({ connectorId: 'c' }))[0]).toMatchObject({ status: 'failed', error: { code: 'DESTINATION_WRITE' } })
    let resumed: unknown
    await sync({ destination: sink, connectorId: 'c', source: { async *read({ state }) { resumed = state } } })
    expect(resumed).toEqual({ page: 1 })
  })

  it('errors of methods outside a sync come back as the same SluiceError', async () => {
    const plain = await caught(fresh(false).write({ message: good([1]) }))
    const threaded = await caught(fresh(true).write({ message: good([1]) }))
    expect(isSluiceError(threaded)).toBe(true)
    expect((threaded as { toJSON(): object }).toJSON()).toEqual((plain as { toJSON(): object }).toJSON())
  })

  it('schema changes made by records writes are reported as by the plain sink', async () => {
    const run = async (sink: Sink) => {
      const events: unknown[] = []
      const r = await sync({
        destination: sink,
        source: { async *read() { yield good([1]); yield good([2]); yield op.upsert('t', [{ id: 3, s: 'x', extra: 1.5 }]); yield good([4]); yield op.checkpoint({}) } },
        on: { schemaChange: (e) => events.push(e) },
      })
      return { status: r.status, schemaChanges: r.schemaChanges, events }
    }
    expect(await run(fresh(true))).toEqual(await run(fresh(false)))
  })

  it('bad options are CONFIG_INVALID', () => {
    expect(() => sqlite({ path: join(dir, 'x.db'), thread: 'yes' as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    expect(() => sqlite({ path: ':memory:', thread: true })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(':memory:') }))
  })

  it('an idle worker does not keep the process alive, even with a sync left open', () => {
    // The child leaves a sync open (its worker can't be ended for idleness) and returns: a worker
    // that stayed referenced would keep it running until the timeout kills it.
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/thread-exit-child.ts', join(dir, 'exit.db')], {
      cwd: resolve('.'), encoding: 'utf8', timeout: 60_000,
    })
    expect(child.signal, child.stderr).toBe(null)
    expect(child.status, child.stderr).toBe(0)
    expect(child.stdout.trim()).toBe('left open: 2 rows read')
  })
})
