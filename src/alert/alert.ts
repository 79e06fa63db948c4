import type { SyncStatus } from '../contracts/sync-report.js'

/** Why an alert is sent: a failure streak began, it ended, or a MAR budget threshold was crossed. */
export type AlertType = 'syncError' | 'syncRecovered' | 'marThreshold'

/**
 * What an alert says, JSON-safe and free of secrets: the body a webhook posts.
 *
 * @example
 * ```ts
 * import type { AlertEvent } from 'sluice'
 * const e: AlertEvent = { type: 'syncError', connector: 'shop', at: '2026-11-22T10:00:00.000Z', status: 'failed',
 *   error: { code: 'HTTP_STATUS', message: 'GET /orders: 503' }, rows: 0 }
 * ```
 */
export interface AlertEvent {
  readonly type: AlertType
  readonly connector: string
  /** When it happened (ISO-8601, UTC). */
  readonly at: string
  readonly status?: SyncStatus
  readonly syncId?: string
  readonly error?: { readonly code: string; readonly message: string }
  /** Rows written by the sync. */
  readonly rows?: number
  /** Newly active rows per table (this sync), or the month's MAR for `marThreshold`. */
  readonly mar?: Readonly<Record<string, number>>
  /** Failed syncs in the streak so far (on `syncError` and `syncRecovered`). */
  readonly failures?: number
  readonly threshold?: { readonly month: string; readonly fraction: number; readonly budget: number; readonly rows: number; readonly approximate: boolean }
}

/**
 * Where alerts go (`webhook(...)`, `log(...)`, your own). `notify` must return at once and
 * never throw: alerts are fire-and-forget and never block or fail a sync. `flush` waits until
 * everything queued was delivered or given up on (tests, shutdown).
 *
 * @example
 * ```ts
 * import type { Alert } from 'sluice'
 * const seen: unknown[] = []
 * const alert: Alert = { name: 'memory', notify: (e) => void seen.push(e), flush: async () => {} }
 * ```
 */
export interface Alert {
  readonly name: string
  /** Sends `event` in the background: returns at once and never throws. */
  notify(event: AlertEvent): void
  /** Resolves once every alert sent so far has been delivered or given up on. */
  flush(): Promise<void>
  /** Releases sockets; `connector.stop()` calls it after a last flush. */
  close?(): Promise<void>
}
