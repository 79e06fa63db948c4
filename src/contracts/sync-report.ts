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
}
