import { fieldPath } from '../../cursor/field-path.js'
import { configInvalid } from '../../core/check-option.js'
import type { Paginator } from './paginator.js'
import { bodyPath, keysetFlag, knownKeys, optionalSize, optionsObject, paramName } from './paginator-options.js'
import { compileStopRules, type StopRules } from './stop-rules.js'

/**
 * Options for `cursor`: where the next-page token is in the body, the parameter that sends it back, page size and stop rules.
 * Copy the path and parameter name from the API's docs.
 *
 * @example
 * ```ts
 * import type { CursorOptions } from 'sluice'
 * const options: CursorOptions = { next: 'response_metadata.next_cursor', param: 'cursor', limit: 200, keyset: true }
 * ```
 */
export interface CursorOptions {
  /** Dot path of the next-page token in the body; missing, null or '' ends the pagination. */
  readonly next: string
  /** Query parameter that sends the token back. Default 'cursor'. */
  readonly param?: string
  /** Records per page, sent as `limitParam` when given. */
  readonly limit?: number
  /** Default 'limit'. */
  readonly limitParam?: string
  /** Default: none besides the missing token (a cursor API may legitimately return an empty page with a next token). */
  readonly stop?: StopRules
  /**
   * The token continues after the last row returned (Stripe's `starting_after`, Slack's `next_cursor`), rather than
   * encoding a row offset or page number: then an incremental stream may be read in any order (see `Paginator.keyset`).
   * Default false: an incremental stream needs `sorted: 'asc'`.
   */
  readonly keyset?: boolean
}

const KEYS = ['next', 'param', 'limit', 'limitParam', 'stop', 'keyset'] as const

/**
 * Cursor-token pagination: each page's body holds an opaque token for the next page, sent back as a parameter.
 * Use it for APIs such as Slack's or Stripe-style `next_cursor`; a token that repeats stops the sync with `PAGINATION_LOOP`.
 *
 * @example
 * ```ts
 * import { cursor } from 'sluice'
 * const paginate = cursor({ next: 'meta.next', param: 'cursor' })
 * ```
 */
export function cursor(options: CursorOptions): Paginator {
  return cursorPaginator(options, 'cursor')
}

/**
 * `cursor` with option names prefixed by `where`, for sources that take paginators as data.
 *
 * @example
 * ```ts
 * import { cursorPaginator } from './cursor-paginator.js'
 * const paginator = cursorPaginator({ next: 'meta.next' }, 'streams[0].paginate')
 * ```
 */
export function cursorPaginator(options: CursorOptions, where: string): Paginator {
  optionsObject(options, where, "{ next: 'meta.next', param: 'cursor' }")
  knownKeys(options, KEYS, where)
  const next = fieldPath(bodyPath(options.next, `${where}.next`), `${where}.next`)
  const param = paramName(options.param, `${where}.param`, 'cursor')
  const limit = optionalSize(options.limit, `${where}.limit`)
  const limitParam = paramName(options.limitParam, `${where}.limitParam`, 'limit')
  if (limit !== undefined && limitParam === param) throw configInvalid(`${where}.limitParam`, `different from param ('${param}')`, limitParam)
  const stop = compileStopRules(options.stop, where, { emptyPage: false })
  const keyset = keysetFlag(options.keyset, `${where}.keyset`)
  const base = limit === undefined ? {} : { [limitParam]: limit }
  return {
    kind: 'cursor',
    stop: stop.rules,
    ...(keyset ? { keyset } : {}),
    ...(limit !== undefined ? { pageSize: limit } : {}),
    first: () => ({ query: base }),
    next: ({ page }) => {
      const token = next(page.data)
      if (token === undefined || token === null || token === '' || token === false) return undefined
      if (typeof token !== 'string' && typeof token !== 'number') {
        throw configInvalid(`${where}.next`, 'a path to a string or number token', `a${Array.isArray(token) ? 'n array' : ` ${typeof token}`} in the response`)
      }
      return { query: { ...base, [param]: token } }
    },
  }
}
