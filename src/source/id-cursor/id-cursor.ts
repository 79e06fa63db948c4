import type { RowInput } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import type { Message, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { parseTableSpecs } from '../../core/table-spec.js'
import { adaptiveSize } from '../../retry/adaptive-size.js'
import { exponentialBackoff, type RetryPolicy } from '../../retry/backoff.js'
import { configInvalid, knownOptions, oneOf, positiveInteger } from '../../core/check-option.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { op } from '../op.js'
import type { Source } from '../../contracts/source.js'
import type { RangeReader } from './fetch-page.js'
import type { IdCursorFetch, IdValue } from './id-cursor-fetch.js'
import { orderedRuns } from './ordered-runs.js'
import { readRange, type IdRange, type RangeItem } from './read-range.js'

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
 * A resumable `id > last_id` source: pages of rows ascending by id, a checkpoint `{ after: lastId }` after each.
 * The take size adapts (1000 → 500 → 250 → 50 → 10 → 1 on failures, back up after a run of successes). With
 * `span` and `maxId`, up to `concurrency` id ranges are fetched in parallel, emitted in id order and checkpointed
 * only over the completed prefix, so a crash never skips a range. A request that still fails at the smallest
 * size fails the sync (state: the last good checkpoint) or, with `onError: 'continue'`, its id is found, recorded
 * in `_sluice_errors` and skipped. Integer ids are assumed for both `span` and `continue`.
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
  knownOptions(options, { table: true, fetch: true, idField: true, idType: true, sizes: true, growAfter: true, span: true, maxId: true, concurrency: true, start: true, onError: true, maxErrors: true, retry: true, clock: true, primaryKey: true, columns: true, id: true }, 'idCursor')
  const o = checkOptions(options as unknown as IdCursorOptions<IdValue>)
  const [spec] = parseTableSpecs([{ table: o.table, primaryKey: options.primaryKey ?? [o.idField], ...(options.columns ? { columns: options.columns } : {}) }], 'idCursor')
  const columns = spec!.columns
  const emit = (rows: readonly RowInput[]): Message => (columns ? op.upsert(o.table, rows).withTypes(columns) : op.upsert(o.table, rows))

  return {
    id: options.id ?? `idCursor:${o.table}`,
    tables: () => [spec!],
    readAhead: true,
    async *read({ state, signal, recordError }) {
      const from = savedAfter(state, o) ?? o.start
      const reader: RangeReader = {
        table: o.table, idField: o.idField, integer: o.integer, fetch: o.fetch,
        sizes: adaptiveSize({ sizes: o.sizes, growAfter: o.growAfter }), smallest: o.sizes.at(-1)!,
        retry: o.retry, clock: o.clock, onError: o.onError,
      }
      let last = from
      let skipped = 0
      try {
        const ranges = o.span === undefined ? [{ lo: from }].values() : planRanges(from as number, o.span, await maxIdOf(o, signal))
        const events = orderedRuns<IdRange, RangeItem>(ranges, {
          concurrency: o.span === undefined ? 1 : o.concurrency,
          // Bounded ranges hold at most `span` ids; the unbounded tail reads one page ahead of the consumer.
          ahead: (range) => (range.hi === undefined ? 1 : Infinity),
          signal,
          run: (range, push, runSignal) => readRange(reader, range, push, runSignal),
        })
        for await (const event of events) {
          if (event.kind === 'done') {
            const hi = event.task.hi
            if (hi !== undefined && hi !== last) {
              last = hi
              yield op.checkpoint({ after: hi })
            }
            continue
          }
          const item = event.item
          if (item.kind === 'rows') yield emit(item.rows)
          else {
            if (++skipped > o.maxErrors) throw tooManyErrors(o, item.after)
            recordError(item.error)
          }
          last = item.after
          yield op.checkpoint({ after: item.after })
        }
      } catch (error) {
        if (signal.aborted) return
        throw error
      }
    },
  }
}

interface Checked {
  readonly table: string
  readonly fetch: IdCursorFetch<IdValue>
  readonly idField: string
  readonly integer: boolean
  readonly sizes: readonly number[]
  readonly growAfter: number
  readonly span: number | undefined
  readonly maxId: IdCursorOptions['maxId']
  readonly concurrency: number
  readonly start: IdValue | undefined
  readonly onError: 'fail' | 'continue'
  readonly maxErrors: number
  readonly retry: RetryPolicy
  readonly clock: Clock
}

function checkOptions(options: IdCursorOptions<IdValue>): Checked {
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
    clock: options.clock ?? systemClock,
  }
}

/** `{ after }` from the saved state, checked against the id type. */
function savedAfter(state: State | undefined, o: Checked): IdValue | undefined {
  const after = state?.after
  if (after === undefined) return undefined
  if (o.integer ? Number.isSafeInteger(after) : typeof after === 'string') return after as IdValue
  throw new SluiceError({
    code: 'STATE_INVALID',
    message: `idCursor(${o.table}): saved state { after: ${JSON.stringify(after)} } is not ${o.integer ? 'an integer id' : 'a string id'}; reset the connector's state or fix idType`,
    context: { table: o.table },
  })
}

async function maxIdOf(o: Checked, signal: AbortSignal): Promise<number | undefined> {
  const max = await o.maxId!({ signal })
  if (max === null || max === undefined) return undefined
  if (Number.isSafeInteger(max)) return max
  throw new SluiceError({
    code: 'ID_CURSOR_CONTRACT',
    message: `idCursor(${o.table}): maxId() returned ${JSON.stringify(max)}; it must return the largest id as a safe integer, or null for an empty table`,
    context: { table: o.table },
  })
}

/** Ranges (lo, lo + span] up to `maxId`, then the unbounded tail for ids added since. */
function* planRanges(from: number, span: number, maxId: number | undefined): Generator<IdRange> {
  let lo = from
  if (maxId !== undefined) {
    for (; lo < maxId; lo = Math.min(maxId, lo + span)) yield { lo, hi: Math.min(maxId, lo + span) }
  }
  yield { lo }
}

function tooManyErrors(o: Checked, id: number): SluiceError {
  return new SluiceError({
    code: 'TOO_MANY_ERRORS',
    message: `idCursor(${o.table}): more than ${o.maxErrors} ids failed and were skipped in this sync (the last at ${o.idField} = ${id}); that looks systematic rather than a few bad records: check the API, or raise maxErrors`,
    context: { table: o.table, maxErrors: o.maxErrors },
  })
}
