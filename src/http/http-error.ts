import { SluiceError } from '../core/sluice-error.js'
import { isRetryableStatus, isTimeoutCode, statusAdvice, transientNetworkCode } from '../retry/classify.js'

/** The request an error is about, with the URL already redacted. */
export interface RequestLabel {
  readonly method: string
  readonly url: string
}

/**
 * Timeouts in force, ms. undici checks headers and body timeouts on a coarse timer (about 1 s
 * resolution) to keep the hot path cheap, so a timeout fires between its value and about a second later.
 */
export interface TimeoutsMs {
  readonly connectMs: number
  readonly headersMs: number
  readonly bodyMs: number
  /** A whole request, from sending it to the last body byte; enforced by sluice's own timer, to the millisecond. */
  readonly totalMs: number
}

const EXCERPT_CHARS = 200

/**
 * A short single-line excerpt of a body for error messages, already free of secrets via `redact`.
 * Used when a status or a parse error should show what the server actually said.
 *
 * @example
 * ```ts
 * import { bodyExcerpt } from './http-error.js'
 * bodyExcerpt('<html>\n  Not found </html>', (s) => s) // '<html> Not found </html>'
 * ```
 */
export function bodyExcerpt(text: string, redact: (text: string) => string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const cut = flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat
  return redact(cut)
}

/**
 * Builds the `HTTP_STATUS` error for a non-2xx response: retryable for 408, 429, 5xx and server-signalled rate limits.
 * Used by the HTTP client; `retryAfterMs` is the server-given wait, if any, which `retry` honours.
 *
 * @example
 * ```ts
 * import { httpStatusError } from './http-error.js'
 * httpStatusError({ method: 'GET', url: 'https://api.example.com/x' }, { status: 404 }).retryable // false
 * ```
 */
export function httpStatusError(
  label: RequestLabel,
  details: { readonly status: number; readonly retryAfterMs?: number; readonly excerpt?: string; readonly location?: string },
): SluiceError {
  const { status, retryAfterMs, excerpt, location } = details
  // A 403 that carries a rate-limit reset is GitHub-style throttling, not a permission problem.
  const rateLimited = status === 403 && retryAfterMs !== undefined
  let advice = rateLimited ? 'rate limited; retryable after the server-given reset' : statusAdvice(status)
  if (status >= 300 && status < 400) {
    advice = `redirected${location ? ` to ${location}` : ''}; set baseUrl/url to the final address`
  }
  const wait = retryAfterMs !== undefined ? ` (server asks to wait ${retryAfterMs} ms)` : ''
  return new SluiceError({
    code: 'HTTP_STATUS',
    message: `${label.method} ${label.url} returned ${status}: ${advice}${wait}${excerpt ? `; response: "${excerpt}"` : ''}`,
    retryable: isRetryableStatus(status) || rateLimited,
    context: {
      status,
      method: label.method,
      url: label.url,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(excerpt ? { excerpt } : {}),
    },
  })
}

/**
 * Maps a transport failure (reset, refused, timeout, DNS) to `HTTP_TIMEOUT` or `HTTP_NETWORK`, retryable when transient.
 * Used by the HTTP client around undici calls; the original error stays as `cause`.
 *
 * @example
 * ```ts
 * import { httpNetworkError } from './http-error.js'
 * const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
 * httpNetworkError({ method: 'GET', url: 'https://api.example.com/x' }, reset).code // 'HTTP_NETWORK'
 * ```
 */
export function httpNetworkError(label: RequestLabel, error: unknown, timeouts?: Partial<TimeoutsMs>, optionName?: (key: keyof TimeoutsMs) => string): SluiceError {
  const transient = transientNetworkCode(error)
  const raw = (error as { code?: unknown } | null)?.code
  const code = transient ?? (typeof raw === 'string' ? raw : undefined)
  // Which option set the limit, as the user wrote it (`rest({ timeouts: { headersMs } })`), when the caller knows.
  const setBy = (key: keyof TimeoutsMs) => (optionName ? `, the limit set by ${optionName(key)}` : '')
  let what: string
  if (code === 'UND_ERR_CONNECT_TIMEOUT') what = `could not connect within ${timeouts?.connectMs ?? '?'} ms${setBy('connectMs')}`
  else if (code === 'UND_ERR_HEADERS_TIMEOUT') what = `no response headers within ${timeouts?.headersMs ?? '?'} ms${setBy('headersMs')}`
  else if (code === 'UND_ERR_BODY_TIMEOUT') what = `response body stalled for ${timeouts?.bodyMs ?? '?'} ms${setBy('bodyMs')}`
  else if (code === 'ENOTFOUND') what = 'host not found; check the host in baseUrl/url'
  else what = error instanceof Error ? error.message : String(error)
  const hint = transient ? '; transient, retryable' : ''
  return new SluiceError({
    code: isTimeoutCode(code) ? 'HTTP_TIMEOUT' : 'HTTP_NETWORK',
    message: `${label.method} ${label.url} failed: ${what}${code && !what.includes(code) ? ` (${code})` : ''}${hint}`,
    retryable: transient !== undefined,
    context: { method: label.method, url: label.url, ...(code ? { networkCode: code } : {}) },
    cause: error,
  })
}

/**
 * The retryable `HTTP_TIMEOUT` of a request that did not complete within its total time limit (`timeouts.totalMs`),
 * however steadily its bytes were arriving. `option` names the limit as the user set it.
 */
export function httpTotalTimeoutError(label: RequestLabel, totalMs: number, option: string): SluiceError {
  return new SluiceError({
    code: 'HTTP_TIMEOUT',
    message: `${label.method} ${label.url} did not complete within ${totalMs} ms, the limit set by ${option}; transient, retryable`,
    retryable: true,
    context: { method: label.method, url: label.url, totalMs, option },
  })
}

/**
 * Builds the `HTTP_BODY` error for a body that cannot be used: too large, undecodable, truncated or not JSON.
 * Used by the HTTP client; never retryable, since the same request would get the same body.
 *
 * @example
 * ```ts
 * import { httpBodyError } from './http-error.js'
 * httpBodyError({ method: 'GET', url: 'https://api.example.com/x' }, { status: 200, problem: 'is not valid JSON' }).code // 'HTTP_BODY'
 * ```
 */
export function httpBodyError(
  label: RequestLabel,
  details: { readonly status: number; readonly problem: string; readonly excerpt?: string; readonly context?: Record<string, unknown>; readonly cause?: unknown },
): SluiceError {
  const { status, problem, excerpt } = details
  return new SluiceError({
    code: 'HTTP_BODY',
    message: `response to ${label.method} ${label.url} (status ${status}) ${problem}${excerpt !== undefined ? `; body starts: "${excerpt}"` : ''}`,
    retryable: false,
    context: {
      status,
      method: label.method,
      url: label.url,
      ...(excerpt !== undefined ? { excerpt } : {}),
      ...details.context,
    },
    ...(details.cause !== undefined ? { cause: details.cause } : {}),
  })
}
