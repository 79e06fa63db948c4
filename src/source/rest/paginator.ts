import type { StopRules } from './stop-rules.js'
import type { Page } from './page.js'

/**
 * The pagination part of one request: query parameters for the stream's path, or an absolute URL (a next link).
 * A paginator returns one from `first` and `next`; it is saved in state (without credentials) to resume.
 *
 * @example
 * ```ts
 * import type { PageRequest } from 'sluice'
 * const second: PageRequest = { query: { offset: 100, limit: 100 } }
 * const linked: PageRequest = { url: 'https://api.example.com/orders?page=3' }
 * ```
 */
export interface PageRequest {
  /** Absolute URL to fetch instead of the stream's path (the stream's params are added when it lacks them). */
  readonly url?: string
  /** Parameters set on the request (over the stream's own `params`). */
  readonly query?: Readonly<Record<string, string | number>>
}

export type { Page } from './page.js'

/**
 * How a REST stream walks pages: the first request, and the next one computed from a fetched page (undefined: done).
 * Use the built-ins (`offset`, `pageNumber`, `cursor`, `linkHeader`, `nextUrl`) or implement it for an unusual API;
 * a paginator holds no mutable state (everything it needs is in the args), so one value can serve many streams.
 *
 * @example
 * ```ts
 * import type { Paginator } from 'sluice'
 * // An API that takes `?after=<last id>`:
 * const afterId: Paginator = {
 *   kind: 'afterId',
 *   keyset: true, // `after` names the last row read, so rows changing meanwhile can't shift the pages
 *   first: () => ({ query: { limit: 100 } }),
 *   next: ({ page }) => {
 *     const last = page.records.at(-1) as { id: number } | undefined
 *     return last ? { query: { limit: 100, after: last.id } } : undefined
 *   },
 * }
 * ```
 */
export interface Paginator {
  /** Name shown in errors, e.g. 'offset'. */
  readonly kind: string
  /** Stop rules applied before `next` is asked (empty page, short page, total, has-more, max pages). */
  readonly stop?: StopRules
  /** Records asked for per page, for the short-page rule. */
  readonly pageSize?: number
  /**
   * True when each next request continues after the last row returned (a keyset token such as Stripe's
   * `starting_after` or Slack's `next_cursor`), not at a row or page count: rows changing, arriving or deleted during a
   * sync then can't shift a later row into pages already read. An incremental stream needs this or `sorted: 'asc'`
   * (see docs/incremental-paging.md). Default false.
   */
  readonly keyset?: boolean
  /** The first request of a stream (or of one child endpoint). */
  first(args: { readonly path: string }): PageRequest
  /** The request after `request`, whose response is `page`; undefined when there is no next page. */
  next(args: { readonly request: PageRequest; readonly page: Page }): PageRequest | undefined
}
