import type { Duration } from '../core/duration.js'
import type { State } from '../core/message.js'
import type { FleetRun, Sink } from '../contracts/sink.js'
import type { Configuration, SourceLike } from '../contracts/source.js'
import type { Stage } from '../contracts/stage.js'
import type { StateStore } from '../contracts/state-store.js'
import type { SyncReport } from '../contracts/sync-report.js'
import type { MarOptions } from '../mar/mar-options.js'
import type { MarThresholdEvent } from '../mar/metered-sink.js'

/** Handlers for sync events. A handler that throws is ignored: events never fail a sync. */
export interface SyncEvents {
  /** The sync opened its destination; `state` is where it resumes (`undefined`: from the beginning). */
  syncStart?(event: { connectorId: string; syncId: string; state: State | undefined }): void
  /** A checkpoint committed: its rows and state are durable. `rows` counts rows so far in this sync. */
  checkpoint?(event: { connectorId: string; syncId: string; state: State; rows: number }): void
  /** A table or column was created or widened in the destination. */
  schemaChange?(event: { connectorId: string; table: string; change: unknown }): void
  /** The sync ended with status `succeeded` or `stopped` (resumable). */
  syncComplete?(report: SyncReport): void
  /** The sync failed; `report.error` says why. What the last checkpoint committed stays. */
  syncError?(report: SyncReport): void
  /** A monthly MAR budget threshold was crossed (with `mar.budget`): once per threshold and month, after the commit. */
  marThreshold?(event: MarThresholdEvent): void
}

/** Options of {@link sync}. */
export interface SyncOptions {
  readonly source: SourceLike
  readonly destination: Sink
  readonly stages?: readonly Stage[]
  /** Key of state and history (default: the source's id, else `'default'`). */
  readonly connectorId?: string
  readonly configuration?: Configuration
  /** Where state lives when not in the destination; with a destination that keeps state it is a mirror. */
  readonly state?: StateStore
  /** Stop at the first checkpoint after this long (serverless: leave room before the platform's limit). */
  readonly deadline?: Duration
  /** Graceful stop at the next checkpoint when aborted. */
  readonly signal?: AbortSignal
  /** How long after a stop request (deadline or abort) to wait for a checkpoint before aborting the source (default 10% of the deadline, at most 10 s). */
  readonly grace?: Duration
  readonly on?: SyncEvents
  /** Meter Monthly Active Rows into the destination (exact unless `mode: 'approximate'`), with an optional budget. */
  readonly mar?: MarOptions
  /**
   * This sync is one fleet worker's job (see `FleetRun`): fenced by `epoch` (from the
   * destination's `fence`), maybe one partition of a backfill or its completion. A destination
   * without `fence` can't honour it: `CONFIG_INVALID`.
   */
  readonly fleet?: FleetRun
}
