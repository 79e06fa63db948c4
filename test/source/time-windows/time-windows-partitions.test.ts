import { describe, expect, it } from 'vitest'
import { fakeClock, memory, type MemorySink, type Row } from '../../../src/index.js'
import type { WindowFetchArgs } from '../../../src/source/time-windows/fetch-window.js'
import { timeWindows, type TimeWindowsOptions } from '../../../src/source/time-windows/time-windows.js'
import { runPartition, runPlan, syncOnce } from '../../support/partition-runs.js'

const DAY = 86_400_000
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 0, 1)
const T1 = Date.UTC(2027, 0, 1)
const iso = (ms: number) => new Date(ms).toISOString()
const signal = new AbortController().signal
const C = 'events'

/** Events every 6 hours from T0 up to `until` (exclusive). */
function eventsUntil(until: number, from = T0): Row[] {
  const out: Row[] = []
  for (let t = from; t < until; t += 6 * HOUR) out.push({ id: (t - T0) / (6 * HOUR) + 1, at: iso(t), amount: ((t - T0) / HOUR) % 97 })
  return out
}

/** An events API over a list that may grow, recording every call; `gate` may hold or fail a call. */
function eventsApi(events: Row[], gate?: (args: WindowFetchArgs) => Promise<void> | void) {
  const calls: { from: string; to: string }[] = []
  const fetch = async (args: WindowFetchArgs) => {
    calls.push({ from: args.from, to: args.to })
    await gate?.(args)
    return events.filter((e) => (e.at as string) >= args.from && (e.at as string) < args.to)
  }
  return { fetch, calls }
}

function committed(sink: MemorySink): Row[] {
  return sink
    .rows('events')
    .map(({ id, at, amount }) => ({ id, at, amount }))
    .sort((a, b) => (a.id as number) - (b.id as number))
}

function source(fetch: TimeWindowsOptions['fetch'], clock = fakeClock({ now: T1, autoAdvance: true }), options: Partial<TimeWindowsOptions> = {}) {
  return timeWindows({ table: 'events', primaryKey: ['id'], start: T0, window: '1 month', minWindow: '1 day', fetch, clock, ...options })
}

describe('timeWindows partitions', () => {
  it('groups the windows one sync would read (to the clock’s now) into at most `max` partitions of consecutive windows', async () => {
    const s = source(eventsApi([]).fetch)
    const plan = (await s.partitions!({ state: undefined, configuration: {}, signal, max: 5 }))!
    // 12 monthly windows, 3 per partition.
    expect(plan.partitions.map((p) => p.bounds.intervals)).toEqual([
      [[iso(T0), iso(Date.UTC(2026, 3, 1))]],
      [[iso(Date.UTC(2026, 3, 1)), iso(Date.UTC(2026, 6, 1))]],
      [[iso(Date.UTC(2026, 6, 1)), iso(Date.UTC(2026, 9, 1))]],
      [[iso(Date.UTC(2026, 9, 1)), iso(T1)]],
    ])
    expect(plan.partitions[0]!.key).toBe(`w.${T0}-${Date.UTC(2026, 3, 1)}`)
    expect(plan.partitions[0]!.label).toBe(`events [${iso(T0)}, ${iso(Date.UTC(2026, 3, 1))})`)
    expect(plan.complete).toEqual({ done: [[iso(T0), iso(T1)]] })
    for (const max of [1, 2, 3, 11, 12, 64]) {
      const p = await s.partitions!({ state: undefined, configuration: {}, signal, max })
      if (max === 1) expect(p).toBeUndefined()
      else expect(p!.partitions.length).toBe(Math.ceil(12 / Math.ceil(12 / max)))
    }
  })

  it('plans only the gaps of the saved state, and completes to the state one sync would save', async () => {
    const s = source(eventsApi([]).fetch)
    const state = { done: [[iso(T0), iso(Date.UTC(2026, 1, 10))], [iso(Date.UTC(2026, 4, 1)), iso(Date.UTC(2026, 5, 1))]] }
    const plan = (await s.partitions!({ state, configuration: {}, signal, max: 64 }))!
    const intervals = plan.partitions.flatMap((p) => p.bounds.intervals as string[][])
    expect(intervals[0]).toEqual([iso(Date.UTC(2026, 1, 10)), iso(Date.UTC(2026, 2, 10))])
    // Nothing inside a done interval is planned.
    expect(intervals.some(([a]) => a! >= iso(Date.UTC(2026, 4, 1)) && a! < iso(Date.UTC(2026, 5, 1)))).toBe(false)
    expect(plan.complete).toEqual({ done: [[iso(T0), iso(T1)]] })
    // A partition whose windows straddle a done interval keeps two intervals.
    const two = (await s.partitions!({ state, configuration: {}, signal, max: 2 }))!
    // 10 windows, 5 each: three in Feb 10 – May 1, then two from Jun 1.
    expect(two.partitions.map((p) => p.bounds.intervals)).toEqual([
      [[iso(Date.UTC(2026, 1, 10)), iso(Date.UTC(2026, 4, 1))], [iso(Date.UTC(2026, 5, 1)), iso(Date.UTC(2026, 7, 1))]],
      [[iso(Date.UTC(2026, 7, 1)), iso(T1)]],
    ])
    expect(two.complete).toEqual(plan.complete)
  })

  it('makes the same plan from the same state and the same now', async () => {
    const state = { done: [[iso(T0), iso(Date.UTC(2026, 2, 3))]] }
    const a = await source(eventsApi([]).fetch).partitions!({ state, configuration: {}, signal, max: 4 })
    const b = await source(eventsApi([]).fetch).partitions!({ state, configuration: {}, signal, max: 4 })
    expect(b).toEqual(a)
  })

  it('lands the same rows as one ordinary sync, and the next sync from `complete` reads only the new windows', async () => {
    const events = eventsUntil(T1)
    const one = memory()
    await syncOnce(source(eventsApi(events).fetch), one, C)

    const clock = fakeClock({ now: T1, autoAdvance: true })
    const api = eventsApi(events)
    const s = source(api.fetch, clock)
    const plan = (await s.partitions!({ state: undefined, configuration: {}, signal, max: 4 }))!
    const sink = memory()
    await runPlan(s, plan, sink, C)
    expect(committed(sink)).toEqual(committed(one))

    // Ten days later, with events in them: the next sync reads [T1, T1 + 10 days) and nothing before.
    events.push(...eventsUntil(T1 + 10 * DAY, T1))
    await clock.advance(10 * DAY)
    api.calls.length = 0
    const next = await syncOnce(s, sink, C)
    expect(next.report.rows).toBe(40)
    expect(api.calls).toEqual([{ from: iso(T1), to: iso(T1 + 10 * DAY) }])
    expect(next.state).toEqual({ done: [[iso(T0), iso(T1 + 10 * DAY)]] })
    expect(committed(sink)).toEqual(events)
  })

  it('resumes an interrupted partition from its own state, reading only the windows it had not finished', async () => {
    const events = eventsUntil(T1)
    const stop = new AbortController()
    let calls = 0
    const api = eventsApi(events, () => {
      if (++calls === 2) stop.abort()
    })
    const s = source(api.fetch)
    const plan = (await s.partitions!({ state: undefined, configuration: {}, signal, max: 4 }))!
    const first = plan.partitions[0]!
    const sink = memory()

    const stopped = await runPartition(s, first, sink, C, { signal: stop.signal })
    expect(stopped.report.status).toBe('stopped')
    expect(stopped.state).toEqual({ done: [[iso(T0), iso(Date.UTC(2026, 1, 1))]] })

    api.calls.length = 0
    const resumed = await runPartition(s, first, sink, C)
    expect(resumed.report.status).toBe('succeeded')
    expect(api.calls[0]!.from).not.toBe(iso(T0))
    expect(api.calls.every((c) => c.from >= iso(Date.UTC(2026, 1, 1)) && c.to <= iso(Date.UTC(2026, 3, 1)))).toBe(true)
    expect(resumed.state).toEqual({ done: [[iso(T0), iso(Date.UTC(2026, 3, 1))]] })
    expect(committed(sink)).toEqual(events.filter((e) => (e.at as string) < iso(Date.UTC(2026, 3, 1))))

    api.calls.length = 0
    await runPartition(s, first, sink, C)
    expect(api.calls).toEqual([]) // a redelivered job with its windows done reads nothing
  })

  it("has no partitions with onError: 'continue' (a skipped window would be marked done by complete), and refuses bad bounds", async () => {
    const s = source(eventsApi([]).fetch, undefined, { onError: 'continue' })
    expect(s.partitions).toBeUndefined()
    const ok = source(eventsApi([]).fetch)
    for (const bounds of [{}, { intervals: [] }, { intervals: [['x', iso(T1)]] }, { intervals: [[iso(T1), iso(T0)]] }]) {
      expect(() => ok.partition!({ key: 'w', bounds: bounds as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    }
    await expect(ok.partitions!({ state: undefined, configuration: {}, signal, max: 1.5 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
