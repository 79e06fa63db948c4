import type { RowInput } from '../../core/batch.js'

/**
 * An id as `idCursor` handles it: a safe integer (the default), or an opaque string in the API's own order.
 * The type of `after` in the fetch arguments and of `{ after }` in the saved state.
 *
 * @example
 * ```ts
 * import type { IdValue } from 'sluice'
 * const last: IdValue = 1042
 * ```
 */
export type IdValue = number | string

/**
 * What `idCursor` asks its `fetch` for: the rows with id > `after` (and < `before` when given), ascending, at most `size`.
 * Return exactly min(size, available) rows: a shorter page means nothing is left in that range.
 *
 * @example
 * ```ts
 * import type { IdCursorFetchArgs } from 'sluice'
 * const url = ({ after, before, size }: IdCursorFetchArgs) =>
 *   `https://api.example.com/orders?after=${after}&limit=${size}${before === undefined ? '' : `&before=${before}`}`
 * ```
 */
export interface IdCursorFetchArgs<Id extends IdValue = number> {
  /** Exclusive lower bound. Integer ids start at `start` (default 0); string ids at `undefined` (from the first id). */
  readonly after: Id | (Id extends number ? never : undefined)
  /**
   * Exclusive upper bound, always an integer: set for parallel ranges (`span`) and while isolating a failing id
   * (`onError: 'continue'`). A fetch that ignores it is caught (`ID_CURSOR_CONTRACT`), never silently wrong.
   */
  readonly before?: number
  /** Most rows to return; shrinks after failures (1000 → 500 → … → 1 by default) and grows back. */
  readonly size: number
  /** Aborted when the sync stops or another range failed: pass it to the request. */
  readonly signal: AbortSignal
}

/**
 * The caller's page fetch for `idCursor`: one request, rows ascending by id.
 * Errors it throws are retried (when retryable) by `idCursor`, then make the size shrink.
 *
 * @example
 * ```ts
 * import type { IdCursorFetch } from 'sluice'
 * const fetchOrders: IdCursorFetch = async ({ after, size }) => {
 *   const res = await fetch(`https://api.example.com/orders?after=${after}&limit=${size}`)
 *   return (await res.json()) as object[]
 * }
 * ```
 */
export type IdCursorFetch<Id extends IdValue = number> = (args: IdCursorFetchArgs<Id>) => Promise<readonly RowInput[]>
