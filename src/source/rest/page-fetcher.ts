import { isSluiceError } from '../../core/sluice-error.js'
import type { FieldGetter } from '../../cursor/field-path.js'
import { buildUrl, type QueryValue } from '../../http/build-url.js'
import { httpBodyError } from '../../http/http-error.js'
import type { HttpClient } from '../../http/http-client.js'
import type { RetryPolicy } from '../../retry/backoff.js'
import { isRetryable } from '../../retry/classify.js'
import type { Clock } from '../../core/clock.js'
import { retry } from '../../retry/retry.js'
import type { ResponseHeaders } from '../../retry/retry-after.js'
import type { OriginPolicy } from './allow-origins.js'
import type { PageRequest } from './paginator.js'

/** One fetched and parsed page, before the paginator sees it. */
export interface RawPage {
  readonly data: unknown
  readonly headers: ResponseHeaders
  readonly records: readonly unknown[]
  /** The URL requested, without credentials (auth adds them when sending). */
  readonly url: string
  readonly body: Buffer
}

/** What to fetch: the endpoint, its fixed parameters, and the paginator's request. */
export interface PageTarget {
  /** Path under the base URL (a child stream's path is already expanded). */
  readonly path: string
  /** The stream's `params` plus the cursor bounds. */
  readonly params: Readonly<Record<string, QueryValue>>
  readonly request: PageRequest
  readonly records: FieldGetter | undefined
  readonly recordsPath: string | undefined
  readonly where: string
}

/** Fetches one page, retrying that page (never the stream) per policy. */
export type FetchPage = (target: PageTarget, signal: AbortSignal) => Promise<RawPage>

/**
 * Builds the page fetcher of a REST source: request, JSON parse and record extraction form one retried unit, so a
 * response cut short (reset mid-body, truncated JSON) is fetched again. `policy` undefined means one try.
 *
 * Every page request passes `origins.check` — next links, custom paginators' URLs, resumed positions, child
 * endpoints alike — and a refused one throws synchronously: the page loop then fails before it hands on the page
 * whose link it is, so the refused link is never saved in the state.
 */
export function pageFetcher(args: {
  readonly client: HttpClient
  readonly baseUrl: string
  readonly origins: OriginPolicy
  readonly policy: RetryPolicy | undefined
  readonly clock: Clock | undefined
}): FetchPage {
  const { client, baseUrl, origins, policy, clock } = args
  return (target, signal) => {
    const url = targetUrl(baseUrl, target)
    origins.check(url, target.where)
    const once = async (): Promise<RawPage> => {
      const res = await client.request({ url, retry: false, signal })
      const data = res.json()
      return { data, headers: res.headers, records: recordsOf(data, target, res.url, res.status), url: url.href, body: res.body }
    }
    if (!policy) return once()
    return retry(once, policy, { signal, ...(clock ? { clock } : {}), isRetryable: pageRetryable })
  }
}

/**
 * The absolute URL of a page: a next link gets the stream's parameters it lacks; a path gets them all.
 *
 * @example
 * ```ts
 * import { targetUrl } from './page-fetcher.js'
 * targetUrl('https://api.example.com/v1', { path: '/orders', params: { status: 'open' }, request: { query: { page: 2 } }, records: undefined, recordsPath: undefined, where: 'streams[0]' }).href
 * // 'https://api.example.com/v1/orders?status=open&page=2'
 * ```
 */
export function targetUrl(baseUrl: string, target: PageTarget): URL {
  const { request } = target
  if (request.url === undefined) return buildUrl({ baseUrl, path: target.path, query: { ...target.params, ...request.query } })
  const url = buildUrl({ url: request.url, query: request.query })
  for (const [name, value] of Object.entries(target.params)) {
    if (value === undefined || value === null || url.searchParams.has(name)) continue
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, String(v))
    else url.searchParams.set(name, String(value))
  }
  return url
}

// A complete response whose JSON is cut short is a proxy or server hiccup: unlike other body errors, try again.
function pageRetryable(error: unknown): boolean {
  return isRetryable(error) || (isSluiceError(error) && error.code === 'HTTP_BODY' && error.context['truncated'] === true)
}

function recordsOf(data: unknown, target: PageTarget, url: string, status: number): readonly unknown[] {
  const found = target.records ? target.records(data) : data
  if (Array.isArray(found)) return found
  if (found === null || (found === undefined && status === 204)) return []
  const keys = typeof data === 'object' && data !== null && !Array.isArray(data) ? Object.keys(data) : []
  if (typeof found === 'object' && found !== undefined) {
    // Without `records`, an object holding arrays is almost surely an envelope ({ data: [...], meta }), not one record.
    const arrays = target.recordsPath === undefined ? keys.filter((k) => Array.isArray((data as Record<string, unknown>)[k])) : []
    if (arrays.length === 0) return [found]
    throw bodyError(target, url, status, `is an object with array field${arrays.length > 1 ? 's' : ''} ${arrays.slice(0, 5).join(', ')}; set ${target.where}.records to the path of the records (e.g. '${arrays[0]}'), or to '' to write the object itself as one record`)
  }
  const what = target.recordsPath ? `has no records array at \`${target.recordsPath}\`` : 'is not a JSON array or object of records'
  return bodyError(target, url, status, `${what} (found ${found === undefined ? 'nothing' : typeof found}${keys.length ? `; top-level keys: ${keys.slice(0, 10).join(', ')}` : ''}); check ${target.where}.records`)
}

function bodyError(target: PageTarget, url: string, status: number, problem: string): never {
  throw httpBodyError({ method: 'GET', url }, { status, problem, context: { option: `${target.where}.records` } })
}
