import { describe, expect, it } from 'vitest'
import { fakeClock, memory, SluiceError, sync, type MemorySink, type Message, type Row, type State } from '../../../src/index.js'
import { RowsMessage } from '../../../src/source/op.js'
import { idCursor, type IdCursorOptions } from '../../../src/source/id-cursor/id-cursor.js'
import { fakeTable, range, rowsFor, type Call } from './fake-table.js'

function committed(sink: MemorySink): Row[] {
  return sink
    .rows('orders')
    .map(({ id, name, score }) => ({ id, name, score }))
    .sort((a, b) => (a.id as number) - (b.id as number))
}

const rangeOf = (call: Call) => Math.floor((call.after as number) / 100)

/** Releases waiting calls one per macrotask, the most recent first: later ranges finish before earlier ones. */
function lifoGate() {
  const waiting: (() => void)[] = []
  let scheduled = false
  const pump = () => {
    scheduled = false
    waiting.pop()?.()
    if (waiting.length > 0) schedule()
  }
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(pump)
  }
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve)
      schedule()
    })
}

const ranged = (options: Partial<IdCursorOptions> & Pick<IdCursorOptions, 'fetch'>) =>
  idCursor({ table: 'orders', span: 100, maxId: () => 2000, clock: fakeClock({ autoAdvance: true }), checkpointEvery: { rows: 1 }, ...options }) // a checkpoint after every page

async function readAll(source: ReturnType<typeof idCursor>, state?: State): Promise<Message[]> {
  const out: Message[] = []
  for await (const m of source.read({ state, signal: new AbortController().signal, configuration: {}, recordError: () => {} })) out.push(m)
  return out
}

describe('idCursor: parallel id ranges', () => {
  it('fetches up to `concurrency` ranges at once, finishing out of order, and emits them in id order', async () => {
    const data = rowsFor(range(1, 2000))
    const gate = lifoGate()
    let inFlight = 0
    let peak = 0
    const finished: number[] = []
    const api = fakeTable(data, {
      gate: async () => {
        peak = Math.max(peak, ++inFlight)
        await gate()
      },
      fault: (call) => {
        inFlight--
        finished.push(rangeOf(call))
      },
    })
    const messages = await readAll(ranged({ fetch: api.fetch, concurrency: 8 }))

    expect(peak).toBe(8)
    expect(finished.slice(0, 8)).toEqual([7, 6, 5, 4, 3, 2, 1, 0])
    const ids = messages.flatMap((m) => (m instanceof RowsMessage ? m.rows.map((r) => (r as Row).id as number) : []))
    expect(ids).toEqual(data.map((r) => r.id))
    const checkpoints = messages.flatMap((m) => (m.kind === 'checkpoint' ? [m.state.after] : []))
    expect(checkpoints).toEqual(range(1, 20).map((k) => k * 100))
    // Every batch comes after the checkpoint of the ranges before it, never ahead of it.
    let covered = 0
    for (const m of messages) {
      if (m.kind === 'checkpoint') covered = m.state.after as number
      else if (m instanceof RowsMessage) expect(Math.min(...m.rows.map((r) => (r as Row).id as number))).toBeGreaterThan(covered)
    }
    // 20 ranges up to maxId, then the tail (2000, ∞) for ids added since.
    expect(api.calls.filter((c) => c.before === undefined).map((c) => c.after)).toEqual([2000])
  })

  it('checkpoints only over the completed prefix: range k fails after k+1…k+7 finished, state = end of range k-1', async () => {
    const data = rowsFor(range(1, 2000))
    const done = new Set<number>()
    let release!: () => void
    const laterRangesDone = new Promise<void>((resolve) => (release = resolve))
    const api = fakeTable(data, {
      gate: async (call) => {
        if (rangeOf(call) === 3) await laterRangesDone
      },
      fault: (call) => {
        const k = rangeOf(call)
        if (k === 3) throw new SluiceError({ code: 'HTTP_STATUS', message: 'GET /orders returned 500', context: { status: 500 } })
        done.add(k)
        if ([4, 5, 6, 7, 8, 9, 10].every((n) => done.has(n))) release()
      },
    })
    const sink = memory()
    const states: State[] = []
    const report = await sync({ source: ranged({ fetch: api.fetch }), destination: sink, on: { checkpoint: (e) => states.push(e.state) } })

    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'ID_FETCH_FAILED', context: { after: 300 } })
    expect([...done].sort((a, b) => a - b)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 10])
    expect(states.at(-1)).toEqual({ after: 300 })
    expect(committed(sink)).toEqual(data.slice(0, 300))

    // Resuming starts at the end of range k-1: nothing skipped, everything lands exactly once.
    const healthy = fakeTable(data)
    const again = await sync({ source: ranged({ fetch: healthy.fetch }), destination: sink })
    expect(again.status).toBe('succeeded')
    expect(Math.min(...healthy.calls.map((c) => c.after as number))).toBe(300)
    expect(committed(sink)).toEqual(data)
  })

  it("records and skips a failing id inside a range with onError: 'continue'", async () => {
    const data = rowsFor(range(1, 2000))
    const api = fakeTable(data, {
      fault: (_call, page) => {
        if (page.some((r) => r.id === 1234)) throw new SluiceError({ code: 'HTTP_STATUS', message: 'returned 500', retryable: true, context: { status: 500 } })
      },
    })
    const sink = memory()
    const report = await sync({ source: ranged({ fetch: api.fetch, onError: 'continue' }), destination: sink })
    expect(report.status).toBe('succeeded')
    expect(committed(sink)).toEqual(data.filter((r) => r.id !== 1234))
    const errors = await sink.readErrors!()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ record: { id: 1234 }, context: { id: 1234, before: 1301, status: 500 } })
  })

  it('continues from the end of the last range on the next sync, reading only new ids', async () => {
    const data = rowsFor(range(1, 2000))
    const sink = memory()
    await sync({ source: ranged({ fetch: fakeTable(data).fetch }), destination: sink })
    data.push(...rowsFor(range(2001, 2150)))
    const api = fakeTable(data)
    const report = await sync({ source: ranged({ fetch: api.fetch, maxId: () => 2150 }), destination: sink })
    expect(report.status).toBe('succeeded')
    expect(api.calls.map((c) => [c.after, c.before])).toEqual([
      [2000, 2101],
      [2100, 2151],
      [2150, undefined],
    ])
    expect(committed(sink)).toEqual(data)
  })
})

describe('idCursor: stopping in the middle', () => {
  it('a hard abort while a range hangs stops cleanly: status stopped, state and data at the last checkpoint, no fetch left running', async () => {
    const data = rowsFor(range(1, 2000))
    const controller = new AbortController()
    let running = 0
    let startedAfterAbort = 0
    const api = fakeTable(data, {
      gate: (call, signal) => {
        if (controller.signal.aborted) startedAfterAbort++
        running++
        if (rangeOf(call) !== 1) return Promise.resolve().finally(() => running--)
        return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })).finally(() => running--)
      },
    })
    const sink = memory()
    const states: State[] = []
    const report = await sync({
      source: ranged({ fetch: api.fetch, concurrency: 4 }),
      destination: sink,
      grace: 0,
      signal: controller.signal,
      on: {
        checkpoint: (e) => {
          states.push(e.state)
          // Abort while the source waits for range 1, not at a checkpoint: the source itself must stop.
          setImmediate(() => controller.abort())
        },
      },
    })
    expect(report.status).toBe('stopped')
    expect(states).toEqual([{ after: 100 }])
    expect(committed(sink)).toEqual(data.slice(0, 100))
    expect(running).toBe(0)
    expect(startedAfterAbort).toBe(0)
  })

  it('breaking out at a checkpoint (graceful stop) aborts the ranges still running and leaves none behind', async () => {
    const data = rowsFor(range(1, 2000))
    const controller = new AbortController()
    let running = 0
    const api = fakeTable(data, {
      gate: (call, signal) => {
        running++
        if (rangeOf(call) < 2) return Promise.resolve().finally(() => running--)
        return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })).finally(() => running--)
      },
    })
    const sink = memory()
    const report = await sync({
      source: ranged({ fetch: api.fetch }),
      destination: sink,
      signal: controller.signal,
      on: { checkpoint: (e) => e.state.after === 200 && controller.abort() },
    })
    expect(report.status).toBe('stopped')
    expect(committed(sink)).toEqual(data.slice(0, 200))
    expect(running).toBe(0)
  })
})
