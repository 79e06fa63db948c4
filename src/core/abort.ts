import { SluiceError } from './sluice-error.js'

/**
 * Builds the `ABORTED` error thrown when an `AbortSignal` fires, keeping the signal's reason as `cause`.
 * Use it wherever sluice waits (retry sleeps, rate limits, requests) so callers can match on one code.
 *
 * @example
 * ```ts
 * import { abortedError } from './abort.js'
 * const controller = new AbortController()
 * controller.abort()
 * abortedError(controller.signal, 'waiting to retry').code // 'ABORTED'
 * ```
 */
export function abortedError(signal: AbortSignal | undefined, during: string): SluiceError {
  return new SluiceError({
    code: 'ABORTED',
    message: `aborted while ${during}`,
    cause: signal?.reason,
  })
}

/**
 * Throws `ABORTED` if the signal has already fired; a no-op without a signal.
 * Call it before starting work that the caller may have cancelled meanwhile.
 *
 * @example
 * ```ts
 * import { throwIfAborted } from './abort.js'
 * throwIfAborted(undefined, 'starting a request') // does nothing
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined, during: string): void {
  if (signal?.aborted) throw abortedError(signal, during)
}
