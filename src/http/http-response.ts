import { parseJsonExact } from '../core/parse-json-exact.js'
import type { ResponseHeaders } from '../retry/retry-after.js'
import { bodyExcerpt, httpBodyError, type RequestLabel } from './http-error.js'

/**
 * A completed response with its body in memory, returned by `HttpClient.request`.
 * Use `json()` or `text()` for the body and `headers` for pagination links.
 *
 * @example
 * ```ts
 * import type { HttpResponse } from 'sluice'
 * const nextLink = (res: HttpResponse) => res.headers['link']
 * ```
 */
export interface HttpResponse {
  readonly status: number
  readonly headers: ResponseHeaders
  /** The request URL, redacted: safe to log. */
  readonly url: string
  readonly body: Buffer
  /** The body decoded as UTF-8. */
  text(): string
  /**
   * The body parsed as JSON, every number exact: an integer beyond 2^53 as a `bigint`, a decimal with more
   * digits than a double holds as an `ExactDecimal` (where `JSON.parse` would round both); throws `HTTP_BODY`
   * (with status, redacted URL and an excerpt) if it is not JSON.
   */
  json<T = unknown>(): T
}

/**
 * Wraps a status, headers and body into an `HttpResponse` whose `json()` fails with a typed `HTTP_BODY` error.
 * Used by the HTTP client; useful for tests of code that consumes responses.
 *
 * @example
 * ```ts
 * import { httpResponse } from './http-response.js'
 * const res = httpResponse({ method: 'GET', url: 'https://api.example.com/x' }, 200, {}, Buffer.from('{"a":1}'), (s) => s)
 * res.json<{ a: number }>().a // 1
 * ```
 */
export function httpResponse(
  label: RequestLabel,
  status: number,
  headers: ResponseHeaders,
  body: Buffer,
  redact: (text: string) => string,
): HttpResponse {
  return {
    status,
    headers,
    url: label.url,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => parseJson<T>(label, status, headers, body, redact),
  }
}

function parseJson<T>(label: RequestLabel, status: number, headers: ResponseHeaders, body: Buffer, redact: (text: string) => string): T {
  const text = body.toString('utf8').replace(/^\uFEFF/, '')
  if (text.trim() === '') {
    if (status === 204 || status === 205) return null as T
    throw httpBodyError(label, { status, problem: 'is empty where JSON was expected; check the path and baseUrl' })
  }
  try {
    return parseJsonExact(text) as T
  } catch {
    // No `cause`: V8's SyntaxError quotes the body, which may hold secrets we have not seen.
    const truncated = /^\s*[[{]/.test(text) && !/[}\]]\s*$/.test(text)
    const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined
    throw httpBodyError(label, {
      status,
      problem: truncated
        ? `is truncated JSON (${body.length} bytes, ends before its closing bracket); the server or a proxy cut it short`
        : `is not valid JSON (${body.length} bytes${contentType ? `, ${contentType}` : ''}); check the path and baseUrl and that the endpoint returns JSON`,
      excerpt: bodyExcerpt(text, redact),
      context: { truncated, bytes: body.length, ...(contentType ? { contentType } : {}) },
    })
  }
}
