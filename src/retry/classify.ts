import { isSluiceError } from '../core/sluice-error.js'

// Transport failures that a fresh attempt can get past. Deliberately not every `UND_ERR_*`:
// UND_ERR_INVALID_ARG, UND_ERR_ABORTED or UND_ERR_DESTROYED/CLOSED mean our own bug, our own
// cancel or our own shutdown, and retrying them would only hide it.
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
])

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * The first transient network error code (`ECONNRESET`, `UND_ERR_SOCKET`, …) found on `error` or its `cause`s.
 * Used to classify raw errors from sockets and undici; returns undefined for anything else.
 *
 * @example
 * ```ts
 * import { transientNetworkCode } from './classify.js'
 * transientNetworkCode(Object.assign(new Error('reset'), { code: 'ECONNRESET' })) // 'ECONNRESET'
 * ```
 */
export function transientNetworkCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return code
    // Happy-eyeballs connects fail with an AggregateError holding one error per address.
    const inner = (current as { errors?: unknown }).errors
    if (Array.isArray(inner)) {
      for (const e of inner) {
        const found = transientNetworkCode(e)
        if (found) return found
      }
    }
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * True when a network error code means a timeout rather than a reset or refusal.
 * Used to choose between `HTTP_TIMEOUT` and `HTTP_NETWORK`.
 *
 * @example
 * ```ts
 * import { isTimeoutCode } from './classify.js'
 * isTimeoutCode('UND_ERR_HEADERS_TIMEOUT') // true
 * ```
 */
export function isTimeoutCode(code: string | undefined): boolean {
  return code !== undefined && TIMEOUT_CODES.has(code)
}

/**
 * Whether trying again may succeed: a `SluiceError`'s own `retryable`, or a transient network error; never message text.
 * `retry` calls it on every failure; anything it returns false for is thrown at once.
 *
 * @example
 * ```ts
 * import { isRetryable, SluiceError } from 'sluice'
 * isRetryable(new SluiceError({ code: 'HTTP_STATUS', message: '503', retryable: true })) // true
 * isRetryable(new TypeError('x is undefined')) // false
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (isSluiceError(error)) return error.retryable
  return transientNetworkCode(error) !== undefined
}

/**
 * Whether an HTTP status is worth retrying: 408, 429 and every 5xx.
 * Used by the HTTP client to set `retryable` on `HTTP_STATUS` errors.
 *
 * @example
 * ```ts
 * import { isRetryableStatus } from './classify.js'
 * isRetryableStatus(503) // true
 * isRetryableStatus(404) // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599)
}

/**
 * A short hint saying what to fix (or that it is transient) for an HTTP status, for error messages.
 * Used by the HTTP client when it builds `HTTP_STATUS` errors.
 *
 * @example
 * ```ts
 * import { statusAdvice } from './classify.js'
 * statusAdvice(401) // 'check the credential (API key, token or client secret) and that it has not expired'
 * ```
 */
export function statusAdvice(status: number): string {
  if (status === 400) return 'check the request parameters (query, body, cursor values)'
  if (status === 401) return 'check the credential (API key, token or client secret) and that it has not expired'
  if (status === 403) return 'check the credential and its scopes/permissions for this resource'
  if (status === 404) return 'check the path and baseUrl'
  if (status === 405) return 'check the HTTP method for this endpoint'
  if (status === 408) return 'the server timed out waiting for the request; transient, retryable'
  if (status === 410) return 'the resource or API version is gone; check the path and API version'
  if (status === 413) return 'the request is too large; send a smaller page or batch'
  if (status === 415 || status === 406) return 'check the Content-Type / Accept headers'
  if (status === 422) return 'the server rejected the request values; check the query and body'
  if (status === 429) return 'rate limited; retryable after the server-given delay (consider a lower rateLimit)'
  if (status >= 500) return 'server error; transient, retryable'
  if (status >= 400) return 'check the request'
  return 'unexpected status'
}
