import type { Dispatcher } from 'undici'
import { isSluiceError, type SluiceError } from '../core/sluice-error.js'
import { lazyAgent } from './lazy-agent.js'
import { abortedError, throwIfAborted } from '../retry/abort.js'
import type { RetryPolicy } from '../retry/backoff.js'
import { nonNegativeMs, positiveInteger, positiveMs } from '../retry/check-option.js'
import { systemClock, type Clock } from '../retry/clock.js'
import type { RateLimiter } from '../retry/rate-limit.js'
import { retry, type RetryEvent } from '../retry/retry.js'
import { retryAfterFromHeaders, type ResponseHeaders } from '../retry/retry-after.js'
import type { Auth } from './auth/auth.js'
import { buildUrl, type QueryValue } from './build-url.js'
import { bodyExcerpt, httpBodyError, httpNetworkError, httpStatusError, type RequestLabel, type TimeoutsMs } from './http-error.js'
import { httpResponse, type HttpResponse } from './http-response.js'
import { ACCEPT_ENCODING, readBody } from './read-body.js'
import { redactSecrets, redactUrl } from './redact.js'

/**
 * Options for `httpClient`, with defaults and units shown per field.
 * Set them once per API; per-request options override headers, timeouts and retry.
 *
 * @example
 * ```ts
 * import { rateLimit, type HttpClientOptions } from 'sluice'
 * const options: HttpClientOptions = { baseUrl: 'https://api.example.com', timeouts: { headersMs: 10_000 }, rateLimit: rateLimit({ requests: 10, perMs: 1000 }) }
 * ```
 */
export interface HttpClientOptions {
  /** Prefix for `path`s, e.g. 'https://api.example.com/v1'. */
  readonly baseUrl?: string
  readonly auth?: Auth
  /** Sent with every request (lower-cased); per-request headers win. */
  readonly headers?: Readonly<Record<string, string>>
  /** connectMs default 10_000, headersMs default 30_000, bodyMs (max gap between body chunks) default 30_000. */
  readonly timeouts?: Partial<TimeoutsMs>
  /** Largest body accepted, after decompression, bytes. Default 64 MiB. */
  readonly maxResponseBytes?: number
  /** Keep-alive connections per origin. Default 8. */
  readonly connections?: number
  /** Idle keep-alive socket lifetime, ms. Default 4_000. */
  readonly keepAliveMs?: number
  /** Shared token bucket every request (and every retry) takes from. */
  readonly rateLimit?: RateLimiter
  /** Default retry policy for each request. Default: none (one try). */
  readonly retry?: RetryPolicy
  /** Extra query parameter names to redact in URLs. */
  readonly redactParams?: readonly string[]
  /** Default `systemClock`; used for retry waits, rate limits and Retry-After dates. */
  readonly clock?: Clock
  /** Default 'sluice'. */
  readonly userAgent?: string
  /** Bring your own undici dispatcher (then `close()` leaves it open). Default: one keep-alive Agent (a Pool per origin). */
  readonly dispatcher?: Dispatcher
}

/**
 * One request for `HttpClient.request` / `requestJson`: method, where, what to send, and how to retry it.
 * Give `path` (+ `query`) for endpoints under `baseUrl`, `url` for absolute links such as next pages.
 *
 * @example
 * ```ts
 * import type { HttpRequest } from 'sluice'
 * const req: HttpRequest = { method: 'POST', path: '/search', json: { q: 'x' } }
 * ```
 */
export interface HttpRequest {
  /** Default 'GET'. */
  readonly method?: string
  /** Absolute URL (e.g. a next-page link) or a path relative to `baseUrl`. */
  readonly url?: string | URL
  /** Path relative to `baseUrl` (alternative to `url`). */
  readonly path?: string
  readonly query?: Readonly<Record<string, QueryValue>>
  readonly headers?: Readonly<Record<string, string>>
  /** Raw body; for JSON use `json`. */
  readonly body?: string | Uint8Array | URLSearchParams
  /** Serialised as the JSON body, with `content-type: application/json`. */
  readonly json?: unknown
  readonly signal?: AbortSignal
  /** Per-request timeout overrides, ms. */
  readonly timeouts?: Partial<Pick<TimeoutsMs, 'headersMs' | 'bodyMs'>>
  /** Retry this single request with this policy; `false` disables the client default. */
  readonly retry?: RetryPolicy | false
  readonly onRetry?: (event: RetryEvent) => void
}

/**
 * A parsed JSON response from `requestJson`: status, headers, redacted URL and data.
 * Read `data` for the payload and `headers` for pagination links.
 *
 * @example
 * ```ts
 * import type { JsonResponse } from 'sluice'
 * const rows = (res: JsonResponse<{ items: unknown[] }>) => res.data.items
 * ```
 */
export interface JsonResponse<T> {
  readonly status: number
  readonly headers: ResponseHeaders
  /** Redacted request URL. */
  readonly url: string
  readonly data: T
}

/**
 * An HTTP client bound to one keep-alive agent, made by `httpClient`; close it when done.
 * Share one per API between streams so connections are reused.
 *
 * @example
 * ```ts
 * import type { HttpClient } from 'sluice'
 * const fetchOrders = (api: HttpClient) => api.requestJson({ path: '/orders' })
 * ```
 */
export interface HttpClient {
  /** Sends one request (retrying it per policy); resolves for 2xx, throws a `SluiceError` otherwise. */
  request(request: HttpRequest): Promise<HttpResponse>
  /** `request` plus JSON parsing, inside the same retried unit. */
  requestJson<T = unknown>(request: HttpRequest): Promise<JsonResponse<T>>
  /** Hides every secret this client knows (auth values) in `text`. */
  redact(text: string): string
  /** Closes the keep-alive sockets (waits for requests in flight). */
  close(): Promise<void>
}

const EXCERPT_BYTES = 64 * 1024

/**
 * Builds an HTTP client on undici: keep-alive pool per origin, timeouts, gzip/deflate/br, a size cap, auth with
 * refresh-on-401, redacted typed errors and per-request retry. Use one per API (per `baseUrl`) and share it across streams.
 *
 * @example
 * ```ts
 * import { bearerAuth, exponentialBackoff, httpClient } from 'sluice'
 * const api = httpClient({ baseUrl: 'https://api.example.com/v1', auth: bearerAuth({ token: 'tok_123456' }) })
 * const { data } = await api.requestJson<{ items: unknown[] }>({ path: '/orders', query: { limit: 100 }, retry: exponentialBackoff() })
 * await api.close()
 * ```
 */
export function httpClient(options: HttpClientOptions = {}): HttpClient {
  const timeouts: TimeoutsMs = {
    connectMs: positiveMs('httpClient.timeouts.connectMs', options.timeouts?.connectMs ?? 10_000),
    headersMs: positiveMs('httpClient.timeouts.headersMs', options.timeouts?.headersMs ?? 30_000),
    bodyMs: positiveMs('httpClient.timeouts.bodyMs', options.timeouts?.bodyMs ?? 30_000),
  }
  const maxBytes = positiveInteger('httpClient.maxResponseBytes', options.maxResponseBytes ?? 64 * 1024 * 1024)
  const { auth, rateLimit: limiter } = options
  const clock = options.clock ?? systemClock
  const agent = options.dispatcher
    ? undefined
    : lazyAgent({
      connections: positiveInteger('httpClient.connections', options.connections ?? 8),
      keepAliveTimeout: nonNegativeMs('httpClient.keepAliveMs', options.keepAliveMs ?? 4_000),
      connectTimeout: timeouts.connectMs,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
    })
  const secretParams = [...(options.redactParams ?? []), ...(auth?.secretParams ?? [])]
  const defaults = lowerKeys(options.headers)
  const redact = (text: string): string => redactSecrets(text, auth?.secrets?.() ?? [])
  const labelFor = (method: string, url: URL): RequestLabel => ({
    method,
    url: redactUrl(url, { params: secretParams, secrets: auth?.secrets?.() ?? [] }),
  })

  async function send(req: HttpRequest, mayRefresh: boolean): Promise<HttpResponse> {
    const { signal } = req
    const method = (req.method ?? 'GET').toUpperCase()
    const url = buildUrl({ baseUrl: options.baseUrl, url: req.url, path: req.path, query: req.query })
    const headers: Record<string, string> = {
      'user-agent': options.userAgent ?? 'sluice',
      accept: 'application/json, */*;q=0.5',
      'accept-encoding': ACCEPT_ENCODING,
      ...defaults,
      ...lowerKeys(req.headers),
    }
    const body = encodeBody(req, headers)
    throwIfAborted(signal, `starting ${method} request`)
    if (auth) await auth.apply({ method, url, headers, ...(signal ? { signal } : {}) })
    const label = labelFor(method, url)
    if (limiter) await limiter.take(signal)

    const fail = (error: unknown): SluiceError => {
      if (signal?.aborted) return isSluiceError(error) && error.code === 'ABORTED' ? error : abortedError(signal, `${method} ${label.url}`)
      return isSluiceError(error) ? error : httpNetworkError(label, error, { ...timeouts, ...req.timeouts })
    }
    let res: Dispatcher.ResponseData
    try {
      res = await (options.dispatcher ?? (await agent!.ready(signal))).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        signal: signal ?? null,
        ...(req.timeouts?.headersMs !== undefined ? { headersTimeout: req.timeouts.headersMs } : {}),
        ...(req.timeouts?.bodyMs !== undefined ? { bodyTimeout: req.timeouts.bodyMs } : {}),
      })
    } catch (error) {
      throw fail(error)
    }
    try {
      const status = res.statusCode
      const encoding = headerText(res.headers['content-encoding'])
      if (status >= 300) {
        // Read (a bounded prefix of) the error body: it feeds the excerpt and lets the socket be reused.
        const raw = await readBody(res.body, { encoding, maxBytes: EXCERPT_BYTES, overflow: 'truncate' })
        if (status === 401 && mayRefresh && auth?.refresh) {
          await auth.refresh(signal ? { signal } : {})
          return await send(req, false)
        }
        const location = headerText(res.headers['location'])
        const retryAfterMs = retryAfterFromHeaders(res.headers, { now: clock.now(), status })
        const excerpt = raw && raw.length > 0 ? bodyExcerpt(raw.toString('utf8'), redact) : undefined
        throw httpStatusError(label, {
          status,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          ...(excerpt ? { excerpt } : {}),
          ...(location ? { location: redactLocation(location, url, labelFor, method) } : {}),
        })
      }
      const buf = await readBody(res.body, {
        encoding, maxBytes, overflow: 'throw',
        tooLarge: () => httpBodyError(label, { status, problem: `is larger than maxResponseBytes (${maxBytes} bytes); raise httpClient.maxResponseBytes or request smaller pages`, context: { maxResponseBytes: maxBytes } }),
        undecodable: (problem, cause) => httpBodyError(label, { status, problem, cause }),
      })
      return httpResponse(label, status, res.headers, buf ?? Buffer.alloc(0), redact)
    } catch (error) {
      res.body.destroy()
      throw fail(error)
    }
  }

  function withRetry<T>(req: HttpRequest, once: () => Promise<T>): Promise<T> {
    const policy = req.retry === undefined ? options.retry : req.retry || undefined
    if (!policy) return once()
    return retry(once, policy, { clock, ...(req.signal ? { signal: req.signal } : {}), ...(req.onRetry ? { onRetry: req.onRetry } : {}) })
  }

  return {
    request: (req) => withRetry(req, () => send(req, true)),
    requestJson: <T>(req: HttpRequest) =>
      withRetry(req, async (): Promise<JsonResponse<T>> => {
        const res = await send(req, true)
        return { status: res.status, headers: res.headers, url: res.url, data: res.json<T>() }
      }),
    redact,
    close: async () => {
      await agent?.close()
    },
  }
}

function encodeBody(req: HttpRequest, headers: Record<string, string>): string | Uint8Array | undefined {
  if (req.json !== undefined) {
    headers['content-type'] ??= 'application/json'
    return JSON.stringify(req.json)
  }
  if (req.body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded'
    return req.body.toString()
  }
  return req.body
}

function redactLocation(location: string, base: URL, labelFor: (method: string, url: URL) => RequestLabel, method: string): string {
  try {
    return labelFor(method, new URL(location, base)).url
  } catch {
    return '(an invalid Location header)'
  }
}

function lowerKeys(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v
  return out
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}
