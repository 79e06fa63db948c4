import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../src/core/sluice-error.js'
import { constantBackoff, exponentialBackoff } from '../../src/retry/backoff.js'
import { fakeClock, type FakeClock } from '../../src/core/clock.js'
import { retry, type RetryEvent } from '../../src/retry/retry.js'

const transient = (message = 'server error'): SluiceError =>
  new SluiceError({ code: 'HTTP_STATUS', message, retryable: true, context: { status: 503 } })

/** Drives the fake clock until `promise` settles: every pending sleep is completed at once. */
async function drive<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let settled = false
  const done = promise.finally(() => {
    settled = true
  })
  done.catch(() => undefined)
  while (!settled) if (!(await clock.next())) await new Promise((r) => setImmediate(r))
  return done
}

describe('retry', () => {
  it('retries retryable failures with the policy delays until success', async () => {
    const clock = fakeClock()
    const events: RetryEvent[] = []
    const calls: number[] = []
    const result = await drive(
      clock,
      retry(
        async (attempt) => {
          calls.push(attempt)
          if (attempt < 4) throw transient()
          return 'ok'
        },
        exponentialBackoff({ initialMs: 100, jitter: 'none' }),
        { clock, onRetry: (e) => events.push(e) },
      ),
    )
    expect(result).toBe('ok')
    expect(calls).toEqual([1, 2, 3, 4])
    expect(events.map((e) => e.delayMs)).toEqual([100, 200, 400])
    expect(clock.now()).toBe(700)
  })

  it('throws a non-retryable error at once, unchanged', async () => {
    const clock = fakeClock()
    const notFound = new SluiceError({ code: 'HTTP_STATUS', message: '404', retryable: false })
    let calls = 0
    const run = retry(async () => {
      calls++
      throw notFound
    }, exponentialBackoff(), { clock })
    await expect(run).rejects.toBe(notFound)
    expect(calls).toBe(1)
    expect(clock.now()).toBe(0)
  })

  it('retries raw network resets but rethrows programming errors', async () => {
    const clock = fakeClock({ autoAdvance: true })
    let calls = 0
    const ok = await retry(async () => {
      if (++calls === 1) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
      return calls
    }, constantBackoff({ delayMs: 10, attempts: 3 }), { clock })
    expect(ok).toBe(2)
    const bug = new TypeError('x is undefined')
    await expect(retry(async () => { throw bug }, constantBackoff({ delayMs: 10, attempts: 3 }), { clock })).rejects.toBe(bug)
  })

  it('gives up after `attempts` with RETRY_EXHAUSTED, the last error as cause and attempts in context', async () => {
    const clock = fakeClock()
    const last = transient('third failure')
    let calls = 0
    const run = retry(async () => {
      calls++
      throw calls === 3 ? last : transient()
    }, constantBackoff({ delayMs: 1000, attempts: 3 }), { clock })
    const error = (await drive(clock, run).catch((e: unknown) => e)) as SluiceError
    expect(error.code).toBe('RETRY_EXHAUSTED')
    expect(error.retryable).toBe(false)
    expect(error.cause).toBe(last)
    expect(error.context).toMatchObject({ attempts: 3, elapsedMs: 2000, lastError: { code: 'HTTP_STATUS', context: { status: 503 } } })
    expect(error.message).toContain('gave up after 3 attempts')
    expect(error.message).toContain('third failure')
    expect(calls).toBe(3)
  })

  it('stops before a wait that would pass maxElapsedMs', async () => {
    const clock = fakeClock()
    let calls = 0
    const run = retry(async () => {
      calls++
      throw transient()
    }, exponentialBackoff({ initialMs: 1000, jitter: 'none', attempts: 10, maxElapsedMs: 5000 }), { clock })
    const error = (await drive(clock, run).catch((e: unknown) => e)) as SluiceError
    // waits 1000 + 2000 = 3000; the next wait (4000) would end at 7000 > 5000
    expect(calls).toBe(3)
    expect(clock.now()).toBe(3000)
    expect(error.code).toBe('RETRY_EXHAUSTED')
    expect(error.message).toContain('maxElapsedMs (5000 ms)')
  })

  it('waits the server-given retryAfterMs instead of the backoff, capped at maxRetryAfterMs', async () => {
    const clock = fakeClock()
    const delays: number[] = []
    const hints = [3000, 999_999]
    const run = retry(async (attempt) => {
      const hint = hints[attempt - 1]
      if (hint !== undefined) throw new SluiceError({ code: 'HTTP_STATUS', message: '429', retryable: true, context: { status: 429, retryAfterMs: hint } })
      return attempt
    }, exponentialBackoff({ initialMs: 10, jitter: 'none', maxRetryAfterMs: 60_000 }), { clock, onRetry: (e) => delays.push(e.delayMs) })
    expect(await drive(clock, run)).toBe(3)
    expect(delays).toEqual([3000, 60_000])
  })

  it('aborts promptly during a wait with ABORTED', async () => {
    const clock = fakeClock()
    const controller = new AbortController()
    let calls = 0
    const run = retry(async () => {
      calls++
      throw transient()
    }, constantBackoff({ delayMs: 60_000, attempts: 5 }), { clock, signal: controller.signal })
    await new Promise((r) => setImmediate(r))
    expect(clock.pending).toBe(1)
    controller.abort()
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' })
    expect(calls).toBe(1)
  })

  it('aborts promptly even while fn ignores the signal', async () => {
    const controller = new AbortController()
    const run = retry(() => new Promise<never>(() => undefined), exponentialBackoff(), { clock: fakeClock(), signal: controller.signal })
    controller.abort()
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('does not start when the signal is already aborted', async () => {
    let calls = 0
    const run = retry(async () => ++calls, exponentialBackoff(), { signal: AbortSignal.abort(), clock: fakeClock() })
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' })
    expect(calls).toBe(0)
  })
})
