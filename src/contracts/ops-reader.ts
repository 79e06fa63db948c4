import type { ErrorRecord } from '../core/error-record.js'
import type { MarFilter } from './mar-store.js'

/**
 * A lease held now: who runs what until when.
 *
 * @example
 * ```ts
 * import type { LeaseHolder } from 'sluice'
 * const line = (l: LeaseHolder) => `${l.name} held by ${l.holder} until ${l.expiresAt}`
 * ```
 */
export interface LeaseHolder {
  /** The lease's name, `connector:<id>` for a connector's sync. */
  readonly name: string
  readonly holder: string
  /** ISO-8601 time the lease runs out unless renewed. */
  readonly expiresAt: string
}

/**
 * A MAR budget threshold that fired (a row of `_sluice_mar_thresholds`).
 *
 * @example
 * ```ts
 * import type { MarThresholdFired } from 'sluice'
 * const pct = (t: MarThresholdFired) => `${t.threshold * 100}% of the budget at ${t.rows} rows`
 * ```
 */
export interface MarThresholdFired {
  readonly connectorId: string
  readonly month: string
  /** Fraction of the monthly budget, e.g. 0.8. */
  readonly threshold: number
  /** MAR when it fired. */
  readonly rows: number
  readonly firedAt: string
}

/**
 * A `_sluice_errors` row with the sync it belongs to.
 *
 * @example
 * ```ts
 * import type { SyncErrorRow } from 'sluice'
 * const line = (e: SyncErrorRow) => `${e.syncId} ${e.table ?? '-'} [${e.code}] ${e.message}`
 * ```
 */
export interface SyncErrorRow extends ErrorRecord {
  readonly connectorId: string
  readonly syncId: string
  readonly createdAt: string
}

/**
 * Read-only views of a destination's operations tables, for monitoring (`sluice serve`,
 * `sluice status`): which connectors it knows, the leases held now, the errors of one sync and the
 * MAR thresholds that fired. Every SQL destination (SQLite, DuckDB, Postgres) and `memory` have them; they are
 * optional methods, like the other store roles of a sink: a reader without them shows less, never fails.
 *
 * @example
 * ```ts
 * import type { OpsReader } from 'sluice'
 * const held = async (r: OpsReader) => ((await r.leases?.({ now: Date.now() })) ?? []).map((l) => l.holder)
 * ```
 */
export interface OpsReader {
  /** Connector ids found in state, sync history, MAR and pause flags, sorted. */
  connectors?(): Promise<string[]>
  /** Leases whose expiry is after `now` (ms since the epoch). */
  leases?(args: { readonly now: number }): Promise<LeaseHolder[]>
  /** The `_sluice_errors` rows of one sync, oldest first (at most `limit`, default 1,000). */
  syncErrors?(args: { readonly connectorId: string; readonly syncId: string; readonly limit?: number }): Promise<SyncErrorRow[]>
  /** Thresholds fired, oldest first. */
  marThresholds?(args: MarFilter): Promise<MarThresholdFired[]>
}
