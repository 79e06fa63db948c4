import { configInvalid, positiveInteger } from '../../core/check-option.js'
import type { PageRequest, Paginator } from './paginator.js'
import { knownKeys, optionsObject, paramName } from './paginator-options.js'
import { canStopCounter, compileStopRules, type StopRules } from './stop-rules.js'

/**
 * Options for `offset`: page size, parameter names, first offset and stop rules.
 * Copy the parameter names from the API's docs.
 *
 * @example
 * ```ts
 * import type { OffsetOptions } from 'sluice'
 * const options: OffsetOptions = { limit: 500, limitParam: 'per_page', offsetParam: 'skip', stop: { total: 'meta.total' } }
 * ```
 */
export interface OffsetOptions {
  /** Records asked for per page. */
  readonly limit: number
  /** Default 'limit'. */
  readonly limitParam?: string
  /** Default 'offset'. */
  readonly offsetParam?: string
  /** First offset. Default 0. */
  readonly start?: number
  /** Default { emptyPage: true }. */
  readonly stop?: StopRules
}

const KEYS = ['limit', 'limitParam', 'offsetParam', 'start', 'stop'] as const

/**
 * Offset pagination (`?offset=0&limit=100`, then `offset=100` …), validated now.
 * Use it for APIs that page by a record offset. The next offset adds the records actually received, so an API that
 * caps the page size below `limit` loses nothing. A configuration with no stop rule that can fire is refused.
 *
 * @example
 * ```ts
 * import { offset } from 'sluice'
 * const paginate = offset({ limit: 1000, stop: { shortPage: true } })
 * ```
 */
export function offset(options: OffsetOptions): Paginator {
  return offsetPaginator(options, 'offset')
}

/**
 * `offset` with the option names prefixed by `where` (e.g. `streams[0].paginate`), for sources that take paginators as data.
 *
 * @example
 * ```ts
 * import { offsetPaginator } from './offset-paginator.js'
 * const paginator = offsetPaginator({ limit: 100 }, 'streams[0].paginate')
 * ```
 */
export function offsetPaginator(options: OffsetOptions, where: string): Paginator {
  optionsObject(options, where, '{ limit: 100 }')
  knownKeys(options, KEYS, where)
  const limit = positiveInteger(`${where}.limit`, options.limit)
  const limitParam = paramName(options.limitParam, `${where}.limitParam`, 'limit')
  const offsetParam = paramName(options.offsetParam, `${where}.offsetParam`, 'offset')
  if (limitParam === offsetParam) throw configInvalid(`${where}.offsetParam`, `different from limitParam ('${limitParam}')`, offsetParam)
  const start = options.start ?? 0
  if (!Number.isInteger(start) || start < 0) throw configInvalid(`${where}.start`, 'an integer ≥ 0', start)
  const stop = compileStopRules(options.stop, where, { emptyPage: true })
  if (!canStopCounter(stop, limit)) {
    throw configInvalid(`${where}.stop`, 'a rule that can end the pagination (emptyPage, shortPage, total, hasMore or maxPages): offsets alone never stop', JSON.stringify(options.stop))
  }
  const paginator: Paginator = {
    kind: 'offset',
    stop: stop.rules,
    pageSize: limit,
    first: () => ({ query: { [offsetParam]: start, [limitParam]: limit } }),
    next: ({ request, page }) => ({ query: { [offsetParam]: Number(request.query?.[offsetParam] ?? start) + page.records.length, [limitParam]: limit } }),
  }
  ROW_REQUESTS.set(paginator, (rows) => ({ query: { [offsetParam]: start + rows, [limitParam]: limit } }))
  return paginator
}

const ROW_REQUESTS = new WeakMap<Paginator, (rows: number) => PageRequest>()

/**
 * For a paginator made by `offset`: the request of the page that starts `rows` records into the result. A sorted
 * incremental stream steps with it through rows sharing one cursor value, one row of overlap at a time, to see
 * whether they moved between two requests (and finds the row it stopped at again when they did).
 */
export function rowRequest(paginator: Paginator): ((rows: number) => PageRequest) | undefined {
  return ROW_REQUESTS.get(paginator)
}
