/** How a sync ended: all read and written; stopped at a checkpoint (deadline, abort, budget); or failed. */
export type SyncStatus = 'succeeded' | 'stopped' | 'failed'

/** Rows per operation for one table; `truncates` counts truncate calls. */
export interface TableCounts {
  upserts: number
  updates: number
  deletes: number
  truncates: number
}

/**
 * What a sync did, JSON-safe and free of secrets: the same shape lands in `_sluice_syncs`.
 *
 * @example
 * ```ts
 * import { fromIterable, memory, sync } from 'sluice'
 * const report = await sync({ source: fromIterable('t', [{ id: 1 }]), destination: memory() })
 * report.tables.t?.upserts // 1
 * ```
 */
export interface SyncReport {
  status: SyncStatus
  connectorId: string
  syncId: string
  startedAt: string
  endedAt: string
  durationMs: number
  /** Rows written: upserts + updates + deletes. */
  rows: number
  checkpoints: number
  schemaChanges: number
  /** Records and requests skipped by an `onError: 'continue'` policy (see `_sluice_errors`). */
  errors?: number
  /** Per table: every declared table the sync writes (zeros when nothing changed; not those a `select()` blocks) and every other table written. */
  tables: Record<string, TableCounts>
  /** Newly active rows this sync per table (with MAR metering). */
  mar?: Record<string, number>
  /** Why a sync stopped early. */
  stopReason?: 'deadline' | 'aborted' | (string & {})
  error?: { code: string; message: string; retryable: boolean; context: Record<string, unknown> }
  /** Where a change-data-capture source stands at the end of the sync (`Source.replication`): slot lag and retained WAL. */
  replication?: ReplicationStatus
}

/**
 * Where a change-data-capture source stands, measured at the end of a sync: the position committed
 * with the data, the server's current position, and what the server keeps for it.
 *
 * @example
 * ```ts
 * import type { ReplicationStatus } from 'sluice'
 * const status: ReplicationStatus = { kind: 'postgres-logical', slot: 'sluice_shop', position: '0/16B3748', serverPosition: '0/16B3780', lagBytes: 56, retainedWalBytes: 56 }
 * ```
 */
export interface ReplicationStatus {
  /** Which replication stream. */
  readonly kind: 'postgres-logical' | 'mysql-binlog'
  /** The Postgres replication slot read. */
  readonly slot?: string
  /** The position committed with the data: a Postgres LSN (`0/16B3748`), or `file:offset` / a GTID set for MySQL. */
  readonly position: string
  /** The server's current write position when measured (`pg_current_wal_lsn()`, `SHOW MASTER STATUS`). */
  readonly serverPosition?: string
  /** Bytes between the committed position and the server's current position (when both are in one file/timeline). */
  readonly lagBytes?: number
  /** WAL bytes the slot keeps on the server (from its `restart_lsn`); `undefined` when unknown. */
  readonly retainedWalBytes?: number
  /** `pg_replication_slots.wal_status` (`reserved`, `extended`, `unreserved`, `lost`). */
  readonly walStatus?: string
}
