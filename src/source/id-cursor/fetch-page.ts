import type { RowInput } from '../../core/batch.js'
import { isSluiceError } from '../../core/sluice-error.js'
import type { AdaptiveSize } from '../../retry/adaptive-size.js'
import type { RetryPolicy } from '../../retry/backoff.js'
import type { Clock } from '../../core/clock.js'
import { retry } from '../../retry/retry.js'
import { checkPage } from './check-page.js'
import type { IdCursorFetch, IdValue } from './id-cursor-fetch.js'

/**
 * Everything one `idCursor` read shares between its ranges: the fetch, the id rules, the adaptive
 * size (shared, so a failure in one range makes every range ask for less) and the retry policy.
 *
 * @example
 * ```ts
 * import { exponentialBackoff, systemClock } from 'sluice'
 * import { adaptiveSize } from '../../retry/adaptive-size.js'
 * import type { RangeReader } from './fetch-page.js'
 * const reader: RangeReader = {
 *   table: 'orders', idField: 'id', integer: true, fetch: async () => [], sizes: adaptiveSize(), smallest: 1,
 *   retry: exponentialBackoff(), clock: systemClock, onError: 'fail',
 * }
 * ```
 */
export interface RangeReader {
  readonly table: string
  readonly idField: string
  readonly integer: boolean
  readonly fetch: IdCursorFetch<IdValue>
  readonly sizes: AdaptiveSize
  /** The last (smallest) size of the ladder: a failure there is not shrunk away but recorded or fatal. */
  readonly smallest: number
  readonly retry: RetryPolicy
  readonly clock: Clock
  readonly onError: 'fail' | 'continue'
}

/** One fetched page and its last id (undefined when empty). */
export interface FetchedPage {
  readonly rows: readonly RowInput[]
  readonly last: IdValue | undefined
}

/**
 * Fetches one page, retrying retryable failures per the reader's policy, and checks it against the fetch contract.
 * The one place `idCursor` calls the user's fetch, for pages and for probes alike.
 *
 * @example
 * ```ts
 * import { fetchPage, type RangeReader } from './fetch-page.js'
 * declare const reader: RangeReader
 * const page = await fetchPage(reader, { after: 0, size: 100 }, new AbortController().signal)
 * ```
 */
export async function fetchPage(
  reader: RangeReader,
  asked: { readonly after: IdValue | undefined; readonly before?: number | undefined; readonly size: number },
  signal: AbortSignal,
): Promise<FetchedPage> {
  const { after, before, size } = asked
  const args = { after, ...(before !== undefined ? { before } : {}), size, signal }
  const rows = await retry(() => reader.fetch(args), reader.retry, { clock: reader.clock, signal })
  const last = checkPage(rows, { table: reader.table, idField: reader.idField, integer: reader.integer, after, before, size })
  return { rows, last }
}

// Failures no smaller page can fix: our own cancel, broken contracts and configuration, and
// credentials (shrinking to size 1 and skipping every id on a 401 would "succeed" with nothing).
const FATAL_CODES = new Set(['ABORTED', 'CONFIG_INVALID', 'ID_CURSOR_CONTRACT', 'STATE_INVALID'])
const FATAL_STATUS = new Set([401, 403, 407])

/**
 * True for a failure that must stop the sync at once instead of shrinking the size or skipping an id:
 * aborts, contract and config errors, and HTTP 401/403/407.
 *
 * @example
 * ```ts
 * import { SluiceError } from 'sluice'
 * import { stopsTheSync } from './fetch-page.js'
 * stopsTheSync(new SluiceError({ code: 'HTTP_STATUS', message: '401', context: { status: 401 } })) // true
 * ```
 */
export function stopsTheSync(error: unknown): boolean {
  if (!isSluiceError(error)) return false
  if (FATAL_CODES.has(error.code)) return true
  return error.code === 'HTTP_STATUS' && FATAL_STATUS.has(error.context.status as number)
}
