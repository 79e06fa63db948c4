import type { LeaseHolder, MarThresholdFired } from '../contracts/ops-reader.js'
import type { ReplicationStatus, SyncReport, TableCounts } from '../contracts/sync-report.js'

/** One finished sync as the page and the API show it. */
export interface SyncFacts {
  readonly syncId: string
  readonly status: SyncReport['status']
  readonly startedAt: string
  readonly endedAt: string
  readonly durationMs: number
  readonly rows: number
  /** Rows it recorded in `_sluice_errors`. */
  readonly errors?: number
  readonly stopReason?: string
  readonly error?: { readonly code: string; readonly message: string }
  readonly tables: Record<string, TableCounts>
  /** Where a change-data-capture connector's replication stood at the end of the sync. */
  readonly replication?: ReplicationStatus
}

/**
 * Everything known about one connector now, shared by the page, the REST API, `/metrics` and
 * `sluice status`.
 *
 * @example
 * ```ts
 * import type { ConnectorFacts } from 'sluice/serve'
 * const red = (c: ConnectorFacts) => c.late || c.state === 'failing'
 * ```
 */
export interface ConnectorFacts {
  readonly id: string
  readonly warehouse: string
  readonly state: 'idle' | 'syncing' | 'paused' | 'failing'
  readonly paused: boolean
  readonly schedule?: string
  /** Interval of the schedule in minutes (Fivetran's `sync_frequency`), rounded. */
  readonly syncFrequencyMinutes?: number
  readonly nextRunAt?: string
  readonly lastSuccessAt?: string
  readonly lastFailureAt?: string
  readonly freshnessLagMs?: number
  readonly late: boolean
  readonly marThisMonth: number
  readonly lastSync?: SyncFacts
  readonly canSync: boolean
}

/** A fleet's workers and its queues' job counts by state (`waiting`, `active`, `delayed`, `failed`, …). */
export interface FleetFacts {
  readonly workers: { readonly name: string; readonly queue: string; readonly idleSeconds?: number }[]
  readonly queues: Record<string, Record<string, number>>
}

/** The page's overview: every connector and every lease held now. */
export interface Overview {
  readonly generatedAt: string
  readonly connectors: ConnectorFacts[]
  readonly leases: LeaseHolder[]
  /** The fleet's workers and queue depths, when the server was given a fleet. */
  readonly fleet?: FleetFacts
  /** Targets that could not be read now (a DuckDB file another process holds, a database that is down): their connectors are left out. */
  readonly unavailable?: { readonly warehouse: string; readonly code: string; readonly message: string }[]
}

/** MAR of one connector: every month and table, the budget and the thresholds that fired. */
export interface MarFacts {
  readonly usage: { readonly month: string; readonly table: string; readonly rows: number; readonly approximate: boolean }[]
  readonly budget?: { readonly monthly: number; readonly warnAt: number[] }
  readonly thresholds: Pick<MarThresholdFired, 'month' | 'threshold' | 'rows' | 'firedAt'>[]
}

/**
 * A finished sync's report as the page and the API show it (no context, checkpoints or MAR detail).
 *
 * @example
 * ```ts
 * import { syncFacts } from './connector-facts.js'
 * import type { SyncReport } from '../contracts/sync-report.js'
 * declare const report: SyncReport
 * syncFacts(report).rows
 * ```
 */
export function syncFacts(r: SyncReport): SyncFacts {
  return {
    syncId: r.syncId,
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationMs: r.durationMs,
    rows: r.rows,
    ...(r.errors ? { errors: r.errors } : {}),
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
    tables: r.tables,
    ...(r.replication ? { replication: r.replication } : {}),
  }
}
