import type { Stage } from '../contracts/stage.js'
import { matchColumn } from '../core/match-column.js'
import { knownOptions } from '../core/check-option.js'

/**
 * How a running sync is going: the table being written, rows so far, rows per second, elapsed
 * time, and the checkpoints committed (with the rows they cover). JSON-safe.
 *
 * @example
 * ```ts
 * import type { ProgressSnapshot } from 'sluice'
 * const line = (p: ProgressSnapshot) => `${p.table} · ${p.rows} rows · ${Math.round(p.rowsPerSecond)} rows/s`
 * ```
 */
export interface ProgressSnapshot {
  readonly table: string
  readonly rows: number
  readonly rowsPerSecond: number
  readonly elapsedMs: number
  readonly checkpoints: number
  /** Rows covered by the last committed checkpoint (sync's `checkpoint` event `rows`). */
  readonly committedRows: number
}

/**
 * Options of {@link progressTracker}.
 *
 * @example
 * ```ts
 * import type { ProgressTrackerOptions } from 'sluice'
 * const options: ProgressTrackerOptions = { intervalMs: 2000, onProgress: (p) => console.error(p.rows) }
 * ```
 */
export interface ProgressTrackerOptions {
  /** Called at most every `intervalMs` while rows flow, and at every checkpoint. */
  readonly onProgress?: (snapshot: ProgressSnapshot) => void
  /** Least time between two `onProgress` calls for rows, ms. Default 1000. */
  readonly intervalMs?: number
  /** Clock for elapsed time and rates. Default `Date.now`. */
  readonly now?: () => number
}

/**
 * A progress tracker made by {@link progressTracker}: a pass-through stage that counts rows,
 * fed by sync's `checkpoint` event, with the latest `snapshot()`.
 *
 * @example
 * ```ts
 * import type { ProgressTracker } from 'sluice'
 * const show = (t: ProgressTracker) => t.snapshot().rows
 * ```
 */
export interface ProgressTracker {
  /** Put it last in the stages: it then counts exactly the rows the sink gets. */
  readonly stage: Stage
  /** Call from sync's `checkpoint` event (the same event the CLI's progress line uses). */
  checkpoint(event: { readonly rows: number }): void
  /** How the sync is going now (computed when called; no timer runs). */
  snapshot(): ProgressSnapshot
}

/**
 * Tracks progress of a sync for a UI, a log line or a metrics gauge, without timers: it reports
 * as rows pass (throttled to `intervalMs`) and at each checkpoint. `createConnector` runs one per
 * sync and emits its snapshots as `progress` events.
 *
 * @example
 * ```ts
 * import { fromIterable, memory, progressTracker, sync } from 'sluice'
 * const progress = progressTracker({ onProgress: (p) => console.error(`${p.table}: ${p.rows} rows`) })
 * await sync({
 *   source: fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }),
 *   destination: memory(),
 *   stages: [progress.stage],
 *   on: { checkpoint: (e) => progress.checkpoint(e) },
 * })
 * ```
 */
export function progressTracker(options: ProgressTrackerOptions = {}): ProgressTracker {
  knownOptions(options, { onProgress: true, intervalMs: true, now: true }, 'progressTracker')
  const now = options.now ?? Date.now
  const intervalMs = options.intervalMs ?? 1000
  let started: number | undefined
  let table = ''
  let rows = 0
  let checkpoints = 0
  let committedRows = 0
  let reported = -Infinity

  const snapshot = (): ProgressSnapshot => {
    const elapsedMs = started === undefined ? 0 : Math.max(0, now() - started)
    return { table, rows, rowsPerSecond: elapsedMs > 0 ? (rows / elapsedMs) * 1000 : 0, elapsedMs, checkpoints, committedRows }
  }
  const report = (force: boolean) => {
    if (!options.onProgress) return
    const t = now()
    if (!force && t - reported < intervalMs) return
    reported = t
    try {
      options.onProgress(snapshot())
    } catch {
      // A progress display must not fail the sync it shows.
    }
  }
  const stage: Stage = (messages) =>
    (async function* () {
      started ??= now()
      for await (const message of messages) {
        if (message.kind === 'records' && matchColumn(message) === undefined) { // a match delete names parents, not rows
          table = message.table
          rows += message.batch.length
          report(false)
        }
        yield message
      }
    })()
  return {
    stage,
    checkpoint(event) {
      checkpoints++
      committedRows = event.rows
      report(true)
    },
    snapshot,
  }
}
