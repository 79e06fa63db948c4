import { describe, expect, it } from 'vitest'
import { fakeClock, memory, SluiceError, sync, type MemorySink, type Row, type State } from '../../../src/index.js'
import type { WindowFetchArgs } from '../../../src/source/time-windows/fetch-window.js'
import { timeWindows, type TimeWindowsOptions } from '../../../src/source/time-windows/time-windows.js'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 0, 1)
const T1 = Date.UTC(2027, 0, 1)
const iso = (ms: number) => new Date(ms).toISOString()
const days = (w: { from: string; to: string }) => (Date.parse(w.to) - Date.parse(w.from)) / DAY

/** One event every 6 hours through 2026. */
const EVENTS: Row[] = Array.from({ length: 365 * 4 }, (_, i) => ({ id: i + 1, at: iso(T0 + i * 6 * 3_600_000), amount: i % 97 }))

interface Call {
  from: string
  to: string
  attempt: number
  outcome?: 'ok' | 'failed'
}

/** The events API, with hooks to fail or hold a call. Records every call. */
function eventsApi(hooks: { fault?: (call: Call) => void; gate?: (call: Call, signal: AbortSignal) => Promise<void> } = {}) {
  const calls: Call[] = []
  const fetch = async ({ from, to, attempt, signal }: WindowFetchArgs) => {
    const call: Call = { from, to, attempt }
    calls.push(call)
    try {
      await hooks.gate?.(call, signal)
      hooks.fault?.(call)
    } catch (error) {
      call.outcome = 'failed'
      throw error
    }
    call.outcome = 'ok'
    return EVENTS.filter((e) => (e.at as string) >= from && (e.at as string) < to)
  }
  return { fetch, calls, ok: () => calls.filter((c) => c.outcome === 'ok') }
}

const timeout = () => new SluiceError({ code: 'HTTP_TIMEOUT', message: 'no response headers within 30000 ms', retryable: true })

function committed(sink: MemorySink): Row[] {
  return sink
    .rows('events')
    .map(({ id, at, amount }) => ({ id, at, amount }))
    .sort((a, b) => (a.id as number) - (b.id as number))
}

async function run(sink: MemorySink, options: Partial<TimeWindowsOptions> & Pick<TimeWindowsOptions, 'fetch'>, extra: { signal?: AbortSignal; grace?: number } = {}) {
  const states: State[] = []
  const report = await sync({
    source: timeWindows({ table: 'events', primaryKey: ['id'], start: T0, end: T1, clock: fakeClock({ autoAdvance: true, now: T1 }), ...options }),
    destination: sink,
    on: { checkpoint: (e) => states.push(e.state) },
    ...extra,
  })
  return { report, states, last: states.at(-1) }
}

describe('timeWindows: planning', () => {
  it('reads [start, end) in calendar windows of 3 months and keeps one merged interval as state', async () => {
    const api = eventsApi()
    const sink = memory()
    const { report, states } = await run(sink, { fetch: api.fetch })
    expect(report.status).toBe('succeeded')
    expect(api.calls.map((c) => [c.from, c.to])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
      ['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z'],
      ['2026-07-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'],
      ['2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ])
    expect(states.map((s) => s.done)).toEqual([
      [['2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']],
      [['2026-01-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z']],
      [['2026-01-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z']],
      [['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']],
    ])
    expect(committed(sink)).toEqual(EVENTS)
  })

  it('keeps month ends when counting calendar months from the 31st', async () => {
    const api = eventsApi()
    await run(memory(), { fetch: api.fetch, start: Date.UTC(2026, 0, 31), end: Date.UTC(2026, 4, 1), window: '1 month' })
    expect(api.calls.map((c) => c.to)).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-04-30T00:00:00.000Z', '2026-05-01T00:00:00.000Z'])
  })

  it('reads up to now (taken once at start) and continues from the end of the merged intervals to the new now', async () => {
    const clock = fakeClock({ now: Date.UTC(2026, 5, 15) })
    const api = eventsApi()
    const sink = memory()
    const source = timeWindows({ table: 'events', primaryKey: ['id'], start: T0, fetch: api.fetch, clock })
    expect((await sync({ source, destination: sink })).status).toBe('succeeded')
    expect(api.calls.at(-1)!.to).toBe('2026-06-15T00:00:00.000Z')
    await clock.advance(20 * DAY)
    api.calls.length = 0
    expect((await sync({ source, destination: sink })).status).toBe('succeeded')
    expect(api.calls.map((c) => [c.from, c.to])).toEqual([['2026-06-15T00:00:00.000Z', '2026-07-05T00:00:00.000Z']])
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-07-05'))
  })
})

describe('timeWindows: failures', () => {
  it('halves a window that times out, down to minWindow, until every piece reads', async () => {
    const api = eventsApi({ fault: (call) => { if (days(call) > 20) throw timeout() } })
    const sink = memory()
    const { report, last } = await run(sink, { fetch: api.fetch, end: Date.UTC(2026, 3, 1) })
    expect(report.status).toBe('succeeded')
    expect(api.calls.slice(0, 3).map(days)).toEqual([90, 45, 22.5])
    expect(api.calls.filter((c) => c.outcome === 'failed').every((c) => days(c) > 20)).toBe(true)
    // The pieces that read tile [start, end) exactly: no gap, no overlap.
    const pieces = api.ok().map((c) => [c.from, c.to]).sort()
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]![0]).toBe(pieces[i - 1]![1])
    expect(pieces[0]![0]).toBe(iso(T0))
    expect(pieces.at(-1)![1]).toBe('2026-04-01T00:00:00.000Z')
    expect(Math.min(...api.ok().map(days))).toBeGreaterThan(0)
    // Pieces under 14 days are only the remainders right after a 14-day first half.
    const ok = api.ok().sort((a, b) => (a.from < b.from ? -1 : 1))
    ok.forEach((c, i) => { if (days(c) < 14) expect(days(ok[i - 1]!)).toBe(14) })
    expect(last).toEqual({ done: [[iso(T0), '2026-04-01T00:00:00.000Z']] })
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-04-01'))
  })

  it('tries a minimum-size window maxRetries times, then fails the sync with the finished windows saved', async () => {
    // 90 days fail, then 45, then 22.5: Feb 20 ends up inside the 14-day window [Feb 15, Mar 1).
    const bad = iso(Date.UTC(2026, 1, 20))
    const api = eventsApi({ fault: (call) => { if (days(call) > 14 || (call.from <= bad && bad < call.to)) throw timeout() } })
    const sink = memory()
    const { report, last } = await run(sink, { fetch: api.fetch, end: Date.UTC(2026, 3, 1), maxRetries: 3 })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'WINDOW_FAILED', context: { from: '2026-02-15T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z', tries: 3 } })
    const tries = api.calls.filter((c) => c.from === '2026-02-15T00:00:00.000Z' && c.to === '2026-03-01T00:00:00.000Z')
    expect(tries.map((c) => c.attempt)).toEqual([1, 2, 3])
    expect(last).toEqual({ done: [[iso(T0), '2026-02-15T00:00:00.000Z']] })
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-02-15'))
  })

  it("records a window that still fails in _sluice_errors with onError: 'continue', and reads only that gap next sync", async () => {
    const bad = iso(Date.UTC(2026, 1, 20))
    let healthy = false
    const api = eventsApi({ fault: (call) => { if (!healthy && (days(call) > 14 || (call.from <= bad && bad < call.to))) throw timeout() } })
    const sink = memory()
    const first = await run(sink, { fetch: api.fetch, end: Date.UTC(2026, 3, 1), onError: 'continue' })
    expect(first.report.status).toBe('succeeded')
    expect(first.report.errors).toBe(1)
    expect(await sink.readErrors!()).toEqual([
      expect.objectContaining({
        kind: 'request',
        table: 'events',
        code: 'HTTP_TIMEOUT',
        context: expect.objectContaining({ from: '2026-02-15T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z', tries: 3 }),
      }),
    ])
    expect(first.last).toEqual({
      done: [
        [iso(T0), '2026-02-15T00:00:00.000Z'],
        ['2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
      ],
    })
    healthy = true
    api.calls.length = 0
    const second = await run(sink, { fetch: api.fetch, end: Date.UTC(2026, 3, 1) })
    expect(second.report.status).toBe('succeeded')
    expect(api.calls.map((c) => [c.from, c.to])).toEqual([['2026-02-15T00:00:00.000Z', '2026-03-01T00:00:00.000Z']])
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-04-01'))
  })

  it('fails at once, without halving, on an error that is not a timeout or retryable', async () => {
    const api = eventsApi({ fault: () => { throw new SluiceError({ code: 'HTTP_STATUS', message: 'returned 400: bad filter', context: { status: 400 } }) } })
    const { report } = await run(memory(), { fetch: api.fetch })
    expect(report.error).toMatchObject({ code: 'HTTP_STATUS', context: { status: 400 } })
    expect(api.calls).toHaveLength(1)
  })

  it('halves on the errors `splitOn` names, such as an API-specific "report too large"', async () => {
    const tooBig = () => Object.assign(new Error('report exceeds 100k rows'), { code: 'REPORT_TOO_LARGE' })
    const api = eventsApi({ fault: (call) => { if (days(call) > 50) throw tooBig() } })
    const sink = memory()
    const { report } = await run(sink, { fetch: api.fetch, end: Date.UTC(2026, 6, 1), splitOn: (e) => (e as { code?: string }).code === 'REPORT_TOO_LARGE' })
    expect(report.status).toBe('succeeded')
    expect(api.calls.filter((c) => c.outcome === 'failed').map(days)).toEqual([90, 91])
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-07-01'))
  })

  it('cuts a try off after `timeout` (WINDOW_TIMEOUT, which halves the window) and aborts its fetch', async () => {
    const clock = fakeClock({ now: T1 })
    const aborted: string[] = []
    const api = eventsApi({
      gate: (call, signal) =>
        days(call) > 20
          ? new Promise((_, reject) => signal.addEventListener('abort', () => (aborted.push(call.from), reject(signal.reason)), { once: true }))
          : Promise.resolve(),
    })
    const sink = memory()
    let finished = false
    const driver = (async () => {
      while (!finished) if (!(await clock.next())) await new Promise((r) => setImmediate(r))
    })()
    const report = await sync({
      source: timeWindows({ table: 'events', primaryKey: ['id'], start: T0, end: Date.UTC(2026, 3, 1), fetch: api.fetch, clock, timeout: '10m' }),
      destination: sink,
    })
    finished = true
    await driver
    expect(report.status).toBe('succeeded')
    expect(aborted).toEqual(api.calls.filter((c) => days(c) > 20).map((c) => c.from))
    expect(aborted.length).toBeGreaterThanOrEqual(3)
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-04-01'))
  })
})

describe('timeWindows: concurrency and resume', () => {
  /** Holds each window until `release(from)`. */
  function held() {
    const waiting = new Map<string, () => void>()
    const arrived: string[] = []
    let notify: (() => void) | undefined
    return {
      gate: (call: Call) =>
        new Promise<void>((resolve) => {
          waiting.set(call.from, resolve)
          arrived.push(call.from)
          notify?.()
        }),
      async arrival(from: string) {
        while (!waiting.has(from)) await new Promise<void>((r) => (notify = r))
      },
      async release(from: string) {
        await this.arrival(from)
        waiting.get(from)!()
        waiting.delete(from)
      },
      arrived,
    }
  }

  it('runs windows concurrently, completing out of order, and checkpoints the merged finished intervals', async () => {
    const h = held()
    const api = eventsApi({ gate: h.gate })
    const sink = memory()
    const result = run(sink, { fetch: api.fetch, window: '1 month', end: Date.UTC(2026, 3, 1), concurrency: 3 })
    await h.release('2026-03-01T00:00:00.000Z')
    await h.release('2026-02-01T00:00:00.000Z')
    await h.release('2026-01-01T00:00:00.000Z')
    const { report, states } = await result
    expect(report.status).toBe('succeeded')
    expect(states.map((s) => s.done)).toEqual([
      [['2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']],
      [['2026-02-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']],
      [['2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']],
    ])
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-04-01'))
  })

  it('after a failure mid-way, resuming reads only the unfinished windows (never a finished one again)', async () => {
    const h = held()
    let broken = true
    const api = eventsApi({
      gate: (call) => (broken ? h.gate(call) : Promise.resolve()),
      fault: (call) => {
        if (broken && call.from === '2026-02-01T00:00:00.000Z') throw new SluiceError({ code: 'HTTP_STATUS', message: 'returned 422', context: { status: 422 } })
      },
    })
    const sink = memory()
    const result = run(sink, { fetch: api.fetch, window: '1 month', end: Date.UTC(2026, 5, 1), concurrency: 2 })
    await h.release('2026-01-01T00:00:00.000Z') // Jan and Feb start; Jan finishes, Mar starts
    await h.release('2026-03-01T00:00:00.000Z')
    await h.arrival('2026-04-01T00:00:00.000Z') // started when Mar finished
    await h.release('2026-02-01T00:00:00.000Z') // fails: nothing new starts, Apr (running) still finishes
    await h.release('2026-04-01T00:00:00.000Z')
    const first = await result
    expect(first.report.status).toBe('failed')
    expect(first.last).toEqual({
      done: [
        ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
        ['2026-03-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'],
      ],
    })
    expect(h.arrived).not.toContain('2026-05-01T00:00:00.000Z')

    broken = false
    api.calls.length = 0
    const second = await run(sink, { fetch: api.fetch, window: '1 month', end: Date.UTC(2026, 5, 1), concurrency: 2 })
    expect(second.report.status).toBe('succeeded')
    expect(api.calls.map((c) => c.from).sort()).toEqual(['2026-02-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'])
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-06-01'))
  })

  it('an abort while a window runs stops cleanly: status stopped, finished windows kept, the fetch aborted', async () => {
    const controller = new AbortController()
    let running = 0
    const api = eventsApi({
      gate: (call, signal) => {
        if (call.from < '2026-04-01') return Promise.resolve()
        running++
        setImmediate(() => controller.abort())
        return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })).finally(() => running--)
      },
    })
    const sink = memory()
    const { report, last } = await run(sink, { fetch: api.fetch }, { signal: controller.signal, grace: 0 })
    expect(report.status).toBe('stopped')
    expect(last).toEqual({ done: [[iso(T0), '2026-04-01T00:00:00.000Z']] })
    expect(committed(sink)).toEqual(EVENTS.filter((e) => (e.at as string) < '2026-04-01'))
    expect(running).toBe(0)
  })

  it.each([
    [{ minWindow: '4 months' }, 'timeWindows.minWindow'],
    [{ minWindow: '1 month' }, 'timeWindows.minWindow'],
    [{ window: '0 days' }, 'timeWindows.window'],
    [{ start: 'yesterday' }, 'timeWindows.start'],
    [{ start: T1, end: T0 }, 'timeWindows.end'],
    [{ concurrency: 0 }, 'timeWindows.concurrency'],
    [{ maxRetries: 0 }, 'timeWindows.maxRetries'],
    [{ onError: 'ignore' }, 'timeWindows.onError'],
  ])('refuses %j when built (CONFIG_INVALID naming %s)', (bad, option) => {
    const build = () => timeWindows({ table: 'events', start: T0, fetch: async () => [], ...(bad as object) })
    expect(build).toThrow(SluiceError)
    expect(build).toThrow(option)
  })
})
