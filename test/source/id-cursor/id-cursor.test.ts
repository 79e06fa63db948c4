import { describe, expect, it } from 'vitest'
import { exponentialBackoff, fakeClock, memory, SluiceError, sync, type MemorySink, type Row, type State } from '../../../src/index.js'
import { idCursor, type IdCursorOptions } from '../../../src/source/id-cursor/id-cursor.js'
import { fakeTable, http500, range, rowsFor } from './fake-table.js'

/** Committed rows of `orders` without system columns, by id. */
function committed(sink: MemorySink): Row[] {
  return sink
    .rows('orders')
    .filter((r) => !r._sluice_deleted)
    .map(({ id, name, score }) => ({ id, name, score }))
    .sort((a, b) => (a.id as number) - (b.id as number))
}

async function run(sink: MemorySink, options: Omit<IdCursorOptions, 'table'>) {
  const states: State[] = []
  const report = await sync({
    // A checkpoint after every page (not the default 10k rows or 1 s): these tests follow the state page by page.
    source: idCursor({ table: 'orders', clock: fakeClock({ autoAdvance: true }), checkpointEvery: { rows: 1 }, ...options }),
    destination: sink,
    on: { checkpoint: (e) => states.push(e.state) },
  })
  return { report, states, last: states.at(-1) }
}

const tooLarge = () => new SluiceError({ code: 'HTTP_STATUS', message: 'GET /orders returned 413', retryable: false, context: { status: 413 } })

describe('idCursor: how often it checkpoints', () => {
  const states = async (options: Omit<IdCursorOptions, 'table'>) => {
    const seen: State[] = []
    const sink = memory()
    const report = await sync({ source: idCursor({ table: 'orders', ...options }), destination: sink, on: { checkpoint: (e) => seen.push(e.state) } })
    expect(report.status).toBe('succeeded')
    return { seen, sink }
  }

  it('by default every 10,000 rows (or second) and at the end: 25 pages of 1000 → 3 commits, every row landed', async () => {
    const data = rowsFor(range(1, 25_000))
    const { seen, sink } = await states({ fetch: fakeTable(data).fetch, clock: fakeClock() }) // a clock that never moves: rows decide
    expect(seen).toEqual([{ after: 10_000 }, { after: 20_000 }, { after: 25_000 }])
    expect(committed(sink)).toHaveLength(25_000)
  })

  it('once `ms` passed since the last checkpoint, after the page that crossed it', async () => {
    const clock = fakeClock()
    const api = fakeTable(rowsFor(range(1, 3500)))
    const fetch: typeof api.fetch = async (args) => {
      await clock.advance(400) // each page takes 400 ms
      return api.fetch(args)
    }
    const { seen } = await states({ fetch, clock, checkpointEvery: { ms: 1000 } })
    // Pages of 1000 end at 400, 800 and 1200 ms (due: after id 3000), then 1600 ms; the last checkpoint comes at the end.
    expect(seen).toEqual([{ after: 3000 }, { after: 3500 }])
  })

  it('with id ranges, a finished range counts too, and the state never passes an unfinished range', async () => {
    const data = rowsFor(range(1, 2000))
    const { seen, sink } = await states({ fetch: fakeTable(data).fetch, clock: fakeClock(), span: 100, maxId: () => 2000, sizes: [50], checkpointEvery: { rows: 450 } })
    expect(seen).toEqual([{ after: 450 }, { after: 900 }, { after: 1350 }, { after: 1800 }, { after: 2000 }])
    expect(committed(sink)).toEqual(data)
  })
})

describe('idCursor: sequential reads', () => {
  it('reads every row in pages of 1000, checkpoints the last id, and continues from it on the next sync', async () => {
    const data = rowsFor(range(1, 2345))
    const api = fakeTable(data)
    const sink = memory()
    const first = await run(sink, { fetch: api.fetch })
    expect(first.report.status).toBe('succeeded')
    expect(committed(sink)).toEqual(data)
    expect(api.calls.map((c) => c.after)).toEqual([0, 1000, 2000])
    expect(first.last).toEqual({ after: 2345 })

    data.push(...rowsFor([2400, 2401]))
    api.calls.length = 0
    const second = await run(sink, { fetch: api.fetch })
    expect(second.report.status).toBe('succeeded')
    expect(api.calls.map((c) => c.after)).toEqual([2345])
    expect(committed(sink)).toEqual(data)
    expect(second.last).toEqual({ after: 2401 })
  })

  it('retries a retryable failure before shrinking the size', async () => {
    const data = rowsFor(range(1, 1500))
    const api = fakeTable(data, { fault: () => { if (api.calls.length <= 2) throw http500('flaky') } })
    const sink = memory()
    const { report } = await run(sink, { fetch: api.fetch, retry: exponentialBackoff({ attempts: 3 }) })
    expect(report.status).toBe('succeeded')
    expect(api.calls.map((c) => c.size)).toEqual([1000, 1000, 1000, 1000])
    expect(committed(sink)).toEqual(data)
  })

  it('shrinks 1000 → 500 → 250 on failed requests and grows back after 5 successes in a row', async () => {
    const data = rowsFor(range(1, 5000))
    const api = fakeTable(data, { fault: (call) => { if (call.size > 250 && api.calls.length <= 2) throw tooLarge() } })
    const sink = memory()
    const { report } = await run(sink, { fetch: api.fetch })
    expect(report.status).toBe('succeeded')
    expect(api.calls.map((c) => c.size)).toEqual([1000, 500, 250, 250, 250, 250, 250, 500, 500, 500, 500, 500, 1000, 1000])
    expect(committed(sink)).toEqual(data)
  })

  it('keeps a size that works when a larger one keeps timing out (each size retried before it shrinks)', async () => {
    const data = rowsFor(range(1, 700))
    const timeout = () => new SluiceError({ code: 'HTTP_TIMEOUT', message: 'no response headers within 30000 ms', retryable: true })
    const api = fakeTable(data, { fault: (call) => { if (call.size > 50) throw timeout() } })
    const sink = memory()
    const { report } = await run(sink, { fetch: api.fetch, retry: exponentialBackoff({ attempts: 2 }) })
    expect(report.status).toBe('succeeded')
    const sizes = api.calls.map((c) => c.size)
    expect(sizes.slice(0, 11)).toEqual([1000, 1000, 500, 500, 250, 250, 50, 50, 50, 50, 50])
    expect(sizes.slice(11, 14)).toEqual([250, 250, 50]) // tried to grow, timed out twice, back to 50
    expect(committed(sink)).toEqual(data)
  })
})

describe('idCursor: a request that fails at size 1', () => {
  // Sparse ids (every 37th) with one id the API cannot serve: any page holding it fails.
  const ids = range(1, 300).map((i) => i * 37)
  const poisoned = 150 * 37
  const poison = (_call: unknown, page: Row[]) => {
    if (page.some((r) => r.id === poisoned)) throw http500('cannot serialize order')
  }

  it("is recorded in _sluice_errors and skipped with onError: 'continue', with its context", async () => {
    const data = rowsFor(ids)
    const api = fakeTable(data, { fault: poison })
    const sink = memory()
    const { report, last } = await run(sink, { fetch: api.fetch, onError: 'continue' })
    expect(report.status).toBe('succeeded')
    expect(report.errors).toBe(1)
    expect(committed(sink)).toEqual(data.filter((r) => r.id !== poisoned))
    const errors = await sink.readErrors!()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      kind: 'request',
      table: 'orders',
      code: 'HTTP_STATUS',
      record: { id: poisoned },
      context: { after: poisoned - 37, id: poisoned, size: 1, status: 500 },
    })
    expect(errors[0]!.message).toContain('cannot serialize order')
    expect(last).toEqual({ after: 300 * 37 })
    // Finding the id among sparse ids costs a few probes, not one request per missing id.
    expect(api.calls.length).toBeLessThan(120)
  })

  it('fails the sync otherwise, with the state at the last good checkpoint', async () => {
    const data = rowsFor(ids)
    const api = fakeTable(data, { fault: poison })
    const sink = memory()
    const { report, last } = await run(sink, { fetch: api.fetch })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'ID_FETCH_FAILED', context: { table: 'orders', after: poisoned - 37, size: 1, status: 500 } })
    expect(report.error!.message).toContain("onError: 'continue'")
    expect(last).toEqual({ after: poisoned - 37 })
    expect(committed(sink)).toEqual(data.filter((r) => (r.id as number) < poisoned))

    // The next sync resumes at the failing id, not past it.
    api.calls.length = 0
    await run(sink, { fetch: fakeTable(data).fetch })
    expect(committed(sink)).toEqual(data)
  })

  it('is not skipped when no single id is to blame (fails with ID_FETCH_FAILED)', async () => {
    const data = rowsFor(range(1, 1000))
    // "Anything after 1000" breaks, though there is nothing there: every bounded probe reads fine.
    const api = fakeTable(data, { fault: (call) => { if (call.before === undefined && (call.after as number) >= 1000) throw http500('index corrupt') } })
    const sink = memory()
    const { report, last } = await run(sink, { fetch: api.fetch, onError: 'continue', retry: exponentialBackoff({ attempts: 1 }) })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'ID_FETCH_FAILED' })
    expect(report.error!.message).toContain('not tied to one id')
    expect(last).toEqual({ after: 1000 })
    expect(await sink.readErrors!()).toEqual([])
  })

  it('fails with TOO_MANY_ERRORS once more than maxErrors ids were skipped in one sync', async () => {
    const data = rowsFor(range(1, 100))
    const api = fakeTable(data, { fault: () => { throw http500('down') } })
    const sink = memory()
    const { report, last } = await run(sink, { fetch: api.fetch, onError: 'continue', maxErrors: 3, sizes: [10, 1], retry: exponentialBackoff({ attempts: 1 }) })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'TOO_MANY_ERRORS' })
    expect(last).toEqual({ after: 3 })
    expect((await sink.readErrors!()).map((e) => e.record)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
  })

  it('stops at once on a credentials failure instead of shrinking or skipping', async () => {
    const api = fakeTable(rowsFor(range(1, 10)), {
      fault: () => { throw new SluiceError({ code: 'HTTP_STATUS', message: 'GET /orders returned 401', context: { status: 401 } }) },
    })
    const { report } = await run(memory(), { fetch: api.fetch, onError: 'continue' })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'HTTP_STATUS', context: { status: 401 } })
    expect(api.calls).toHaveLength(1)
  })
})

describe('idCursor: the fetch contract', () => {
  it('fails with ID_CURSOR_CONTRACT when the fetch ignores `after` (instead of looping)', async () => {
    const data = rowsFor(range(1, 30))
    const { report } = await run(memory(), { fetch: async ({ size }) => data.slice(0, size), sizes: [10, 1] })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'ID_CURSOR_CONTRACT' })
    expect(report.error!.message).toContain('ascending')
  })

  it('fails with ID_CURSOR_CONTRACT when a row has no integer id', async () => {
    const { report } = await run(memory(), { fetch: async () => [{ id: 'a' }] })
    expect(report.error).toMatchObject({ code: 'ID_CURSOR_CONTRACT' })
    expect(report.error!.message).toContain("idType: 'string'")
  })

  it('reads string ids in the API order', async () => {
    const data = ['a01', 'a02', 'b01', 'b02', 'c01'].map((id) => ({ id, n: id.length }))
    const calls: unknown[] = []
    const sink = memory()
    const report = await sync({
      destination: sink,
      source: idCursor<string>({
        table: 'orders',
        idType: 'string',
        sizes: [2, 1],
        fetch: async ({ after, size }) => {
          calls.push(after)
          return data.filter((r) => after === undefined || r.id > after).slice(0, size)
        },
      }),
    })
    expect(report.status).toBe('succeeded')
    expect(calls).toEqual([undefined, 'a02', 'b02'])
    expect(sink.rows('orders').map((r) => r.id)).toEqual(data.map((r) => r.id))
  })

  it.each([
    [{ checkpointEvery: { rows: 0 } }, 'idCursor.checkpointEvery.rows'],
    [{ checkpointEvery: { ms: -1 } }, 'idCursor.checkpointEvery.ms'],
    [{ checkpointEvery: { pages: 2 } }, 'idCursor.checkpointEvery'],
    [{ checkpointEvery: 1000 }, 'idCursor.checkpointEvery'],
    [{ idType: 'string', onError: 'continue' }, 'idCursor.onError'],
    [{ idType: 'string', span: 100, maxId: () => 1 }, 'idCursor.span'],
    [{ span: 100 }, 'idCursor.maxId'],
    [{ sizes: [100, 500] }, 'adaptiveSize.sizes[1]'],
    [{ concurrency: 0 }, 'idCursor.concurrency'],
    [{ onError: 'skip' }, 'idCursor.onError'],
    [{ start: 1.5 }, 'idCursor.start'],
  ])('refuses %j when built (CONFIG_INVALID naming %s)', (bad, option) => {
    const build = () => idCursor({ table: 'orders', fetch: async () => [], ...(bad as object) })
    expect(build).toThrow(SluiceError)
    expect(build).toThrow(option)
  })

  it('refuses a saved state whose id does not match idType (STATE_INVALID)', async () => {
    const source = idCursor({ table: 'orders', fetch: async () => [] })
    const read = source.read({ state: { after: 'x' }, signal: new AbortController().signal, configuration: {}, recordError: () => {} })
    await expect(read[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'STATE_INVALID' })
  })
})
