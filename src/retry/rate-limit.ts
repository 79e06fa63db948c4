import { abortedError } from '../core/abort.js'
import { systemClock, type Clock } from '../core/clock.js'
import { knownOptions, positiveInteger, positiveMs } from '../core/check-option.js'

/**
 * Options for `rateLimit`: the quota as requests per window.
 * Copy them from the API's published limits.
 *
 * @example
 * ```ts
 * import type { RateLimitOptions } from 'sluice'
 * const options: RateLimitOptions = { requests: 5000, perMs: 3_600_000 }
 * ```
 */
export interface RateLimitOptions {
  /** Requests allowed per window; also the burst size. */
  readonly requests: number
  /** Window length, ms. */
  readonly perMs: number
  /** Default `systemClock`. */
  readonly clock?: Clock
}

/**
 * A token bucket shared by everything that calls `take`, made by `rateLimit`.
 * Await `take()` before each request; pass it to `httpClient({ rateLimit })` to do that for you.
 *
 * @example
 * ```ts
 * import { rateLimit, type RateLimiter } from 'sluice'
 * const limiter: RateLimiter = rateLimit({ requests: 2, perMs: 1000 })
 * await limiter.take()
 * ```
 */
export interface RateLimiter {
  readonly requests: number
  readonly perMs: number
  /** Resolves when a request may start (first come, first served); rejects with `ABORTED` if `signal` fires first. */
  take(signal?: AbortSignal): Promise<void>
  /**
   * Told by `httpClient` when the API answered 429 (or 503) with Retry-After: a limiter shared by
   * many callers (a fleet's `apiRateLimit`) then holds every caller back that long. Optional.
   */
  backOff?(ms: number): void
}

/**
 * Builds a token-bucket rate limit: bursts up to `requests`, refilling at `requests` per `perMs`, validated now.
 * Share one between concurrent requests to stay under an API's published quota instead of hitting 429s.
 *
 * @example
 * ```ts
 * import { rateLimit } from 'sluice'
 * const limiter = rateLimit({ requests: 10, perMs: 1000 })
 * await limiter.take()
 * ```
 */
export function rateLimit(options: RateLimitOptions): RateLimiter {
  knownOptions(options, { requests: true, perMs: true, clock: true }, 'rateLimit')
  const requests = positiveInteger('rateLimit.requests', options?.requests)
  const perMs = positiveMs('rateLimit.perMs', options?.perMs)
  const clock = options.clock ?? systemClock
  const msPerToken = perMs / requests
  // Tokens may go negative: each waiter reserves its token up front, which makes the queue FIFO
  // without a queue data structure (the n-th waiter sleeps n token-intervals).
  let tokens = requests
  let refilledAt = clock.now()

  const refill = (): void => {
    const now = clock.now()
    tokens = Math.min(requests, tokens + (now - refilledAt) / msPerToken)
    refilledAt = now
  }

  return {
    requests,
    perMs,
    async take(signal) {
      if (signal?.aborted) throw abortedError(signal, 'waiting for the rate limit')
      refill()
      tokens -= 1
      if (tokens >= 0) return
      try {
        await clock.sleep(Math.ceil(-tokens * msPerToken), signal)
      } catch (error) {
        tokens += 1 // hand the reservation back; later waiters then wait slightly longer than needed, never shorter
        throw error
      }
    },
  }
}
