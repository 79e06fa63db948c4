import type { CheckResult } from '../contracts/check.js'
import type { ProgressSnapshot } from '../log/progress-tracker.js'
import type { Logger } from '../log/logger.js'
import type { MarThresholdEvent } from '../mar/metered-sink.js'
import type { SyncEvents } from '../sync/sync-options.js'
import type { SyncReport } from '../contracts/sync-report.js'

/**
 * A sync of a connector that did not run, and why: another run holds the connector (here or in
 * another process sharing the destination), or the connector is paused.
 *
 * @example
 * ```ts
 * import type { SkippedRun } from 'sluice'
 * const explain = (r: SkippedRun) => `${r.connectorId}: ${r.reason} — ${r.message}`
 * ```
 */
export interface SkippedRun {
  readonly status: 'skipped'
  readonly connectorId: string
  /** `CHECK_FAILED`: `createConnector({ check })` ran the connection checks before the sync and one failed. */
  readonly reason: 'ALREADY_RUNNING' | 'PAUSED' | 'CHECK_FAILED'
  readonly message: string
  /** With `CHECK_FAILED`: every check's result, the failed ones with what to change. */
  readonly checks?: readonly CheckResult[]
}

/**
 * The events of a connector and what each handler gets: the sync events of `sync()`, plus
 * `progress` (rows, rows/s, table, elapsed — throttled) and `syncSkipped`.
 *
 * @example
 * ```ts
 * import type { ConnectorEventMap } from 'sluice'
 * const onComplete = (report: ConnectorEventMap['syncComplete']) => console.log(report.rows)
 * ```
 */
export interface ConnectorEventMap {
  syncStart: Parameters<NonNullable<SyncEvents['syncStart']>>[0]
  checkpoint: Parameters<NonNullable<SyncEvents['checkpoint']>>[0]
  schemaChange: Parameters<NonNullable<SyncEvents['schemaChange']>>[0]
  syncComplete: SyncReport
  syncError: SyncReport
  marThreshold: MarThresholdEvent
  progress: ProgressSnapshot & { readonly connectorId: string }
  syncSkipped: SkippedRun
}

/** A connector event name. */
export type ConnectorEvent = keyof ConnectorEventMap

/**
 * A minimal typed event hub: `on` returns the unsubscribe function; a handler that throws is
 * logged and ignored, so user code can't break a sync or the scheduler.
 */
export class ConnectorEmitter {
  readonly #handlers = new Map<ConnectorEvent, Set<(event: never) => void>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  on<E extends ConnectorEvent>(event: E, handler: (payload: ConnectorEventMap[E]) => void): () => void {
    let set = this.#handlers.get(event)
    if (!set) this.#handlers.set(event, (set = new Set()))
    const h = handler as (event: never) => void
    set.add(h)
    return () => void set.delete(h)
  }

  emit<E extends ConnectorEvent>(event: E, payload: ConnectorEventMap[E]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      try {
        ;(handler as (p: ConnectorEventMap[E]) => void)(payload)
      } catch (error) {
        this.#logger.warn({ event, error }, 'connector event handler threw; ignored')
      }
    }
  }
}
