import { fieldPath } from '../../cursor/field-path.js'
import { configInvalid } from '../../core/check-option.js'
import type { Paginator } from './paginator.js'
import { bodyPath, keysetFlag, knownKeys, optionalSize, paramName } from './paginator-options.js'
import { compileStopRules, type StopRules } from './stop-rules.js'

/**
 * Options for `nextUrl`: where the next page's URL is in the body, page size and stop rules.
 * Copy the path from the API's docs (`next`, `links.next`, `@odata.nextLink` is a single key with dots: not supported).
 *
 * @example
 * ```ts
 * import type { NextUrlOptions } from 'sluice'
 * const options: NextUrlOptions = { path: 'links.next', limit: 100 }
 * ```
 */
export interface NextUrlOptions {
  /** Dot path of the next page's URL (absolute or relative); missing, null or '' ends the pagination. */
  readonly path: string
  /** Records per page, sent as `limitParam` on the first request (next URLs carry their own). */
  readonly limit?: number
  /** Default 'limit'. */
  readonly limitParam?: string
  /** Default: none besides the missing URL. */
  readonly stop?: StopRules
  /**
   * The next link continues after the last row returned (an `after=`/`cursor=` token), not a `page=` or `offset=` number: then an incremental stream may be read in any
   * order (see `Paginator.keyset`). Default false: an incremental stream needs `sorted: 'asc'`.
   */
  readonly keyset?: boolean
}

const KEYS = ['path', 'limit', 'limitParam', 'stop', 'keyset'] as const

/**
 * Pagination by a next-page URL in the body (`{ "next": "https://…?page=2" }`); relative URLs resolve against the request URL.
 * Use it for APIs such as Django REST framework's or Spotify's; a URL that repeats stops the sync with `PAGINATION_LOOP`.
 *
 * @example
 * ```ts
 * import { nextUrl } from 'sluice'
 * const paginate = nextUrl('next')
 * ```
 */
export function nextUrl(options: string | NextUrlOptions): Paginator {
  return nextUrlPaginator(typeof options === 'string' ? { path: options } : options, 'nextUrl')
}

/**
 * `nextUrl` with option names prefixed by `where`, for sources that take paginators as data.
 *
 * @example
 * ```ts
 * import { nextUrlPaginator } from './next-url-paginator.js'
 * const paginator = nextUrlPaginator({ path: 'next' }, 'streams[0].paginate')
 * ```
 */
export function nextUrlPaginator(options: NextUrlOptions, where: string): Paginator {
  if (typeof options !== 'object' || options === null) throw configInvalid(where, "a body path such as 'next' or { path: 'next' }", options)
  knownKeys(options, KEYS, where)
  const path = fieldPath(bodyPath(options.path, `${where}.path`), `${where}.path`)
  const limit = optionalSize(options.limit, `${where}.limit`)
  const limitParam = paramName(options.limitParam, `${where}.limitParam`, 'limit')
  const stop = compileStopRules(options.stop, where, { emptyPage: false })
  const keyset = keysetFlag(options.keyset, `${where}.keyset`)
  return {
    kind: 'nextUrl',
    stop: stop.rules,
    ...(keyset ? { keyset } : {}),
    ...(limit !== undefined ? { pageSize: limit } : {}),
    first: () => ({ query: limit === undefined ? {} : { [limitParam]: limit } }),
    next: ({ page }) => {
      const next = path(page.data)
      if (next === undefined || next === null || next === '') return undefined
      if (typeof next !== 'string') throw configInvalid(`${where}.path`, 'a path to a URL string', `a ${typeof next} in the response`)
      try {
        return { url: new URL(next, page.url).href }
      } catch {
        throw configInvalid(`${where}.path`, 'a path to a valid URL', next)
      }
    },
  }
}
