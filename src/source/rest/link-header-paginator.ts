import { configInvalid } from '../../core/check-option.js'
import { findLink } from './link-header.js'
import type { Paginator } from './paginator.js'
import { keysetFlag, knownKeys, optionalSize, paramName } from './paginator-options.js'
import { compileStopRules, type StopRules } from './stop-rules.js'

/**
 * Options for `linkHeader`: the relation to follow, page size and stop rules.
 * The defaults fit GitHub-style APIs.
 *
 * @example
 * ```ts
 * import type { LinkHeaderOptions } from 'sluice'
 * const options: LinkHeaderOptions = { limit: 100, limitParam: 'per_page' }
 * ```
 */
export interface LinkHeaderOptions {
  /** Link relation of the next page. Default 'next'. */
  readonly rel?: string
  /** Records per page, sent as `limitParam` on the first request (next links carry their own). */
  readonly limit?: number
  /** Default 'limit'. */
  readonly limitParam?: string
  /** Default: none besides the missing link. */
  readonly stop?: StopRules
  /**
   * The next link continues after the last row returned (Shopify's `page_info`), not a `page=` number (GitHub's): then an incremental stream may be read in any
   * order (see `Paginator.keyset`). Default false: an incremental stream needs `sorted: 'asc'`.
   */
  readonly keyset?: boolean
}

const KEYS = ['rel', 'limit', 'limitParam', 'stop', 'keyset'] as const

/**
 * Pagination by the RFC 8288 `Link` response header (`<…?page=2>; rel="next"`), as GitHub and many others do.
 * Use it when the API sends next links in headers; relative links are resolved against the request URL, several links
 * and headers and quoted parameters are parsed, and a link that repeats stops the sync with `PAGINATION_LOOP`.
 *
 * @example
 * ```ts
 * import { linkHeader } from 'sluice'
 * const paginate = linkHeader({ limit: 100, limitParam: 'per_page' })
 * ```
 */
export function linkHeader(options: LinkHeaderOptions = {}): Paginator {
  return linkHeaderPaginator(options, 'linkHeader')
}

/**
 * `linkHeader` with option names prefixed by `where`, for sources that take paginators as data.
 *
 * @example
 * ```ts
 * import { linkHeaderPaginator } from './link-header-paginator.js'
 * const paginator = linkHeaderPaginator({ rel: 'next' }, 'streams[0].paginate')
 * ```
 */
export function linkHeaderPaginator(options: LinkHeaderOptions, where: string): Paginator {
  if (typeof options !== 'object' || options === null) throw configInvalid(where, 'an options object such as { rel: "next" }', options)
  knownKeys(options, KEYS, where)
  const rel = paramName(options.rel, `${where}.rel`, 'next')
  const limit = optionalSize(options.limit, `${where}.limit`)
  const limitParam = paramName(options.limitParam, `${where}.limitParam`, 'limit')
  const stop = compileStopRules(options.stop, where, { emptyPage: false })
  const keyset = keysetFlag(options.keyset, `${where}.keyset`)
  return {
    kind: 'linkHeader',
    stop: stop.rules,
    ...(keyset ? { keyset } : {}),
    ...(limit !== undefined ? { pageSize: limit } : {}),
    first: () => ({ query: limit === undefined ? {} : { [limitParam]: limit } }),
    next: ({ page }) => {
      const url = findLink(page.headers['link'], rel, page.url)
      return url === undefined ? undefined : { url }
    },
  }
}
