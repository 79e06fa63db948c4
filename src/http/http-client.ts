import type { Dispatcher } from 'undici'
import { isSluiceError, type SluiceError } from '../core/sluice-error.js'
import { lazyAgent } from './lazy-agent.js'
import { abortedError, throwIfAborted } from '../core/abort.js'
import type { RetryPolicy } from '../retry/backoff.js'
import { knownOptions, nonNegativeMs, positiveInteger } from '../core/check-option.js'
import { systemClock, type Clock } from '../core/clock.js'
import type { RateLimiter } from '../retry/rate-limit.js'
import { retry, type RetryEvent } from '../retry/retry.js'
import { retryAfterFromHeaders, type ResponseHeaders } from '../retry/retry-after.js'
import type { Auth } from './auth/auth.js'
import { baseUrlCredentials } from './base-url-credentials.js'
import { buildUrl, type QueryValue } from './build-url.js'
import { bodyExcerpt, httpBodyError, httpNetworkError, httpStatusError, httpTotalTimeoutError, type RequestLabel, type TimeoutsMs } from './http-error.js'
import { httpLimits } from './http-limits.js'
import { httpResponse, type HttpResponse } from './http-response.js'
import { optionText } from './option-text.js'
import { credentialOrigins } from './credential-origins.js'
import { ACCEPT_ENCODING, readBody } from './read-body.js'
import { redactSecrets, redactUrl } from './redact.js'
import { requestDeadline } from './request-deadline.js'

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
  /**
   * Prefix for `path`s, e.g. 'https://api.example.com/v1'. Its origin is where `auth` and `headers` go.
   * `user:password@` in it is sent as Basic auth (refused together with `auth`).
   */
  readonly baseUrl?: string
  /** Credentials, added only to requests for the origin of `baseUrl` or one in `credentialOrigins`. */
  readonly auth?: Auth
  /** Sent (lower-cased) with every request to the origin of `baseUrl` or one in `credentialOrigins`; per-request headers win. */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * Origins besides that of `baseUrl` that also receive `auth` and `headers`, e.g. ['https://uploads.example.com'].
   * Default none: a request to any other origin (a next link a response points to) is sent without them.
   */
  readonly credentialOrigins?: readonly string[]
  /**
   * Milliseconds. connectMs default 10_000; headersMs default 30_000; bodyMs (longest gap between body chunks)
   * default 30_000; totalMs (a whole request, from sending it to its last body byte; retryable) default 300_000.
   */
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
  /**
   * Where these options sit in the caller's own configuration, so errors name them as its user wrote them:
   * 'rest' makes a limit read `rest({ maxResponseBytes })`, 'graphql.http' `graphql({ http: { maxResponseBytes } })`.
   * Default 'httpClient'. For code that builds a client from its own options.
   */
  readonly optionsPath?: string
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
  readonly timeouts?: Partial<Pick<TimeoutsMs, 'headersMs' | 'bodyMs' | 'totalMs'>>
  /** Retry this single request with this policy; `false` disables the client default. */
  readonly retry?: RetryPolicy | false
  /** Called before each retry of this request, with the error and the wait. */
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
 * Builds an HTTP client on undici: keep-alive pool per origin, timeouts (a total one too), gzip/deflate/br, a size cap,
 * auth with refresh-on-401, redacted typed errors and per-request retry. Use one per API (per `baseUrl`) and share it
 * across streams. Auth and `headers` go only to the origin of `baseUrl` (and `credentialOrigins`): a link that a
 * response points to elsewhere is fetched without them.
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
  knownOptions(options, { baseUrl: true, auth: true, headers: true, timeouts: true, maxResponseBytes: true, connections: true, keepAliveMs: true, rateLimit: true, retry: true, redactParams: true, clock: true, userAgent: true, dispatcher: true, credentialOrigins: true, optionsPath: true }, options.optionsPath ?? 'httpClient')
  const at = options.optionsPath ?? 'httpClient'
  const { timeouts, maxResponseBytes: maxBytes } = httpLimits(options, (path) => `${at}.${path}`)
  const said = (path: string) => optionText(at, path)
  const { baseUrl, auth } = options.baseUrl === undefined ? { baseUrl: undefined, auth: options.auth } : baseUrlCredentials(options.baseUrl, options.auth, `${at}.baseUrl`)
  const trusted = credentialOrigins(options, baseUrl, at)
  const { rateLimit: limiter } = options
  const clock = options.clock ?? systemClock
  const agent = options.dispatcher
    ? undefined
    : lazyAgent({
      connections: positiveInteger(`${at}.connections`, options.connections ?? 8),
      keepAliveTimeout: nonNegativeMs(`${at}.keepAliveMs`, options.keepAliveMs ?? 4_000),
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
    const url = buildUrl({ baseUrl, url: req.url, path: req.path, query: req.query })
    // Credentials and the configured headers go only where the user sent them: a next link may point anywhere.
    const credentials = trusted.has(url.origin)
    const headers: Record<string, string> = {
      'user-agent': options.userAgent ?? 'sluice',
      accept: 'application/json, */*;q=0.5',
      'accept-encoding': ACCEPT_ENCODING,
      ...(credentials ? defaults : {}),
      ...lowerKeys(req.headers),
    }
    const body = encodeBody(req, headers)
    throwIfAborted(signal, `starting ${method} request`)
    if (auth && credentials) await auth.apply({ method, url, headers, ...(signal ? { signal } : {}) })
    const label = labelFor(method, url)
    if (limiter) await limiter.take(signal)

    // The total limit runs from here (not during rate-limit waits) to the last body byte.
    const totalMs = req.timeouts?.totalMs ?? timeouts.totalMs
    const deadline = requestDeadline(totalMs, signal)
    const perRequest: Partial<TimeoutsMs> = req.timeouts ?? {}
    const limitName = (key: keyof TimeoutsMs) => (perRequest[key] !== undefined ? `the request's timeouts.${key}` : said(`timeouts.${key}`))
    const fail = (error: unknown): SluiceError => {
      if (signal?.aborted) return isSluiceError(error) && error.code === 'ABORTED' ? error : abortedError(signal, `${method} ${label.url}`)
      if (isSluiceError(error)) return error
      if (deadline.timedOut()) return httpTotalTimeoutError(label, totalMs, limitName('totalMs'))
      return httpNetworkError(label, error, { ...timeouts, ...perRequest }, limitName)
    }
    let res: Dispatcher.ResponseData
    try {
      try {
        res = await (options.dispatcher ?? (await agent!.ready(deadline.signal))).request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: method as Dispatcher.HttpMethod,
          headers,
          body: body ?? null,
          signal: deadline.signal,
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
          if (status === 401 && mayRefresh && credentials && auth?.refresh) {
            await auth.refresh(signal ? { signal } : {})
            return await send(req, false)
          }
          const location = headerText(res.headers['location'])
          const retryAfterMs = retryAfterFromHeaders(res.headers, { now: clock.now(), status })
          // A limiter shared with others (a fleet's API limit) holds everyone back, not only this request.
          if (retryAfterMs !== undefined && (status === 429 || status === 503)) limiter?.backOff?.(retryAfterMs)
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
          tooLarge: () => httpBodyError(label, { status, problem: `is larger than maxResponseBytes (${maxBytes} bytes); raise ${said('maxResponseBytes')} or request smaller pages`, context: { maxResponseBytes: maxBytes, option: said('maxResponseBytes') } }),
          undecodable: (problem, cause) => httpBodyError(label, { status, problem, cause }),
        })
        return httpResponse(label, status, res.headers, buf ?? Buffer.alloc(0), redact)
      } catch (error) {
        res.body.destroy()
        throw fail(error)
      }
    } finally {
      deadline.clear()
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
