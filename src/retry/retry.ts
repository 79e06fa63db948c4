import { isSluiceError, SluiceError } from '../core/sluice-error.js'
import { abortedError } from '../core/abort.js'
import { backoffDelay, type RetryPolicy } from './backoff.js'
import { systemClock, type Clock } from '../core/clock.js'
import { isRetryable } from './classify.js'
import { retryAfterDelay } from './retry-after.js'
import { knownOptions } from '../core/check-option.js'

/**
 * What `onRetry` is told before each wait: the failed attempt, the wait, and the error.
 * Use it to log or count retries.
 *
 * @example
 * ```ts
 * import type { RetryEvent } from 'sluice'
 * const log = (e: RetryEvent) => console.warn(`attempt ${e.attempt} failed; waiting ${e.delayMs} ms`)
 * ```
 */
export interface RetryEvent {
  /** The try that just failed, 1-based. */
  readonly attempt: number
  /** How long `retry` will now wait, ms (server-given when the error carried `retryAfterMs`). */
  readonly delayMs: number
  readonly elapsedMs: number
  readonly error: unknown
}

/**
 * Options for one `retry` call: cancellation, time source, logging hook and jitter source.
 * Pass a `fakeClock()` and a fixed `random` in tests.
 *
 * @example
 * ```ts
 * import { fakeClock, type RetryOptions } from 'sluice'
 * const options: RetryOptions = { clock: fakeClock(), random: () => 0.5, onRetry: (e) => console.warn(e.attempt, e.delayMs) }
 * ```
 */
export interface RetryOptions {
  /** Aborting rejects at once with `ABORTED`, also while `fn` is still running. */
  readonly signal?: AbortSignal
  /** Default `systemClock`; tests pass `fakeClock()`. */
  readonly clock?: Clock
  /** Called before each wait, e.g. to log; errors here propagate. */
  readonly onRetry?: (event: RetryEvent) => void
  /** Source of jitter in [0, 1). Default `Math.random`. */
  readonly random?: () => number
  /** Overrides which errors are retried. Default `isRetryable` (the error's `retryable` flag or a network reset). */
  readonly isRetryable?: (error: unknown) => boolean
}

/**
 * Calls `fn(attempt)` until it resolves, waiting per `policy` between tries; only retryable errors are retried.
 * Wrap one request or one page with it, never a whole stream: re-running a stream duplicates rows.
 * Non-retryable errors are rethrown as they are; running out of tries or of `maxElapsedMs` throws
 * `RETRY_EXHAUSTED` with the last error as `cause`; an abort throws `ABORTED`.
 *
 * @example
 * ```ts
 * import { exponentialBackoff, retry } from 'sluice'
 * const page = await retry(async (attempt) => ({ attempt }), exponentialBackoff({ attempts: 3 }))
 * ```
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, options: RetryOptions = {}): Promise<T> {
  knownOptions(options, { signal: true, clock: true, onRetry: true, random: true, isRetryable: true }, 'retry')
  const { signal, onRetry } = options
  const clock = options.clock ?? systemClock
  const retryable = options.isRetryable ?? isRetryable
  const started = clock.now()

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortedError(signal, `before attempt ${attempt}`)
    let error: unknown
    try {
      return await raceAbort(fn(attempt), signal)
    } catch (caught) {
      error = caught
    }
    if (signal?.aborted) throw isAborted(error) ? error : abortedError(signal, `during attempt ${attempt}`)
    if (!retryable(error)) throw error

    const elapsedMs = clock.now() - started
    if (attempt >= policy.attempts) throw exhausted(error, attempt, elapsedMs, `all ${policy.attempts} attempts failed`)
    const delayMs = retryAfterDelay(error, policy) ?? backoffDelay(policy, attempt, options.random)
    // Waiting past the budget only to fail afterwards wastes the caller's deadline: stop now.
    if (policy.maxElapsedMs !== undefined && elapsedMs + delayMs > policy.maxElapsedMs) {
      throw exhausted(error, attempt, elapsedMs, `the next wait (${delayMs} ms) would pass maxElapsedMs (${policy.maxElapsedMs} ms)`)
    }
    onRetry?.({ attempt, delayMs, elapsedMs, error })
    await clock.sleep(delayMs, signal)
  }
}

function isAborted(error: unknown): boolean {
  return isSluiceError(error) && error.code === 'ABORTED'
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal, 'waiting for a retried call'))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

function exhausted(last: unknown, attempts: number, elapsedMs: number, reason: string): SluiceError {
  const lastError = isSluiceError(last)
    ? last.toJSON()
    : { code: undefined, message: last instanceof Error ? last.message : String(last) }
  const lastLabel = lastError.code ? `${lastError.code}: ${lastError.message}` : lastError.message
  return new SluiceError({
    code: 'RETRY_EXHAUSTED',
    message: `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${elapsedMs} ms (${reason}); last error: ${lastLabel}`,
    retryable: false,
    context: { attempts, elapsedMs, lastError },
    cause: last,
  })
}
