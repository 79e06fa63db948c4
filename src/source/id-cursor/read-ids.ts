import type { RowInput } from '../../core/batch.js'
import type { Message, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { adaptiveSize } from '../../retry/adaptive-size.js'
import type { RetryPolicy } from '../../retry/backoff.js'
import type { CheckpointEvery } from '../../core/checkpoint-every.js'
import type { Clock } from '../../core/clock.js'
import type { SourceReadArgs } from '../../contracts/source.js'
import { op } from '../op.js'
import type { RangeReader } from './fetch-page.js'
import type { IdCursorFetch, IdValue } from './id-cursor-fetch.js'
import { orderedRuns } from './ordered-runs.js'
import { readRange, type IdRange, type RangeItem } from './read-range.js'

/** `idCursor`'s options after validation (see `IdCursorOptions` for each field). */
export interface CheckedIdCursor {
  readonly table: string
  readonly fetch: IdCursorFetch<IdValue>
  readonly idField: string
  readonly integer: boolean
  readonly sizes: readonly number[]
  readonly growAfter: number
  readonly span: number | undefined
  readonly maxId: ((args: { readonly signal: AbortSignal }) => Promise<number | null | undefined> | number | null | undefined) | undefined
  readonly concurrency: number
  readonly start: IdValue | undefined
  readonly onError: 'fail' | 'continue'
  readonly maxErrors: number
  readonly retry: RetryPolicy
  readonly checkpointEvery: CheckpointEvery
  readonly clock: Clock
}

/**
 * The messages of one id read: the `ranges` fetched `concurrency` at a time (one at a time without
 * `span`), emitted in id order; a checkpoint `{ after }` follows the page or finished range that
 * makes one due (`checkpointEvery`) and the last one, and only ever covers ids read, so a stop never
 * skips ids. Shared by `idCursor` and the source of one of its partitions.
 *
 * @example
 * ```ts
 * import { readIds, type CheckedIdCursor } from './read-ids.js'
 * import { op } from '../op.js'
 * declare const o: CheckedIdCursor
 * const messages = readIds(o, (rows) => op.upsert(o.table, rows), [{ lo: 0 }].values(), {
 *   signal: new AbortController().signal, recordError: () => {}, state: undefined, configuration: {},
 * })
 * ```
 */
export async function* readIds(
  o: CheckedIdCursor,
  emit: (rows: readonly RowInput[]) => Message,
  ranges: Iterator<IdRange> | (() => Promise<Iterator<IdRange>>),
  { signal, recordError }: SourceReadArgs,
): AsyncGenerator<Message> {
  const reader: RangeReader = {
    table: o.table, idField: o.idField, integer: o.integer, fetch: o.fetch,
    sizes: adaptiveSize({ sizes: o.sizes, growAfter: o.growAfter }), smallest: o.sizes.at(-1)!,
    retry: o.retry, clock: o.clock, onError: o.onError,
  }
  let last: IdValue | undefined
  let skipped = 0
  // Since the last checkpoint: rows (and skipped ids) emitted, its time, and the state a checkpoint now would save.
  let rows = 0
  let since = o.clock.now()
  let pending: IdValue | undefined
  const due = () => rows >= o.checkpointEvery.rows || o.clock.now() - since >= o.checkpointEvery.ms
  const checkpoint = () => {
    last = pending
    rows = 0
    since = o.clock.now()
    return op.checkpoint({ after: pending! })
  }
  try {
    const tasks = typeof ranges === 'function' ? await ranges() : ranges
    const events = orderedRuns<IdRange, RangeItem>(tasks, {
      concurrency: o.span === undefined ? 1 : o.concurrency,
      // Bounded ranges hold at most `span` ids; the unbounded tail reads one page ahead of the consumer.
      ahead: (range) => (range.hi === undefined ? 1 : Infinity),
      signal,
      run: (range, push, runSignal) => readRange(reader, range, push, runSignal),
    })
    for await (const event of events) {
      if (event.kind === 'done') {
        if (event.task.hi === undefined) continue
        pending = event.task.hi
      } else {
        const item = event.item
        if (item.kind === 'rows') {
          yield emit(item.rows)
          rows += item.rows.length
        } else {
          if (++skipped > o.maxErrors) throw tooManyErrors(o, item.after)
          recordError(item.error)
          rows++
        }
        pending = item.after
      }
      if (pending !== last && due()) yield checkpoint()
    }
    if (pending !== undefined && pending !== last && !signal.aborted) yield checkpoint()
  } catch (error) {
    if (signal.aborted) return
    throw error
  }
}

/**
 * `{ after }` from a saved state, checked against the id type (`STATE_INVALID` otherwise).
 *
 * @example
 * ```ts
 * import { savedAfter, type CheckedIdCursor } from './read-ids.js'
 * declare const o: CheckedIdCursor
 * savedAfter({ after: 1200 }, o) // 1200
 * ```
 */
export function savedAfter(state: State | undefined, o: CheckedIdCursor): IdValue | undefined {
  const after = state?.after
  if (after === undefined) return undefined
  if (o.integer ? Number.isSafeInteger(after) : typeof after === 'string') return after as IdValue
  throw new SluiceError({
    code: 'STATE_INVALID',
    message: `idCursor(${o.table}): saved state { after: ${JSON.stringify(after)} } is not ${o.integer ? 'an integer id' : 'a string id'}; reset the connector's state or fix idType`,
    context: { table: o.table },
  })
}

/**
 * The largest id now, from `maxId()` (`undefined` for an empty table); anything but a safe integer is `ID_CURSOR_CONTRACT`.
 *
 * @example
 * ```ts
 * import { maxIdOf, type CheckedIdCursor } from './read-ids.js'
 * declare const o: CheckedIdCursor
 * const max = await maxIdOf(o, new AbortController().signal)
 * ```
 */
export async function maxIdOf(o: CheckedIdCursor, signal: AbortSignal): Promise<number | undefined> {
  const max = await o.maxId!({ signal })
  if (max === null || max === undefined) return undefined
  if (Number.isSafeInteger(max)) return max
  throw new SluiceError({
    code: 'ID_CURSOR_CONTRACT',
    message: `idCursor(${o.table}): maxId() returned ${JSON.stringify(max)}; it must return the largest id as a safe integer, or null for an empty table`,
    context: { table: o.table },
  })
}

/**
 * Ranges (lo, lo + span] from `from` up to `hi`, then (with `tail`) the unbounded range for ids past it.
 *
 * @example
 * ```ts
 * import { spanRanges } from './read-ids.js'
 * ;[...spanRanges(0, 100, 250, true)] // (0,100] (100,200] (200,250] (250,∞)
 * ```
 */
export function* spanRanges(from: number, span: number, hi: number | undefined, tail: boolean): Generator<IdRange> {
  let lo = from
  if (hi !== undefined) {
    for (; lo < hi; lo = Math.min(hi, lo + span)) yield { lo, hi: Math.min(hi, lo + span) }
  }
  if (tail) yield { lo }
}

function tooManyErrors(o: CheckedIdCursor, id: number): SluiceError {
  return new SluiceError({
    code: 'TOO_MANY_ERRORS',
    message: `idCursor(${o.table}): more than ${o.maxErrors} ids failed and were skipped in this sync (the last at ${o.idField} = ${id}); that looks systematic rather than a few bad records: check the API, or raise maxErrors`,
    context: { table: o.table, maxErrors: o.maxErrors },
  })
}
