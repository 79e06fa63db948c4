import type { SyncReport } from './sync-report.js'

/**
 * Asks for (or renews) a named lease until `now + ttlMs`. The same holder renews its own lease;
 * another holder gets it only once it expired (its process died without releasing it).
 *
 * @example
 * ```ts
 * import type { LeaseArgs } from 'sluice'
 * const args: LeaseArgs = { name: 'connector:shop', holder: 'host-1:4242:ab12', ttlMs: 60_000, now: Date.now() }
 * ```
 */
export interface LeaseArgs {
  readonly name: string
  readonly holder: string
  readonly ttlMs: number
  /** ms since the epoch, from the caller's clock (so tests can move time). */
  readonly now: number
}

/**
 * The answer to `acquireLease`: held until `expiresAt`, or held by someone else until then.
 *
 * @example
 * ```ts
 * import type { LeaseResult } from 'sluice'
 * const held = (r: LeaseResult) => (r.acquired ? 'mine' : `busy until ${new Date(r.expiresAt).toISOString()}`)
 * ```
 */
export type LeaseResult =
  | { readonly acquired: true; readonly expiresAt: number }
  | { readonly acquired: false; readonly holder: string; readonly expiresAt: number }

/**
 * A connector's persisted controls (what survives a restart).
 *
 * @example
 * ```ts
 * import type { ConnectorSettings } from 'sluice'
 * const s: ConnectorSettings = { paused: true, updatedAt: '2026-11-22T10:00:00.000Z' }
 * ```
 */
export interface ConnectorSettings {
  readonly paused: boolean
  readonly updatedAt: string
}

/**
 * The optional sink methods behind `createConnector`: sync history (`_sluice_syncs`), a lease so
 * one connector never syncs twice at once across processes sharing a destination
 * (`_sluice_leases`), and pause flags (`_sluice_connectors`). None of them needs an open sync.
 * Without the lease methods a connector only guards against overlap inside its own process.
 *
 * @example
 * ```ts
 * import { sqlite, type ConnectorStore } from 'sluice'
 * const store: ConnectorStore = sqlite({ path: 'warehouse.db' })
 * const last = await store.history?.({ connectorId: 'shop', limit: 1 })
 * ```
 */
export interface ConnectorStore {
  /** Finished syncs of a connector, newest first (at most `limit`, default 20). */
  history?(args: { readonly connectorId: string; readonly limit?: number }): Promise<SyncReport[]>
  /** Takes or renews the named lease (one atomic write): acquired, or who holds it and until when. */
  acquireLease?(args: LeaseArgs): Promise<LeaseResult>
  /** Gives a lease up (only if `holder` still holds it). */
  releaseLease?(args: { readonly name: string; readonly holder: string }): Promise<void>
  /** The connector's saved controls (`_sluice_connectors`); `undefined` for a connector never paused or resumed. */
  loadConnector?(args: { readonly connectorId: string }): Promise<ConnectorSettings | undefined>
  /** Saves the pause flag at once (outside any sync), so it survives a restart and other processes see it. */
  saveConnector?(args: { readonly connectorId: string; readonly paused: boolean }): Promise<void>
}
