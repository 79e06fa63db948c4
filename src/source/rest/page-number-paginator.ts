import { fieldPath } from '../../cursor/field-path.js'
import { configInvalid } from '../../core/check-option.js'
import type { Paginator } from './paginator.js'
import { bodyPath, knownKeys, optionalSize, optionsObject, paramName } from './paginator-options.js'
import { canStopCounter, compileStopRules, type StopRules } from './stop-rules.js'

/**
 * Options for `pageNumber`: page size, first page, parameter names, total pages and stop rules.
 * Copy the parameter names from the API's docs.
 *
 * @example
 * ```ts
 * import type { PageNumberOptions } from 'sluice'
 * const options: PageNumberOptions = { size: 100, sizeParam: 'per_page', totalPages: 'meta.pages' }
 * ```
 */
export interface PageNumberOptions {
  /** Records per page: sent as `sizeParam` when given, and used by the short-page rule. */
  readonly size?: number
  /** Number of the first page. Default 1. */
  readonly start?: number
  /** Default 'page'. */
  readonly pageParam?: string
  /** Query parameter for `size`. Default: not sent. */
  readonly sizeParam?: string
  /** Dot path of the total number of pages; stop after that page. Ignored on pages that lack it. */
  readonly totalPages?: string
  /** Default { emptyPage: true }. */
  readonly stop?: StopRules
}

const KEYS = ['size', 'start', 'pageParam', 'sizeParam', 'totalPages', 'stop'] as const

/**
 * Page-number pagination (`?page=1`, `?page=2` …), validated now.
 * Use it for APIs that page by page index. A configuration with no stop rule that can fire is refused.
 *
 * @example
 * ```ts
 * import { pageNumber } from 'sluice'
 * const paginate = pageNumber({ size: 100, sizeParam: 'per_page', stop: { shortPage: true } })
 * ```
 */
export function pageNumber(options: PageNumberOptions = {}): Paginator {
  return pageNumberPaginator(options, 'pageNumber')
}

/**
 * `pageNumber` with option names prefixed by `where`, for sources that take paginators as data.
 *
 * @example
 * ```ts
 * import { pageNumberPaginator } from './page-number-paginator.js'
 * const paginator = pageNumberPaginator({ size: 100 }, 'streams[0].paginate')
 * ```
 */
export function pageNumberPaginator(options: PageNumberOptions, where: string): Paginator {
  optionsObject(options, where, '{ size: 100 }')
  knownKeys(options, KEYS, where)
  const size = optionalSize(options.size, `${where}.size`)
  const start = options.start ?? 1
  if (!Number.isInteger(start) || start < 0) throw configInvalid(`${where}.start`, 'an integer ≥ 0', start)
  const pageParam = paramName(options.pageParam, `${where}.pageParam`, 'page')
  const sizeParam = paramName(options.sizeParam, `${where}.sizeParam`)
  if (sizeParam !== undefined && size === undefined) throw configInvalid(`${where}.size`, `set when sizeParam ('${sizeParam}') is`, size)
  if (sizeParam === pageParam) throw configInvalid(`${where}.sizeParam`, `different from pageParam ('${pageParam}')`, sizeParam)
  const totalPages = options.totalPages === undefined ? undefined : fieldPath(bodyPath(options.totalPages, `${where}.totalPages`), `${where}.totalPages`)
  const stop = compileStopRules(options.stop, where, { emptyPage: true })
  if (stop.shortPage && size === undefined) throw configInvalid(`${where}.size`, 'set for stop.shortPage (the page size to compare with)', size)
  if (!canStopCounter(stop, size) && totalPages === undefined) {
    throw configInvalid(`${where}.stop`, 'a rule that can end the pagination (emptyPage, shortPage, total, hasMore, maxPages or totalPages): page numbers alone never stop', JSON.stringify(options.stop))
  }
  const query = (page: number) => (sizeParam !== undefined ? { [pageParam]: page, [sizeParam]: size! } : { [pageParam]: page })
  const paginator: Paginator = {
    kind: 'pageNumber',
    stop: stop.rules,
    ...(size !== undefined ? { pageSize: size } : {}),
    first: () => ({ query: query(start) }),
    next: ({ request, page }) => {
      const current = Number(request.query?.[pageParam] ?? start)
      const raw = totalPages?.(page.data)
      const total = raw === undefined || raw === null || raw === '' ? Number.NaN : Number(raw)
      if (Number.isFinite(total) && current - start + 1 >= total) return undefined
      return { query: query(current + 1) }
    },
  }
  if (totalPages !== undefined || stop.shortPage || stop.hasMore !== undefined || stop.total !== undefined) KNOWS_LAST.add(paginator)
  return paginator
}

const KNOWS_LAST = new WeakSet<Paginator>()

/**
 * True for a paginator made by `pageNumber` that recognises the last page by itself (totalPages, or a shortPage,
 * hasMore or total stop rule) rather than by asking for one more page: a sorted incremental stream needs that to tell
 * the last page from a page full of rows sharing one cursor value.
 */
export function knowsLastPage(paginator: Paginator): boolean {
  return KNOWS_LAST.has(paginator)
}
