import { abortedError } from './abort.js'
import { knownOptions } from './check-option.js'

/**
 * The time source retry, rate limits and token caches use, injected so tests never really sleep.
 * Pass `systemClock` in production and `fakeClock()` in tests.
 *
 * @example
 * ```ts
 * import { systemClock, type Clock } from 'sluice'
 * const clock: Clock = systemClock
 * await clock.sleep(10)
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /** Resolves after `ms`; rejects with `ABORTED` promptly when `signal` fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/**
 * The real clock: `Date.now()` and `setTimeout`, abortable.
 * The default wherever a `clock` option is not given.
 *
 * @example
 * ```ts
 * import { systemClock } from 'sluice'
 * const started = systemClock.now()
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError(signal, 'sleeping'))
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(abortedError(signal, 'sleeping'))
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
}

/**
 * A `Clock` whose time only moves when the test says so, made by `fakeClock`.
 * Use `advance(ms)` for exact timing checks and `next()` to run to the next wait.
 *
 * @example
 * ```ts
 * import { fakeClock, type FakeClock } from 'sluice'
 * const clock: FakeClock = fakeClock()
 * await clock.advance(500)
 * ```
 */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, resolving due sleeps in order and letting woken code run between them. */
  advance(ms: number): Promise<void>
  /** Advances to the next pending sleep (if any) and resolves it; returns false when none is pending. */
  next(): Promise<boolean>
  /** How many sleeps are waiting. */
  readonly pending: number
}

/**
 * Options for `fakeClock`: the start time and whether sleeps advance time by themselves.
 * Use `autoAdvance` in tests driven by real I/O, where nothing else would advance the clock.
 *
 * @example
 * ```ts
 * import type { FakeClockOptions } from 'sluice'
 * const options: FakeClockOptions = { now: Date.parse('2026-01-01'), autoAdvance: true }
 * ```
 */
export interface FakeClockOptions {
  /** Start time, ms since epoch. Default 0. */
  readonly now?: number
  /**
   * When true, every `sleep(ms)` moves time forward by `ms` and resolves at once: handy when real I/O
   * (a local HTTP server) drives the test and nobody is there to call `advance`. Default false.
   */
  readonly autoAdvance?: boolean
}

interface Timer {
  readonly at: number
  readonly seq: number
  readonly resolve: () => void
}

/**
 * A manual clock for tests: sleeps resolve only when `advance`/`next` moves time past them (or at once with `autoAdvance`).
 * Use it for anything that waits — retry, rate limits, token expiry — so tests run in microseconds.
 *
 * @example
 * ```ts
 * import { fakeClock } from 'sluice'
 * const clock = fakeClock()
 * const slept = clock.sleep(1000)
 * await clock.advance(1000)
 * await slept
 * ```
 */
export function fakeClock(options: FakeClockOptions = {}): FakeClock {
  knownOptions(options, { now: true, autoAdvance: true }, 'fakeClock')
  let now = options.now ?? 0
  let seq = 0
  const timers = new Set<Timer>()

  const earliest = (): Timer | undefined => {
    let best: Timer | undefined
    for (const t of timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    return best
  }
  // A macrotask turn lets every promise chain woken by a resolved sleep run (and maybe sleep again).
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  return {
    now: () => now,
    get pending() {
      return timers.size
    },
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(abortedError(signal, 'sleeping'))
      if (options.autoAdvance) {
        now += Math.max(0, ms)
        return Promise.resolve()
      }
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          timers.delete(timer)
          reject(abortedError(signal, 'sleeping'))
        }
        const timer: Timer = {
          at: now + Math.max(0, ms),
          seq: seq++,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
        }
        timers.add(timer)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    },
    async advance(ms) {
      const target = now + ms
      await settle()
      for (let t = earliest(); t && t.at <= target; t = earliest()) {
        timers.delete(t)
        now = Math.max(now, t.at)
        t.resolve()
        await settle()
      }
      now = Math.max(now, target)
    },
    async next() {
      await settle()
      const t = earliest()
      if (!t) return false
      timers.delete(t)
      now = Math.max(now, t.at)
      t.resolve()
      await settle()
      return true
    },
  }
}
