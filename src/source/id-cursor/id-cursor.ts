import type { RowInput } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import type { Message } from '../../core/message.js'
import { parseTableSpecs } from '../../core/table-spec.js'
import { adaptiveSize } from '../../retry/adaptive-size.js'
import { exponentialBackoff, type RetryPolicy } from '../../retry/backoff.js'
import { configInvalid, knownOptions, oneOf, positiveInteger } from '../../core/check-option.js'
import { parseCheckpointEvery } from '../../core/checkpoint-every.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { op } from '../op.js'
import type { Source } from '../../contracts/source.js'
import type { IdCursorFetch, IdValue } from './id-cursor-fetch.js'
import type { IdRange } from './read-range.js'
import { idPartitionSource, planIdPartitions } from './id-partitions.js'
import { idCursorCheck } from './id-cursor-check.js'
import { maxIdOf, readIds, savedAfter, spanRanges, type CheckedIdCursor } from './read-ids.js'

/**
 * Options of `idCursor`, with defaults and units per field.
 * The fetch contract is `IdCursorFetchArgs`; set `span` + `maxId` to fetch id ranges in parallel.
 *
 * @example
 * ```ts
 * import type { IdCursorOptions } from 'sluice'
 * const options: IdCursorOptions = { table: 'orders', fetch: async () => [], span: 1000, maxId: () => 250_000, onError: 'continue' }
 * ```
 */
export interface IdCursorOptions<Id extends IdValue = number> {
  readonly table: string
  readonly fetch: IdCursorFetch<Id>
  /** The id column: unique, ascending in the API's order. Default 'id'. */
  readonly idField?: string
  /** 'integer' (default): safe integers, checked ascending; 'string': opaque, no `span`, no `onError: 'continue'`. */
  readonly idType?: 'integer' | 'string'
  /** Take sizes, largest first. Default [1000, 500, 250, 50, 10, 1]. */
  readonly sizes?: readonly number[]
  /** Successes in a row before the size grows one step back. Default 5. */
  readonly growAfter?: number
  /** Ids per range: fetch ids ≤ `maxId()` as ranges of this width, in parallel. Default: none (one sequential read). */
  readonly span?: number
  /** The largest id now (called once per sync; null when empty). Required with `span`; ids past it are read as one sequential tail. */
  readonly maxId?: (args: { readonly signal: AbortSignal }) => Promise<number | null | undefined> | number | null | undefined
  /** Ranges fetched at once (with `span`). Default 8. */
  readonly concurrency?: number
  /** The first `after` when there is no state. Default 0 for integer ids (ids > 0), none for string ids. */
  readonly start?: Id
  /**
   * At the smallest size, a failing request fails the sync ('fail', default) or its id is recorded in `_sluice_errors`
   * and skipped ('continue', integer ids only). The failing id is found by probing (x, x+1], (x, x+2], (x, x+4] … with
   * `before`, then bisecting: about 2·log2(gap) requests however sparse the ids. A failure no single id explains
   * (every probe reads fine) still fails the sync.
   */
  readonly onError?: 'fail' | 'continue'
  /** Skipped ids per sync before the sync fails anyway (a systematic failure is not a bad record). Default 100. */
  readonly maxErrors?: number
  /** Retries of one request before it counts as failed. Default exponentialBackoff({ attempts: 3 }). */
  readonly retry?: RetryPolicy
  /**
   * How often it checkpoints (each a commit in the destination): after the page or range that brings
   * the rows since the last checkpoint to `rows`, or once `ms` passed since it; always at the end.
   * Default `{ rows: 10_000, ms: 1_000 }`, as the change-data-capture sources. `{ rows: 1 }`: after every page.
   */
  readonly checkpointEvery?: { readonly rows?: number; readonly ms?: number }
  /** Default `systemClock`; tests pass `fakeClock()`. */
  readonly clock?: Clock
  /** Default [idField]. */
  readonly primaryKey?: readonly string[]
  readonly columns?: Readonly<Record<string, ColumnType>>
  /** Connector id (the key of the state). Default `idCursor:<table>`. */
  readonly id?: string
}

const DEFAULT_SIZES = [1000, 500, 250, 50, 10, 1] as const

/**
 * A resumable `id > last_id` source: pages of rows ascending by id, checkpointed `{ after: lastId }` every 10k rows
 * or second (`checkpointEvery`) and at the end.
 * The take size adapts (1000 → 500 → 250 → 50 → 10 → 1 on failures, back up after a run of successes). With
 * `span` and `maxId`, up to `concurrency` id ranges are fetched in parallel, emitted in id order and checkpointed
 * only over the completed prefix, so a crash never skips a range. A request that still fails at the smallest
 * size fails the sync (state: the last good checkpoint) or, with `onError: 'continue'`, its id is found, recorded
 * in `_sluice_errors` and skipped. Integer ids are assumed for both `span` and `continue`. With `span` and `maxId`
 * it can also split a backfill into id-range partitions (`partitions` / `partition`, see docs/partitions.md).
 *
 * Use it for APIs and databases that page by "ids greater than", especially flaky ones that time out on large pages.
 *
 * @example
 * ```ts
 * import { httpClient, idCursor, sqlite, sync } from 'sluice'
 * const api = httpClient({ baseUrl: 'https://api.example.com' })
 * await sync({
 *   source: idCursor({
 *     table: 'orders',
 *     fetch: async ({ after, before, size, signal }) =>
 *       (await api.requestJson<object[]>({ path: '/orders', query: { after, before, limit: size }, signal })).data,
 *     span: 1000,
 *     maxId: async () => (await api.requestJson<{ max: number }>({ path: '/orders/max' })).data.max,
 *     onError: 'continue',
 *   }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function idCursor<Id extends IdValue = number>(options: IdCursorOptions<Id>): Source {
  knownOptions(options, { table: true, fetch: true, idField: true, idType: true, sizes: true, growAfter: true, span: true, maxId: true, concurrency: true, start: true, onError: true, maxErrors: true, retry: true, checkpointEvery: true, clock: true, primaryKey: true, columns: true, id: true }, 'idCursor')
  const o = checkOptions(options as unknown as IdCursorOptions<IdValue>)
  const [spec] = parseTableSpecs([{ table: o.table, primaryKey: options.primaryKey ?? [o.idField], ...(options.columns ? { columns: options.columns } : {}) }], 'idCursor')
  const columns = spec!.columns
  const emit = (rows: readonly RowInput[]): Message => (columns ? op.upsert(o.table, rows).withTypes(columns) : op.upsert(o.table, rows))

  const source: Source = {
    id: options.id ?? `idCursor:${o.table}`,
    tables: () => [spec!],
    readAhead: true,
    check: (args) => idCursorCheck(o, args),
    async *read(args) {
      const from = savedAfter(args.state, o) ?? o.start
      // One unbounded read, or `span`-wide ranges up to maxId() then the tail for ids past it.
      const ranges = async (): Promise<Iterator<IdRange>> =>
        o.span === undefined ? [{ lo: from }].values() : spanRanges(from as number, o.span, await maxIdOf(o, args.signal), true)
      yield* readIds(o, emit, ranges, args)
    },
  }
  if (o.span === undefined) return source
  // Only with span and maxId: the plan needs the largest id, and a partition reads its range in span-wide ranges.
  return {
    ...source,
    partitions: (args) => planIdPartitions(o, args),
    partition: (partition) => idPartitionSource(o, { id: source.id!, spec: spec!, emit }, partition),
  }
}

function checkOptions(options: IdCursorOptions<IdValue>): CheckedIdCursor {
  if (typeof options !== 'object' || options === null) throw configInvalid('idCursor', 'an options object', options)
  if (typeof options.table !== 'string' || options.table.trim() === '') throw configInvalid('idCursor.table', 'a non-empty table name', options.table)
  if (typeof options.fetch !== 'function') throw configInvalid('idCursor.fetch', 'a function ({ after, before, size, signal }) => rows', options.fetch)
  const idField = options.idField ?? 'id'
  if (typeof idField !== 'string' || idField === '') throw configInvalid('idCursor.idField', 'a non-empty column name', idField)
  const integer = oneOf('idCursor.idType', options.idType ?? 'integer', ['integer', 'string'] as const) === 'integer'
  const onError = oneOf('idCursor.onError', options.onError ?? 'fail', ['fail', 'continue'] as const)
  const sizes = [...(options.sizes ?? DEFAULT_SIZES)]
  adaptiveSize({ sizes }) // validates the ladder now, not on the first page
  const span = options.span === undefined ? undefined : positiveInteger('idCursor.span', options.span)
  if (!integer && onError === 'continue') {
    throw configInvalid('idCursor.onError', "'fail' for string ids (skipping needs integer ids: the id after x is found by probing (x, x + n])", onError)
  }
  if (!integer && span !== undefined) throw configInvalid('idCursor.span', 'unset for string ids (ranges need integer ids)', span)
  if (span !== undefined && typeof options.maxId !== 'function') {
    throw configInvalid('idCursor.maxId', 'a function returning the largest id when `span` is set (ranges stop there; later ids are read sequentially)', options.maxId)
  }
  const start = options.start ?? (integer ? 0 : undefined)
  if (integer && !Number.isSafeInteger(start)) throw configInvalid('idCursor.start', 'a safe integer for integer ids', start)
  if (!integer && start !== undefined && typeof start !== 'string') throw configInvalid('idCursor.start', 'a string for string ids', start)
  return {
    table: options.table,
    fetch: options.fetch,
    idField,
    integer,
    sizes,
    growAfter: positiveInteger('idCursor.growAfter', options.growAfter ?? 5),
    span,
    maxId: options.maxId,
    concurrency: positiveInteger('idCursor.concurrency', options.concurrency ?? 8),
    start,
    onError,
    maxErrors: positiveInteger('idCursor.maxErrors', options.maxErrors ?? 100),
    retry: options.retry ?? exponentialBackoff({ attempts: 3 }),
    checkpointEvery: parseCheckpointEvery(options.checkpointEvery, 'idCursor.checkpointEvery'),
    clock: options.clock ?? systemClock,
  }
}
