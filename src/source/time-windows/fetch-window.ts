import type { RowInput } from '../../core/batch.js'
import { isSluiceError, SluiceError } from '../../core/sluice-error.js'
import { abortedError } from '../../core/abort.js'
import { exponentialBackoff } from '../../retry/backoff.js'
import { isRetryable } from '../../retry/classify.js'
import type { Clock } from '../../core/clock.js'
import { retry } from '../../retry/retry.js'
import type { Interval } from './merged-intervals.js'

/**
 * What `timeWindows` asks its `fetch` for: every row of [from, to), as ISO-8601 UTC instants.
 * `attempt` counts the tries of this window (only a minimum-size window is tried more than once).
 *
 * @example
 * ```ts
 * import type { WindowFetchArgs } from 'sluice'
 * const query = ({ from, to }: WindowFetchArgs) => `created >= '${from}' AND created < '${to}'`
 * ```
 */
export interface WindowFetchArgs {
  /** Inclusive start, e.g. '2026-01-01T00:00:00.000Z'. */
  readonly from: string
  /** Exclusive end. */
  readonly to: string
  /** Aborted when the sync stops or the window's `timeout` passes: pass it on. */
  readonly signal: AbortSignal
  readonly attempt: number
}

/**
 * The caller's fetch for `timeWindows`: all rows of one window (run a report, poll it, download it).
 * Throw a timeout or retryable error to have the window halved; anything else fails the sync.
 *
 * @example
 * ```ts
 * import type { WindowFetch } from 'sluice'
 * const fetchInvoices: WindowFetch = async ({ from, to, signal }) => {
 *   const res = await fetch(`https://api.example.com/invoices?from=${from}&to=${to}`, { signal })
 *   return (await res.json()) as object[]
 * }
 * ```
 */
export type WindowFetch = (args: WindowFetchArgs) => Promise<readonly RowInput[]>

// Wrappers and timeouts: a window that failed this way may well pass when smaller.
const WINDOW_CODES = new Set(['HTTP_TIMEOUT', 'WINDOW_TIMEOUT', 'RETRY_EXHAUSTED'])

/**
 * Whether a failed window should be halved (or, at the minimum size, tried again): timeouts and retryable
 * errors, including a client's `RETRY_EXHAUSTED`. Anything else (a 400, a 401, a bug) fails the sync at once.
 *
 * @example
 * ```ts
 * import { SluiceError } from 'sluice'
 * import { isWindowFailure } from './fetch-window.js'
 * isWindowFailure(new SluiceError({ code: 'HTTP_TIMEOUT', message: 'no headers within 30000 ms', retryable: true })) // true
 * ```
 */
export function isWindowFailure(error: unknown): boolean {
  return isRetryable(error) || (isSluiceError(error) && WINDOW_CODES.has(error.code))
}

/** How to run one window: the fetch, how many tries, an optional timeout per try, the clock. */
export interface WindowPlan {
  readonly table: string
  readonly fetch: WindowFetch
  readonly tries: number
  readonly timeoutMs: number | undefined
  readonly clock: Clock
  readonly isFailure: (error: unknown) => boolean
}

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * Fetches one window: a single try, or up to `plan.tries` tries with exponential backoff (a minimum-size window),
 * each cut off after `timeoutMs` with a retryable `WINDOW_TIMEOUT`. Returns the window's rows.
 *
 * @example
 * ```ts
 * import { systemClock } from 'sluice'
 * import { fetchWindow, isWindowFailure } from './fetch-window.js'
 * const rows = await fetchWindow([0, 86_400_000], { table: 'events', fetch: async () => [], tries: 1, timeoutMs: undefined, clock: systemClock, isFailure: isWindowFailure }, new AbortController().signal)
 * ```
 */
export async function fetchWindow(window: Interval, plan: WindowPlan, signal: AbortSignal): Promise<readonly RowInput[]> {
  const once = async (attempt: number): Promise<readonly RowInput[]> => {
    const rows = await attemptOnce(window, plan, attempt, signal)
    if (!Array.isArray(rows)) {
      throw new SluiceError({
        code: 'TIME_WINDOWS_CONTRACT',
        message: `timeWindows(${plan.table}): fetch({ from: '${iso(window[0])}', to: '${iso(window[1])}' }) returned ${rows === null ? 'null' : typeof rows} instead of an array of rows`,
        context: { table: plan.table, from: iso(window[0]), to: iso(window[1]) },
      })
    }
    return rows
  }
  if (plan.tries === 1) return once(1)
  return retry(once, exponentialBackoff({ attempts: plan.tries }), { clock: plan.clock, signal, isRetryable: plan.isFailure })
}

const TIMED_OUT = Symbol('timed out')
const STOPPED = Symbol('stopped')

async function attemptOnce(window: Interval, plan: WindowPlan, attempt: number, signal: AbortSignal): Promise<readonly RowInput[]> {
  if (signal.aborted) throw abortedError(signal, 'starting a window')
  const own = new AbortController()
  const forward = (): void => own.abort(signal.reason)
  signal.addEventListener('abort', forward, { once: true })
  try {
    const work = plan.fetch({ from: iso(window[0]), to: iso(window[1]), signal: own.signal, attempt })
    if (plan.timeoutMs === undefined) return await work
    work.catch(() => {}) // raced below; a late rejection after a timeout must not go unhandled
    const timer = plan.clock.sleep(plan.timeoutMs, own.signal).then(
      () => TIMED_OUT,
      () => STOPPED,
    )
    const result = await Promise.race([work, timer])
    if (result === STOPPED) throw abortedError(signal, 'fetching a window')
    if (result !== TIMED_OUT) return result as readonly RowInput[]
    own.abort(new Error('window timed out'))
    throw new SluiceError({
      code: 'WINDOW_TIMEOUT',
      message: `timeWindows(${plan.table}): window [${iso(window[0])}, ${iso(window[1])}) took longer than ${plan.timeoutMs} ms`,
      retryable: true,
      context: { table: plan.table, from: iso(window[0]), to: iso(window[1]), timeoutMs: plan.timeoutMs },
    })
  } finally {
    signal.removeEventListener('abort', forward)
    own.abort(new Error('window settled')) // cancels the timeout sleep
  }
}
