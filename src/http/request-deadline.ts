const MAX_TIMER_MS = 2 ** 31 - 1 // setTimeout fires at once past this (~24.8 days): a longer limit means none

/** The total time limit of one request: a signal for undici, whether the limit (not the caller) ended it, and cleanup. */
export interface RequestDeadline {
  /** Aborts when the limit passes or the caller's signal aborts. */
  readonly signal: AbortSignal
  /** True once the limit has passed. */
  timedOut(): boolean
  /** Stops the timer and detaches from the caller's signal; call it when the request is done, whatever the outcome. */
  clear(): void
}

/**
 * Starts the total time limit of a request, linked to the caller's `signal`. undici's own timeouts bound each
 * wait (connect, headers, the gap between body chunks), so a server trickling a byte at a time would otherwise hold
 * the request forever. A timer, not `AbortSignal.timeout`, so that it is cleared when the request ends instead of
 * lingering until it fires; a listener, not `AbortSignal.any`, so nothing is left attached to a long-lived signal.
 */
export function requestDeadline(ms: number, signal: AbortSignal | undefined): RequestDeadline {
  const controller = new AbortController()
  let passed = false
  const timer = setTimeout(() => {
    passed = true
    controller.abort()
  }, Math.min(ms, MAX_TIMER_MS))
  const forward = () => controller.abort(signal?.reason)
  if (signal?.aborted) forward()
  else signal?.addEventListener('abort', forward, { once: true })
  return {
    signal: controller.signal,
    timedOut: () => passed,
    clear: () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', forward)
    },
  }
}
