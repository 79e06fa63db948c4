import { describe, expect, it } from 'vitest'
import { memory, op, sync, type Sink, type Source } from '../../src/index.js'
import type { MeterArgs } from '../../src/contracts/mar-store.js'
import { batchFromRows } from '../../src/core/batch-from-rows.js'
import { meteredSink } from '../../src/mar/metered-sink.js'
import { marReport } from '../../src/mar/mar-report.js'
import { source } from '../sink/matrix/mar.js'

// The MAR conformance runs over every destination in test/sink/matrix/mar.test.ts.

describe('MAR options', () => {
  it('a destination that cannot meter gives MAR_UNAVAILABLE, before anything runs', async () => {
    const bare: Sink = { name: 'bare', open: async () => ({}), write: async () => {}, checkpoint: async () => {}, close: async () => {} }
    await expect(sync({ source: source([]), destination: bare, mar: {} })).rejects.toMatchObject({ code: 'MAR_UNAVAILABLE', message: expect.stringContaining('bare') })
    await expect(marReport({ destination: bare })).rejects.toMatchObject({ code: 'MAR_UNAVAILABLE' })
  })

  it('bad options are CONFIG_INVALID naming the option', async () => {
    const cases: [object, string][] = [
      [{ mode: 'roughly' }, 'mar.mode'],
      [{ budget: { monthly: 0 } }, 'mar.budget.monthly'],
      [{ budget: { monthly: 10, warnAt: [0.5, -1] } }, 'mar.budget.warnAt'],
      [{ onExceed: 'stop' }, 'mar.budget'],
      [{ budget: { monthly: 10 }, onExceed: 'panic' }, 'mar.onExceed'],
    ]
    for (const [mar, option] of cases) {
      await expect(sync({ source: source([]), destination: memory(), mar: mar as never }), option).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`\`${option}\``) })
    }
  })
})

describe('exact MAR metering', () => {
  it('meters the keys of a checkpoint\'s batches in one call per table at the checkpoint (not one per batch), and counts each key once', async () => {
    const sink = memory()
    const calls: { table: string; keys: number }[] = []
    const meter = sink.meter!.bind(sink)
    sink.meter = (args: MeterArgs) => {
      calls.push({ table: args.table, keys: (args.keys?.length ?? 0) / 2 })
      return meter(args)
    }
    const five: Source = {
      id: 'c',
      tables: () => [{ table: 'a', primaryKey: ['id'] }, { table: 'b', primaryKey: ['id'] }],
      async *read() {
        for (let i = 0; i < 5; i++) yield op.upsert('a', [{ id: i }, { id: i + 100 }])
        yield op.upsert('b', [{ id: 1 }])
        yield op.upsert('a', [{ id: 0 }]) // a key already counted in this interval
        yield op.checkpoint({ n: 1 })
        yield op.upsert('a', [{ id: 7 }])
      },
    }
    const report = await sync({ source: five, destination: sink, connectorId: 'c', mar: { mode: 'exact' } })
    expect(report.status).toBe('succeeded')
    // One call per table at the checkpoint (11 and 1 key hashes), one at the close for what followed it.
    expect(calls).toEqual([{ table: 'a', keys: 11 }, { table: 'b', keys: 1 }, { table: 'a', keys: 1 }])
    expect(report.mar).toEqual({ a: 11, b: 1 })
  })

  it('meters early, before the checkpoint, once a million hash words wait (memory stays bounded in a long checkpoint interval)', async () => {
    const calls: number[] = []
    const inner = {
      name: 'counting', open: async () => ({}), write: async () => {}, checkpoint: async () => {}, close: async () => {},
      readMar: async () => [],
      meter: async (args: MeterArgs) => {
        calls.push((args.keys?.length ?? 0) / 2)
        return { added: (args.keys?.length ?? 0) / 2, total: 0 }
      },
    } as unknown as Sink
    const sink = meteredSink(inner, { mode: 'exact' }, { requestStop: () => {}, threshold: () => {} })
    await sink.open({ connectorId: 'c', syncId: 's', tables: [{ table: 't', primaryKey: ['id'] }] })
    const rows = (from: number) => batchFromRows(Array.from({ length: 300_000 }, (_, i) => ({ id: from + i })))
    await sink.write({ message: { kind: 'records', table: 't', op: 'upsert', batch: rows(0) } })
    expect(calls).toEqual([]) // 600k words wait
    await sink.write({ message: { kind: 'records', table: 't', op: 'upsert', batch: rows(300_000) } })
    expect(calls).toEqual([600_000]) // 1.2M words: metered now, in one call
    await sink.write({ message: { kind: 'records', table: 't', op: 'upsert', batch: batchFromRows([{ id: -1 }]) } })
    await sink.checkpoint({ state: { n: 1 }, serialized: '{"n":1}' })
    expect(calls).toEqual([600_000, 1])
  })
})
