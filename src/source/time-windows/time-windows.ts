import type { RowInput } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import { parseDuration, type Duration } from '../../core/duration.js'
import type { Message } from '../../core/message.js'
import { parseTableSpecs } from '../../core/table-spec.js'
import { configInvalid, knownOptions, oneOf, positiveInteger } from '../../core/check-option.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { op } from '../op.js'
import type { Source } from '../../contracts/source.js'
import { calendarStep, shortestMs } from './calendar-step.js'
import { isWindowFailure, type WindowFetch } from './fetch-window.js'
import { gapsOf } from './merged-intervals.js'
import { iso, readWindows, savedIntervals, windowsOf, type CheckedTimeWindows } from './read-windows.js'
import { planWindowPartitions, windowPartitionSource } from './window-partitions.js'

/**
 * An instant as options accept it: a `Date`, ISO-8601 text, or epoch milliseconds.
 * Used by `timeWindows({ start, end })`; invalid values fail when the source is built.
 *
 * @example
 * ```ts
 * import type { Instant } from 'sluice'
 * const start: Instant = '2026-01-01T00:00:00Z'
 * ```
 */
export type Instant = Date | string | number

/**
 * Options of `timeWindows`, with defaults and units per field.
 * `window` may be calendar months; `minWindow` is a fixed length.
 *
 * @example
 * ```ts
 * import type { TimeWindowsOptions } from 'sluice'
 * const options: TimeWindowsOptions = { table: 'invoices', start: '2024-01-01', fetch: async () => [], window: '1 month', concurrency: 2 }
 * ```
 */
export interface TimeWindowsOptions {
  readonly table: string
  /** The earliest instant to read (inclusive). */
  readonly start: Instant
  /** The instant to read up to (exclusive). Default: now, taken once when the sync starts. */
  readonly end?: Instant
  /** First window length: calendar ('3 months', '1 year') or fixed ('30 days'). Default '3 months'. */
  readonly window?: Duration
  /** Windows are halved on failure down to this fixed length. Default '14 days'. */
  readonly minWindow?: Duration
  /** Tries of a minimum-size window (the first included) before it fails. Default 3. */
  readonly maxRetries?: number
  /** Windows fetched at once; they may finish out of order. Default 1. */
  readonly concurrency?: number
  readonly fetch: WindowFetch
  /** Abort a try that takes longer than this (a `WINDOW_TIMEOUT`, which halves the window). Default: none. */
  readonly timeout?: Duration
  /** A minimum-size window that still fails: fail the sync ('fail', default) or record it in `_sluice_errors` and go on ('continue'; it stays unread and is tried again next sync). */
  readonly onError?: 'fail' | 'continue'
  /** Which errors halve a window. Default: timeouts and retryable errors (`isWindowFailure`). */
  readonly splitOn?: (error: unknown) => boolean
  /** Default `systemClock`; tests pass `fakeClock()` (also the source of "now"). */
  readonly clock?: Clock
  readonly primaryKey?: readonly string[]
  readonly columns?: Readonly<Record<string, ColumnType>>
  /** Connector id (the key of the state). Default `timeWindows:<table>`. */
  readonly id?: string
}

/**
 * A source for expensive or asynchronous APIs (reports, exports, search with time filters): reads [start, end)
 * in windows (3 calendar months by default), halving a window that times out or fails retryably down to
 * `minWindow`, where it is tried `maxRetries` times. Windows may run `concurrency` at a time and finish in any
 * order; each finished window is emitted and checkpointed, and the state keeps the merged finished intervals
 * (`{ done: [[from, to], …] }`), so a crash never re-reads or skips a finished window. The next sync reads what
 * is not done yet, from the end of the merged intervals to the new now. Those windows can also run as
 * partitions of consecutive windows (`partitions` / `partition`, not with `onError: 'continue'`; see docs/partitions.md).
 *
 * Use it when one request per time range is the API's natural unit and too large a range fails.
 *
 * @example
 * ```ts
 * import { httpClient, sqlite, sync, timeWindows } from 'sluice'
 * const api = httpClient({ baseUrl: 'https://api.example.com' })
 * await sync({
 *   source: timeWindows({
 *     table: 'invoices', primaryKey: ['id'], start: '2023-01-01T00:00:00Z', window: '3 months', minWindow: '14 days',
 *     fetch: async ({ from, to, signal }) => (await api.requestJson<object[]>({ path: '/invoices', query: { from, to }, signal })).data,
 *   }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function timeWindows(options: TimeWindowsOptions): Source {
  knownOptions(options, { table: true, start: true, end: true, window: true, minWindow: true, maxRetries: true, concurrency: true, fetch: true, timeout: true, onError: true, splitOn: true, clock: true, primaryKey: true, columns: true, id: true }, 'timeWindows')
  const o = checkOptions(options)
  const [spec] = parseTableSpecs([{ table: o.table, ...(options.primaryKey ? { primaryKey: options.primaryKey } : {}), ...(options.columns ? { columns: options.columns } : {}) }], 'timeWindows')
  const columns = spec!.columns
  const emit = (rows: readonly RowInput[]): Message => (columns ? op.upsert(o.table, rows).withTypes(columns) : op.upsert(o.table, rows))

  const source: Source = {
    id: options.id ?? `timeWindows:${o.table}`,
    tables: () => [spec!],
    readAhead: true,
    // Said, not pretended: a window's fetch has no size to ask 1 of, so the smallest call can be a big one.
    check: async () => [
      { name: `${o.table}: first window`, ok: true, skipped: true, message: `not checked: a window's fetch returns every row of the window (at least ${options.minWindow ?? '14 days'}) and takes no row limit, so it can't be asked cheaply; the first sync's first window will tell` },
    ],
    async *read(args) {
      const done = savedIntervals(args.state, o.table)
      const end = o.end ?? o.clock.now()
      yield* readWindows(o, emit, done, gapsOf(done, o.start, end).flatMap((gap) => windowsOf(gap, o.window)), args)
    },
  }
  if (o.onError === 'continue') return source
  // Not with onError 'continue': a window it skips stays undone in one sync's state, but `complete` (fixed
  // at plan time) would mark it done and it would never be read again.
  return {
    ...source,
    partitions: (args) => planWindowPartitions(o, args),
    partition: (partition) => windowPartitionSource(o, { id: source.id!, spec: spec!, emit }, partition),
  }
}

function checkOptions(options: TimeWindowsOptions): CheckedTimeWindows {
  if (typeof options !== 'object' || options === null) throw configInvalid('timeWindows', 'an options object', options)
  if (typeof options.table !== 'string' || options.table.trim() === '') throw configInvalid('timeWindows.table', 'a non-empty table name', options.table)
  if (typeof options.fetch !== 'function') throw configInvalid('timeWindows.fetch', 'a function ({ from, to, signal }) => rows', options.fetch)
  const start = instant(options.start, 'timeWindows.start')
  const end = options.end === undefined ? undefined : instant(options.end, 'timeWindows.end')
  if (end !== undefined && end < start) throw configInvalid('timeWindows.end', `not before start (${iso(start)})`, iso(end))
  const window = calendarStep(options.window ?? '3 months', 'timeWindows.window')
  const minMs = parseDuration(options.minWindow ?? '14 days', 'timeWindows.minWindow')
  if (!(minMs > 0)) throw configInvalid('timeWindows.minWindow', 'a positive duration', options.minWindow)
  if (minMs > shortestMs(window)) throw configInvalid('timeWindows.minWindow', `no longer than window (${String(options.window ?? '3 months')})`, options.minWindow)
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeWindows.timeout')
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw configInvalid('timeWindows.timeout', 'a positive duration', options.timeout)
  if (options.splitOn !== undefined && typeof options.splitOn !== 'function') throw configInvalid('timeWindows.splitOn', 'a function (error) => boolean', options.splitOn)
  const isFailure = options.splitOn ?? isWindowFailure
  const clock = options.clock ?? systemClock
  return {
    table: options.table,
    start,
    end,
    window,
    minMs,
    maxRetries: positiveInteger('timeWindows.maxRetries', options.maxRetries ?? 3),
    concurrency: positiveInteger('timeWindows.concurrency', options.concurrency ?? 1),
    onError: oneOf('timeWindows.onError', options.onError ?? 'fail', ['fail', 'continue'] as const),
    isFailure,
    clock,
    plan: { table: options.table, fetch: options.fetch, timeoutMs, clock, isFailure },
  }
}

function instant(value: Instant, what: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isFinite(ms)) return ms
  throw configInvalid(what, "a Date, an ISO-8601 instant such as '2026-01-01T00:00:00Z', or epoch ms", value instanceof Date ? 'Invalid Date' : value)
}
