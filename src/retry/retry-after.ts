import { isSluiceError } from '../core/sluice-error.js'
import type { RetryPolicy } from './backoff.js'

/**
 * Response headers as undici and node:http give them: lower-case names, repeated headers as arrays.
 * The shape of `HttpResponse.headers` and the input of `retryAfterFromHeaders`.
 *
 * @example
 * ```ts
 * import type { ResponseHeaders } from 'sluice'
 * const headers: ResponseHeaders = { 'retry-after': '5', link: ['<https://x/?page=2>; rel="next"'] }
 * ```
 */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name]
  return typeof value === 'string' ? value.trim() : value?.[0]?.trim()
}

const DELTA = /^\d+(\.\d+)?$/

/**
 * How long a server asks us to wait, in ms, from `Retry-After` (delta-seconds or HTTP-date) or, when the
 * response says we are rate-limited (429, or a `*-remaining: 0` header), from `RateLimit-Reset` /
 * `X-RateLimit-Reset` (delta seconds, or epoch seconds / ms when large). Undefined when no usable hint.
 * Called by the HTTP client, which stores the result as `context.retryAfterMs` on its error.
 *
 * Dates are compared with the response's own `Date` header when present, so a skewed local clock
 * does not shorten or stretch the wait.
 *
 * @example
 * ```ts
 * import { retryAfterFromHeaders } from './retry-after.js'
 * retryAfterFromHeaders({ 'retry-after': '3' }, { now: Date.now(), status: 429 }) // 3000
 * ```
 */
export function retryAfterFromHeaders(
  headers: ResponseHeaders,
  options: { readonly now: number; readonly status: number },
): number | undefined {
  const serverDate = Date.parse(header(headers, 'date') ?? '')
  const now = Number.isFinite(serverDate) ? serverDate : options.now

  const retryAfter = header(headers, 'retry-after')
  if (retryAfter !== undefined) {
    if (DELTA.test(retryAfter)) return Number(retryAfter) * 1000
    const at = Date.parse(retryAfter)
    if (Number.isFinite(at)) return Math.max(0, at - now)
  }

  // Reset headers describe the quota window on every response; they only mean "wait" once it is spent.
  const remaining = header(headers, 'ratelimit-remaining') ?? header(headers, 'x-ratelimit-remaining')
  if (options.status !== 429 && remaining !== '0') return undefined
  const reset =
    header(headers, 'ratelimit-reset') ?? header(headers, 'x-ratelimit-reset') ?? header(headers, 'x-rate-limit-reset')
  if (reset === undefined || !DELTA.test(reset)) return undefined
  const value = Number(reset)
  if (value > 1e12) return Math.max(0, value - now) // epoch milliseconds
  if (value > 1e9) return Math.max(0, value * 1000 - now) // epoch seconds (after 2001)
  return value * 1000 // delta seconds
}

/**
 * The server-imposed wait for a failed try, capped at `policy.maxRetryAfterMs`; undefined when the error carries none.
 * `retry` uses it instead of the backoff delay; errors carry it as `context.retryAfterMs` (set by the HTTP client).
 *
 * @example
 * ```ts
 * import { exponentialBackoff, SluiceError } from 'sluice'
 * import { retryAfterDelay } from './retry-after.js'
 * const err = new SluiceError({ code: 'HTTP_STATUS', message: '429', retryable: true, context: { retryAfterMs: 5000 } })
 * retryAfterDelay(err, exponentialBackoff()) // 5000
 * ```
 */
export function retryAfterDelay(error: unknown, policy: Pick<RetryPolicy, 'maxRetryAfterMs'>): number | undefined {
  if (!isSluiceError(error)) return undefined
  const ms = error.context['retryAfterMs']
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined
  return Math.min(ms, policy.maxRetryAfterMs)
}
