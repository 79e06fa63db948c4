import { describe, expect, it } from 'vitest'
import { constantBackoff } from '../../src/retry/backoff.js'
import { fakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/log/logger.js'
import { runSchedule, type RunOutcome } from '../../src/schedule/run-schedule.js'
import { parseSchedule } from '../../src/schedule/schedule.js'

const T0 = Date.UTC(2026, 0, 1, 0, 30) // 00:30 UTC
const H = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString()

/** Lets woken code run: a few macrotask turns. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
}

describe('parseSchedule', () => {
  it('cron slots are the cron times strictly after now, in UTC unless tz says otherwise', () => {
    const s = parseSchedule({ cron: '0 */6 * * *' })
    expect(iso(s.nextSlot(T0, undefined))).toBe('2026-01-01T06:00:00.000Z')
    expect(iso(s.nextSlot(Date.UTC(2026, 0, 1, 6), undefined))).toBe('2026-01-01T12:00:00.000Z')
    const paris = parseSchedule({ cron: '0 9 * * *', tz: 'Europe/Paris' })
    expect(iso(paris.nextSlot(T0, undefined))).toBe('2026-01-01T08:00:00.000Z')
  })

  it('every: continues from the previous run start, runs now when that slot has passed, and skips missed slots', () => {
    const s = parseSchedule({ every: '15m' })
    expect(s.nextSlot(T0, undefined)).toBe(T0)
    expect(s.nextSlot(T0, T0 - 5 * 60_000)).toBe(T0 + 10 * 60_000)
    expect(s.nextSlot(T0, T0 - 5 * H)).toBe(T0)
  })

  it('rejects bad schedules with CONFIG_INVALID naming the option', () => {
    const bad = [
      [{ cron: '61 * * * *' }, 'schedule.cron'],
      [{ cron: '' }, 'schedule.cron'],
      [{ cron: '0 * * * *', tz: 'Nowhere/Land' }, 'schedule.cron / schedule.tz'],
      [{ every: 'soon' }, 'schedule.every'],
      [{ every: 10 }, 'schedule.every'],
      [{ every: '1h', jitter: -1 }, 'schedule.jitter'],
      [{ every: '1h', cron: '* * * * *' }, 'schedule'],
    ] as const
    for (const [spec, option] of bad) {
      expect(() => parseSchedule(spec as never), JSON.stringify(spec)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`\`${option}\``) }))
    }
  })
})

describe('runSchedule with a fake clock', () => {
  it('fires at the cron times, never early, and stops when aborted', async () => {
    const clock = fakeClock({ now: T0 })
    const runs: string[] = []
    const stop = new AbortController()
    const done = runSchedule({
      schedule: parseSchedule({ cron: '0 */6 * * *' }), clock, logger: silentLogger, signal: stop.signal,
      run: async () => {
        runs.push(iso(clock.now()))
        return 'succeeded'
      },
    })
    await clock.advance(5 * H + 29 * 60_000) // 05:59
    expect(runs).toEqual([])
    await clock.advance(60_000)
    await clock.advance(18 * H)
    expect(runs).toEqual(['2026-01-01T06:00:00.000Z', '2026-01-01T12:00:00.000Z', '2026-01-01T18:00:00.000Z', '2026-01-02T00:00:00.000Z'])
    stop.abort()
    await done
    await clock.advance(24 * H)
    expect(runs).toHaveLength(4)
  })

  it('never overlaps: a run that overruns its next slot makes the scheduler skip that slot', async () => {
    const clock = fakeClock({ now: T0 })
    const starts: string[] = []
    let active = 0
    let maxActive = 0
    const stop = new AbortController()
    const done = runSchedule({
      schedule: parseSchedule({ every: '1h' }), clock, logger: silentLogger, signal: stop.signal,
      run: async () => {
        starts.push(iso(clock.now()))
        maxActive = Math.max(maxActive, ++active)
        await clock.sleep(90 * 60_000) // 1.5 h: longer than the interval
        active--
        return 'succeeded'
      },
    })
    await clock.advance(5 * H)
    stop.abort()
    await done
    expect(maxActive).toBe(1)
    // every 1h from the previous start, but a run ends 1.5 h after it starts: next runs at once after it.
    expect(starts).toEqual(['2026-01-01T00:30:00.000Z', '2026-01-01T02:00:00.000Z', '2026-01-01T03:30:00.000Z', '2026-01-01T05:00:00.000Z'])
  })

  it('retries a failed run with backoff before the next slot, then waits for the slot', async () => {
    const clock = fakeClock({ now: T0 })
    const attempts: string[] = []
    const outcomes: RunOutcome[] = ['failed', 'failed', 'succeeded', 'failed', 'failed', 'failed', 'failed', 'failed']
    const stop = new AbortController()
    const done = runSchedule({
      schedule: parseSchedule({ cron: '0 * * * *', retry: constantBackoff({ delayMs: 20 * 60_000, attempts: 10 }) }), clock, logger: silentLogger, signal: stop.signal,
      run: async (attempt) => {
        attempts.push(`${iso(clock.now()).slice(11, 16)}#${attempt}`)
        return outcomes.shift() ?? 'succeeded'
      },
    })
    await clock.advance(3 * H)
    stop.abort()
    await done
    // 01:00 fails twice, succeeds on the 3rd try; 02:00 fails at 02:00, 02:20, 02:40 — the next wait would pass 03:00.
    expect(attempts).toEqual(['01:00#1', '01:20#2', '01:40#3', '02:00#1', '02:20#2', '02:40#3', '03:00#1', '03:20#2'])
  })

  it('jitter delays each run within [slot, slot + jitter) and does not drift the slots', async () => {
    const clock = fakeClock({ now: T0 })
    const runs: number[] = []
    const stop = new AbortController()
    const done = runSchedule({
      schedule: parseSchedule({ cron: '0 * * * *', jitter: '10m' }), clock, logger: silentLogger, signal: stop.signal, random: () => 0.5,
      run: async () => (runs.push(clock.now()), 'succeeded'),
    })
    await clock.advance(3 * H)
    stop.abort()
    await done
    expect(runs.map((t) => iso(t).slice(11, 16))).toEqual(['01:05', '02:05', '03:05'])
    await settle()
  })
})
