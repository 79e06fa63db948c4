import type { RowInput } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import { parseDuration, type Duration } from '../../core/duration.js'
import type { Message, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { parseTableSpecs } from '../../core/table-spec.js'
import { configInvalid, knownOptions, oneOf, positiveInteger } from '../../core/check-option.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { requestErrorRecord } from '../request-error-record.js'
import { op } from '../op.js'
import type { Source } from '../../contracts/source.js'
import { addCalendarStep, calendarStep, shortestMs, type CalendarStep } from './calendar-step.js'
import { fetchWindow, isWindowFailure, type WindowFetch, type WindowPlan } from './fetch-window.js'
import { addInterval, gapsOf, type Interval } from './merged-intervals.js'

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

const BATCH_ROWS = 10_000

/**
 * A source for expensive or asynchronous APIs (reports, exports, search with time filters): reads [start, end)
 * in windows (3 calendar months by default), halving a window that times out or fails retryably down to
 * `minWindow`, where it is tried `maxRetries` times. Windows may run `concurrency` at a time and finish in any
 * order; each finished window is emitted and checkpointed, and the state keeps the merged finished intervals
 * (`{ done: [[from, to], …] }`), so a crash never re-reads or skips a finished window. The next sync reads what
 * is not done yet, from the end of the merged intervals to the new now.
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

  return {
    id: options.id ?? `timeWindows:${o.table}`,
    tables: () => [spec!],
    readAhead: true,
    async *read({ state, signal, recordError }) {
      let done = savedIntervals(state, o.table)
      const end = o.end ?? o.clock.now()
      const queue: Interval[] = []
      for (const gap of gapsOf(done, o.start, end)) queue.push(...windowsOf(gap, o.window))
      const finished: ({ window: Interval; rows: readonly RowInput[] } | { window: Interval; error: unknown })[] = []
      const running = new Set<Promise<void>>()
      // Leaving early (a graceful stop at a checkpoint) must not wait for expensive windows still running.
      const inner = new AbortController()
      const forward = (): void => inner.abort(signal.reason)
      signal.addEventListener('abort', forward, { once: true })
      let wake: (() => void) | undefined
      let failure: unknown
      let failed = false
      const start = (window: Interval): void => {
        const plan: WindowPlan = { ...o.plan, tries: window[1] - window[0] <= o.minMs ? o.maxRetries : 1 }
        const task = fetchWindow(window, plan, inner.signal)
          .then((rows) => void finished.push({ window, rows }), (error: unknown) => void finished.push({ window, error }))
          .finally(() => {
            running.delete(task)
            wake?.()
          })
        running.add(task)
      }
      try {
        for (;;) {
          const next = finished.shift()
          if (next === undefined) {
            // Only now start more: a failed window's halves must be queued before later windows start.
            while (!failed && running.size < o.concurrency && queue.length > 0) start(queue.shift()!)
            if (running.size === 0) break
            await new Promise<void>((resolve) => (wake = resolve))
            continue
          }
          if ('rows' in next) {
            for (let i = 0; i < next.rows.length; i += BATCH_ROWS) yield emit(next.rows.slice(i, i + BATCH_ROWS))
            done = addInterval(done, next.window)
            yield op.checkpoint(stateOf(done))
            continue
          }
          if (failed) continue // the first failure wins; the rest only finish
          const { window, error } = next
          if (!o.isFailure(error)) {
            failed = true
            failure = error
          } else if (window[1] - window[0] > o.minMs) {
            insertSorted(queue, halves(window, o.minMs))
          } else if (o.onError === 'continue') {
            recordError(requestErrorRecord({ table: o.table, error, parameters: { from: iso(window[0]), to: iso(window[1]), tries: o.maxRetries } }))
            yield op.checkpoint(stateOf(done)) // commits the record; the window stays undone, to be read next sync
          } else {
            failed = true
            failure = windowFailed(o, window, error)
          }
        }
        if (failed) throw failure
      } catch (error) {
        if (signal.aborted) return
        throw error
      } finally {
        signal.removeEventListener('abort', forward)
        inner.abort(new Error('timeWindows closed'))
        await Promise.allSettled(running)
      }
    },
  }
}

interface Checked {
  readonly table: string
  readonly start: number
  readonly end: number | undefined
  readonly window: CalendarStep
  readonly minMs: number
  readonly maxRetries: number
  readonly concurrency: number
  readonly onError: 'fail' | 'continue'
  readonly isFailure: (error: unknown) => boolean
  readonly clock: Clock
  readonly plan: Omit<WindowPlan, 'tries'>
}

function checkOptions(options: TimeWindowsOptions): Checked {
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

const iso = (ms: number): string => new Date(ms).toISOString()

function instant(value: Instant, what: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isFinite(ms)) return ms
  throw configInvalid(what, "a Date, an ISO-8601 instant such as '2026-01-01T00:00:00Z', or epoch ms", value instanceof Date ? 'Invalid Date' : value)
}

/** A gap cut into windows counted from its start (calendar steps never drift), the last one clipped. */
function windowsOf([from, to]: Interval, step: CalendarStep): Interval[] {
  const out: Interval[] = []
  for (let k = 0, a = from; a < to; k++) {
    const b = Math.min(to, addCalendarStep(from, step, k + 1))
    out.push([a, b])
    a = b
  }
  return out
}

/** Two halves; the first never shorter than the minimum, so splitting always ends. */
function halves([from, to]: Interval, minMs: number): Interval[] {
  const mid = from + Math.max(minMs, Math.floor((to - from) / 2))
  return mid >= to ? [[from, to]] : [[from, mid], [mid, to]]
}

function insertSorted(queue: Interval[], added: Interval[]): void {
  let i = queue.findIndex((w) => w[0] > added[0]![0])
  if (i < 0) i = queue.length
  queue.splice(i, 0, ...added)
}

function stateOf(done: readonly Interval[]): State {
  return { done: done.map(([a, b]) => [iso(a), iso(b)]) }
}

function savedIntervals(state: State | undefined, table: string): Interval[] {
  const raw = state?.done
  if (raw === undefined) return []
  const bad = (): never => {
    throw new SluiceError({
      code: 'STATE_INVALID',
      message: `timeWindows(${table}): saved state { done } must be a list of [from, to] ISO instants, got ${JSON.stringify(raw).slice(0, 200)}; reset the connector's state`,
      context: { table },
    })
  }
  if (!Array.isArray(raw)) return bad()
  let out: Interval[] = []
  for (const pair of raw) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return bad()
    const a = Date.parse(pair[0])
    const b = Date.parse(pair[1])
    if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) return bad()
    out = addInterval(out, [a, b])
  }
  return out
}

function windowFailed(o: Checked, window: Interval, error: unknown): SluiceError {
  const reason = error instanceof Error ? error.message : String(error)
  return new SluiceError({
    code: 'WINDOW_FAILED',
    message: `timeWindows(${o.table}): window [${iso(window[0])}, ${iso(window[1])}) still failed after ${o.maxRetries} tries at the minimum size (${o.minMs} ms); fix the cause, or set onError: 'continue' to record it and go on (it is tried again next sync): ${reason}`,
    context: { table: o.table, from: iso(window[0]), to: iso(window[1]), tries: o.maxRetries },
    cause: error,
  })
}
