import { configInvalid, knownOptions, nonNegativeMs, numberAtLeast, oneOf, positiveInteger, positiveMs } from '../core/check-option.js'

/**
 * Exponential backoff as plain, frozen data, made by `exponentialBackoff`.
 * Store or log it as it is; `retry` and `backoffDelay` read it.
 *
 * @example
 * ```ts
 * import { exponentialBackoff, type ExponentialBackoff } from 'sluice'
 * const policy: ExponentialBackoff = exponentialBackoff({ attempts: 3 })
 * ```
 */
export interface ExponentialBackoff {
  readonly kind: 'exponential'
  readonly initialMs: number
  readonly factor: number
  readonly maxMs: number
  /** Total tries, the first one included. */
  readonly attempts: number
  readonly maxElapsedMs: number | undefined
  readonly jitter: 'full' | 'none'
  readonly maxRetryAfterMs: number
}

/**
 * Constant backoff as plain, frozen data, made by `constantBackoff`.
 * Store or log it as it is; `retry` and `backoffDelay` read it.
 *
 * @example
 * ```ts
 * import { constantBackoff, type ConstantBackoff } from 'sluice'
 * const policy: ConstantBackoff = constantBackoff({ delayMs: 100, attempts: 3 })
 * ```
 */
export interface ConstantBackoff {
  readonly kind: 'constant'
  readonly delayMs: number
  /** Total tries, the first one included. */
  readonly attempts: number
  readonly maxElapsedMs: number | undefined
  readonly maxRetryAfterMs: number
}

/**
 * A retry policy: how long to wait between tries, how many tries, and how long overall.
 * Pass one to `retry` or to `httpClient(...).requestJson({ retry })`.
 *
 * @example
 * ```ts
 * import { exponentialBackoff, type RetryPolicy } from 'sluice'
 * const policy: RetryPolicy = exponentialBackoff({ attempts: 3 })
 * ```
 */
export type RetryPolicy = ExponentialBackoff | ConstantBackoff

/**
 * Options for `exponentialBackoff`, every field optional with the defaults shown.
 * Pass them when building a policy; units are milliseconds.
 *
 * @example
 * ```ts
 * import type { ExponentialBackoffOptions } from 'sluice'
 * const options: ExponentialBackoffOptions = { attempts: 8, maxElapsedMs: 60_000 }
 * ```
 */
export interface ExponentialBackoffOptions {
  /** First delay, ms. Default 500. */
  readonly initialMs?: number
  /** Multiplier per retry. Default 2. */
  readonly factor?: number
  /** Longest single delay, ms. Default 30_000. */
  readonly maxMs?: number
  /** Total tries including the first. Default 5. */
  readonly attempts?: number
  /** Give up rather than start a wait that would end past this budget, ms since the first try. Default: none. */
  readonly maxElapsedMs?: number
  /** `'full'`: wait a uniform random time in [0, delay] so clients don't retry in lockstep. Default 'full'. */
  readonly jitter?: 'full' | 'none'
  /** Longest wait a server's `Retry-After` / rate-limit reset may impose, ms. Default 120_000. */
  readonly maxRetryAfterMs?: number
}

/**
 * Builds an exponential backoff policy (`initialMs · factor^n`, capped at `maxMs`, full jitter by default), validated now.
 * Use it for calls to remote APIs, where retries should spread out and back off under load.
 *
 * @example
 * ```ts
 * import { exponentialBackoff } from 'sluice'
 * const policy = exponentialBackoff({ initialMs: 500, factor: 2, maxMs: 30_000, attempts: 5 })
 * ```
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): ExponentialBackoff {
  knownOptions(options, { initialMs: true, factor: true, maxMs: true, attempts: true, maxElapsedMs: true, jitter: true, maxRetryAfterMs: true }, 'exponentialBackoff')
  const initialMs = positiveMs('exponentialBackoff.initialMs', options.initialMs ?? 500)
  const maxMs = positiveMs('exponentialBackoff.maxMs', options.maxMs ?? 30_000)
  if (maxMs < initialMs) throw configInvalid('exponentialBackoff.maxMs', `≥ initialMs (${initialMs})`, maxMs)
  return Object.freeze({
    kind: 'exponential',
    initialMs,
    factor: numberAtLeast('exponentialBackoff.factor', options.factor ?? 2, 1),
    maxMs,
    attempts: positiveInteger('exponentialBackoff.attempts', options.attempts ?? 5),
    maxElapsedMs:
      options.maxElapsedMs === undefined ? undefined : positiveMs('exponentialBackoff.maxElapsedMs', options.maxElapsedMs),
    jitter: oneOf('exponentialBackoff.jitter', options.jitter ?? 'full', ['full', 'none'] as const),
    maxRetryAfterMs: nonNegativeMs('exponentialBackoff.maxRetryAfterMs', options.maxRetryAfterMs ?? 120_000),
  })
}

/**
 * Options for `constantBackoff`; `delayMs` and `attempts` are required.
 * Pass them when building a policy; units are milliseconds.
 *
 * @example
 * ```ts
 * import type { ConstantBackoffOptions } from 'sluice'
 * const options: ConstantBackoffOptions = { delayMs: 200, attempts: 4 }
 * ```
 */
export interface ConstantBackoffOptions {
  /** Wait between tries, ms. */
  readonly delayMs: number
  /** Total tries including the first. */
  readonly attempts: number
  /** Give up rather than start a wait that would end past this budget, ms since the first try. Default: none. */
  readonly maxElapsedMs?: number
  /** Longest wait a server's `Retry-After` / rate-limit reset may impose, ms. Default 120_000. */
  readonly maxRetryAfterMs?: number
}

/**
 * Builds a constant backoff policy (the same wait between every try), validated now.
 * Use it for local resources (a database, a file lock) where spreading retries out buys nothing.
 *
 * @example
 * ```ts
 * import { constantBackoff } from 'sluice'
 * const policy = constantBackoff({ delayMs: 100, attempts: 3 })
 * ```
 */
export function constantBackoff(options: ConstantBackoffOptions): ConstantBackoff {
  knownOptions(options, { delayMs: true, attempts: true, maxElapsedMs: true, maxRetryAfterMs: true }, 'constantBackoff')
  return Object.freeze({
    kind: 'constant',
    delayMs: nonNegativeMs('constantBackoff.delayMs', options?.delayMs),
    attempts: positiveInteger('constantBackoff.attempts', options?.attempts),
    maxElapsedMs:
      options.maxElapsedMs === undefined ? undefined : positiveMs('constantBackoff.maxElapsedMs', options.maxElapsedMs),
    maxRetryAfterMs: nonNegativeMs('constantBackoff.maxRetryAfterMs', options.maxRetryAfterMs ?? 120_000),
  })
}

/**
 * The wait before retry number `retry` (1 for the wait after the first failure), in ms.
 * Used by `retry`; call it yourself to preview or log a schedule. `random` returns [0, 1).
 *
 * @example
 * ```ts
 * import { exponentialBackoff } from 'sluice'
 * import { backoffDelay } from './backoff.js'
 * backoffDelay(exponentialBackoff({ jitter: 'none' }), 3) // 2000
 * ```
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  if (policy.kind === 'constant') return policy.delayMs
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, retry - 1))
  return policy.jitter === 'full' ? Math.floor(random() * ceiling) : ceiling
}
