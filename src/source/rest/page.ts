import type { ResponseHeaders } from '../../retry/retry-after.js'

/**
 * A fetched page as a paginator sees it: parsed body, headers, the records found in it, and counts so far.
 * Passed to `Paginator.next` to compute the following request.
 *
 * @example
 * ```ts
 * import type { Page } from 'sluice'
 * const last = (page: Page) => page.records.length === 0
 * ```
 */
export interface Page {
  /** The parsed JSON body. */
  readonly data: unknown
  readonly headers: ResponseHeaders
  /** The records found at the stream's `records` path. */
  readonly records: readonly unknown[]
  /** The URL that was requested, without credentials: the base for relative links. */
  readonly url: string
  /** 1-based number of this page within the stream's pagination. */
  readonly number: number
  /** Records received so far in this pagination, this page included. */
  readonly received: number
}
