import { configInvalid } from '../../core/check-option.js'
import { cursorPaginator, type CursorOptions } from './cursor-paginator.js'
import { linkHeaderPaginator, type LinkHeaderOptions } from './link-header-paginator.js'
import { nextUrlPaginator, type NextUrlOptions } from './next-url-paginator.js'
import { offsetPaginator, type OffsetOptions } from './offset-paginator.js'
import type { Paginator } from './paginator.js'
import { pageNumberPaginator, type PageNumberOptions } from './page-number-paginator.js'

/**
 * A paginator written as data (`{ type: 'offset', limit: 100 }`), for configurations loaded from JSON.
 * Accepted wherever a `Paginator` is (`rest({ streams: [{ paginate }] })`); errors name the option in place.
 *
 * @example
 * ```ts
 * import type { PaginateConfig } from 'sluice'
 * const paginate: PaginateConfig = { type: 'cursor', next: 'meta.next', param: 'cursor' }
 * ```
 */
export type PaginateConfig =
  | ({ readonly type: 'offset' } & OffsetOptions)
  | ({ readonly type: 'pageNumber' } & PageNumberOptions)
  | ({ readonly type: 'cursor' } & CursorOptions)
  | ({ readonly type: 'linkHeader' } & LinkHeaderOptions)
  | ({ readonly type: 'nextUrl' } & NextUrlOptions)

const TYPES = ['offset', 'pageNumber', 'cursor', 'linkHeader', 'nextUrl'] as const

/**
 * A `Paginator` as it is, or one built from `PaginateConfig` with CONFIG_INVALID errors naming `where` (e.g. `streams[0].paginate.limit`).
 * Used by `rest()` for each stream's `paginate`.
 *
 * @example
 * ```ts
 * import { paginatorFrom } from './paginate-config.js'
 * const paginator = paginatorFrom({ type: 'offset', limit: 100 }, 'streams[0].paginate')
 * ```
 */
export function paginatorFrom(value: Paginator | PaginateConfig, where: string): Paginator {
  if (typeof value !== 'object' || value === null) throw configInvalid(where, "a paginator such as offset({ limit: 100 }) or { type: 'offset', limit: 100 }", value)
  if (isPaginator(value)) return value
  const { type, ...options } = value as PaginateConfig
  switch (type) {
    case 'offset':
      return offsetPaginator(options as OffsetOptions, where)
    case 'pageNumber':
      return pageNumberPaginator(options as PageNumberOptions, where)
    case 'cursor':
      return cursorPaginator(options as CursorOptions, where)
    case 'linkHeader':
      return linkHeaderPaginator(options as LinkHeaderOptions, where)
    case 'nextUrl':
      return nextUrlPaginator(options as NextUrlOptions, where)
    default:
      throw configInvalid(`${where}.type`, `one of ${TYPES.map((t) => `'${t}'`).join(', ')}`, type)
  }
}

function isPaginator(value: object): value is Paginator {
  return typeof (value as Paginator).first === 'function' && typeof (value as Paginator).next === 'function'
}
