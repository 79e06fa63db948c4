import type { RowInput } from '../../core/batch.js'
import type { Message, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { Clock } from '../../core/clock.js'
import type { SourceReadArgs } from '../../contracts/source.js'
import { requestErrorRecord } from '../request-error-record.js'
import { op } from '../op.js'
import { addCalendarStep, type CalendarStep } from './calendar-step.js'
import { fetchWindow, type WindowPlan } from './fetch-window.js'
import { addInterval, type Interval } from './merged-intervals.js'

/** `timeWindows`' options after validation (see `TimeWindowsOptions` for each field; times in epoch ms). */
export interface CheckedTimeWindows {
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

const BATCH_ROWS = 10_000

/**
 * The messages of one window read: the `queue` of windows fetched `concurrency` at a time, a failed
 * window halved down to the minimum, each finished window emitted then checkpointed as `done`
 * (merged intervals) grew by it. Shared by `timeWindows` and the source of one of its partitions.
 *
 * @example
 * ```ts
 * import { readWindows, type CheckedTimeWindows } from './read-windows.js'
 * import { op } from '../op.js'
 * declare const o: CheckedTimeWindows
 * const messages = readWindows(o, (rows) => op.upsert(o.table, rows), [], [[0, 86_400_000]], {
 *   signal: new AbortController().signal, recordError: () => {}, state: undefined, configuration: {},
 * })
 * ```
 */
export async function* readWindows(
  o: CheckedTimeWindows,
  emit: (rows: readonly RowInput[]) => Message,
  saved: readonly Interval[],
  windows: readonly Interval[],
  { signal, recordError }: SourceReadArgs,
): AsyncGenerator<Message> {
  let done = [...saved]
  const queue = [...windows]
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
}

/** Epoch ms as ISO-8601 text (UTC). */
export const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * A gap cut into windows counted from its start (calendar steps never drift), the last one clipped.
 *
 * @example
 * ```ts
 * import { windowsOf } from './read-windows.js'
 * windowsOf([0, 250], { ms: 100 }) // [[0, 100], [100, 200], [200, 250]]
 * ```
 */
export function windowsOf([from, to]: Interval, step: CalendarStep): Interval[] {
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

/**
 * The state of finished intervals: `{ done: [[fromIso, toIso], …] }`.
 *
 * @example
 * ```ts
 * import { stateOf } from './read-windows.js'
 * stateOf([[0, 86_400_000]]) // { done: [['1970-01-01T00:00:00.000Z', '1970-01-02T00:00:00.000Z']] }
 * ```
 */
export function stateOf(done: readonly Interval[]): State {
  return { done: done.map(([a, b]) => [iso(a), iso(b)]) }
}

/**
 * The merged finished intervals of a saved state (`STATE_INVALID` when it is not `{ done: [[from, to], …] }`).
 *
 * @example
 * ```ts
 * import { savedIntervals } from './read-windows.js'
 * savedIntervals({ done: [['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z']] }, 'invoices')
 * ```
 */
export function savedIntervals(state: State | undefined, table: string): Interval[] {
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

function windowFailed(o: CheckedTimeWindows, window: Interval, error: unknown): SluiceError {
  const reason = error instanceof Error ? error.message : String(error)
  return new SluiceError({
    code: 'WINDOW_FAILED',
    message: `timeWindows(${o.table}): window [${iso(window[0])}, ${iso(window[1])}) still failed after ${o.maxRetries} tries at the minimum size (${o.minMs} ms); fix the cause, or set onError: 'continue' to record it and go on (it is tried again next sync): ${reason}`,
    context: { table: o.table, from: iso(window[0]), to: iso(window[1]), tries: o.maxRetries },
    cause: error,
  })
}
