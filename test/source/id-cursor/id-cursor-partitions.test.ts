import { describe, expect, it } from 'vitest'
import { exponentialBackoff, fakeClock, memory, SluiceError, type MemorySink, type Row } from '../../../src/index.js'
import { idCursor, type IdCursorOptions } from '../../../src/source/id-cursor/id-cursor.js'
import { runPartition, runPlan, syncOnce } from '../../support/partition-runs.js'
import { fakeTable, range, rowsFor } from './fake-table.js'

const signal = new AbortController().signal
const C = 'orders'

function committed(sink: MemorySink): Row[] {
  return sink
    .rows('orders')
    .map(({ id, name, score }) => ({ id, name, score }))
    .sort((a, b) => (a.id as number) - (b.id as number))
}

/** A growing table: `rows` may be appended to between syncs, `maxId` follows it. */
function orders(ids: number[], options: Partial<IdCursorOptions> = {}) {
  const rows = rowsFor(ids)
  const api = fakeTable(rows)
  const source = idCursor({
    table: 'orders', fetch: api.fetch, span: 100, concurrency: 3, sizes: [40, 10, 1],
    maxId: () => (rows.length ? (rows.at(-1)!.id as number) : null), clock: fakeClock({ autoAdvance: true }), ...options,
  })
  return { rows, api, source }
}

describe('idCursor partitions', () => {
  it('splits (after, maxId] into at most `max` ranges, each at least `span` wide, keyed by their bounds', async () => {
    const { source } = orders(range(1, 2000))
    const plan = (await source.partitions!({ state: { after: 300 }, configuration: {}, signal, max: 8 }))!
    expect(plan.partitions.map((p) => p.bounds)).toEqual([
      { lo: 300, hi: 513 }, { lo: 513, hi: 726 }, { lo: 726, hi: 939 }, { lo: 939, hi: 1152 },
      { lo: 1152, hi: 1365 }, { lo: 1365, hi: 1578 }, { lo: 1578, hi: 1791 }, { lo: 1791, hi: 2000 },
    ])
    expect(plan.partitions[0]).toEqual({ key: 'id.300-513', bounds: { lo: 300, hi: 513 }, label: 'orders id (300, 513]' })
    expect(plan.complete).toEqual({ after: 2000 })
    // span is the floor: 64 wanted, 17 made (1700 ids / 100).
    const wide = (await source.partitions!({ state: { after: 300 }, configuration: {}, signal, max: 64 }))!
    expect(wide.partitions).toHaveLength(17)
    for (const max of [2, 3, 7, 16, 64]) {
      const p = (await source.partitions!({ state: undefined, configuration: {}, signal, max }))!
      expect(p.partitions.length).toBeLessThanOrEqual(max)
      // Contiguous from start to maxId.
      expect(p.partitions[0]!.bounds.lo).toBe(0)
      expect(p.partitions.at(-1)!.bounds.hi).toBe(2000)
      for (let i = 1; i < p.partitions.length; i++) expect(p.partitions[i]!.bounds.lo).toBe(p.partitions[i - 1]!.bounds.hi)
    }
  })

  it('makes the same plan from the same state and data', async () => {
    const { source } = orders(range(1, 5000))
    const a = await source.partitions!({ state: { after: 17 }, configuration: {}, signal, max: 9 })
    const b = await source.partitions!({ state: { after: 17 }, configuration: {}, signal, max: 9 })
    expect(b).toEqual(a)
  })

  it('resolves undefined when there is less than two ranges of work, and has no partitions without span', async () => {
    const { source } = orders(range(1, 150))
    expect(await source.partitions!({ state: { after: 60 }, configuration: {}, signal, max: 64 })).toBeUndefined() // 90 ids < span
    expect(await source.partitions!({ state: { after: 150 }, configuration: {}, signal, max: 64 })).toBeUndefined()
    expect(await orders([]).source.partitions!({ state: undefined, configuration: {}, signal, max: 64 })).toBeUndefined()
    const plain = idCursor({ table: 'orders', fetch: async () => [] })
    expect(plain.partitions).toBeUndefined()
    expect(plain.partition).toBeUndefined()
  })

  it('lands the same rows as one ordinary sync, and the next sync from `complete` reads only the ids added since', async () => {
    const ids = range(1, 2000).filter((id) => id % 7 !== 0)
    const one = memory()
    await syncOnce(orders(ids).source, one, C)

    const { rows, api, source } = orders(ids)
    const sink = memory()
    const plan = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 6 }))!
    expect(plan.partitions).toHaveLength(6)
    await runPlan(source, plan, sink, C)
    expect(committed(sink)).toEqual(committed(one))

    // Rows added after the plan: the next ordinary sync of C starts at `complete` and reads them.
    rows.push(...rowsFor(range(2001, 2130)))
    api.calls.length = 0
    const next = await syncOnce(source, sink, C)
    expect(next.report.rows).toBe(130)
    expect(Math.min(...api.calls.map((c) => c.after as number))).toBe(2000)
    expect(committed(sink)).toEqual(rowsFor([...ids, ...range(2001, 2130)]))
  })

  it('resumes an interrupted partition from its own state, without gaps or re-reading', async () => {
    const data = rowsFor(range(1, 1000))
    const stop = new AbortController()
    let pages = 0
    const api = fakeTable(data, {
      fault: () => {
        if (++pages === 4) stop.abort()
      },
    })
    const source = idCursor({ table: 'orders', fetch: api.fetch, span: 100, concurrency: 1, sizes: [40], maxId: () => 1000, clock: fakeClock({ autoAdvance: true }), checkpointEvery: { rows: 1 } })
    const plan = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 2 }))!
    const [first] = plan.partitions
    expect(first!.bounds).toEqual({ lo: 0, hi: 500 })
    expect(source.partition!(first!).id).toBe('idCursor:orders#id.0-500')
    const sink = memory()

    const stopped = await runPartition(source, first!, sink, C, { signal: stop.signal })
    expect(stopped.report.status).toBe('stopped')
    const at = stopped.state!.after as number
    expect(at).toBeGreaterThan(0)
    expect(at).toBeLessThan(500)

    api.calls.length = 0
    const resumed = await runPartition(source, first!, sink, C)
    expect(resumed.report.status).toBe('succeeded')
    expect(api.calls[0]!.after).toBe(at)
    expect(api.calls.every((c) => (c.before as number) <= 501)).toBe(true)
    expect(committed(sink)).toEqual(rowsFor(range(1, 500)))
    expect(resumed.state).toEqual({ after: 500 })

    // Run once more (a redelivered job): its state is at hi, nothing is read.
    api.calls.length = 0
    const again = await runPartition(source, first!, sink, C)
    expect(again.report.status).toBe('succeeded')
    expect(api.calls).toEqual([])
  })

  it('reads a partition with the adaptive size and onError: continue, like the ordinary read', async () => {
    const data = rowsFor(range(1, 400))
    const api = fakeTable(data, {
      fault: (call, page) => {
        if (page.some((r) => r.id === 250)) throw new SluiceError({ code: 'HTTP_STATUS', message: 'boom', retryable: true, context: { status: 500 } })
      },
    })
    const source = idCursor({
      table: 'orders', fetch: api.fetch, span: 100, sizes: [50, 10, 1], maxId: () => 400, onError: 'continue',
      clock: fakeClock({ autoAdvance: true }), retry: exponentialBackoff({ attempts: 1 }),
    })
    const plan = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 2 }))!
    const sink = memory()
    await runPlan(source, plan, sink, C)
    expect(committed(sink).map((r) => r.id)).toEqual(range(1, 400).filter((id) => id !== 250))
    expect((await sink.readErrors!()).map((e) => e.record)).toEqual([{ id: 250 }])
  })

  it('refuses bounds it cannot read (CONFIG_INVALID) and a bad max', async () => {
    const { source } = orders(range(1, 100))
    for (const bounds of [{ lo: 5, hi: 5 }, { lo: 'a', hi: 10 }, { lo: 0 }, { lo: 0.5, hi: 10 }]) {
      expect(() => source.partition!({ key: 'x', bounds: bounds as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    }
    await expect(source.partitions!({ state: undefined, configuration: {}, signal, max: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
