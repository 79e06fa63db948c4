import type { MarMode } from '../../contracts/mar-store.js'

/** Folder (under the sink's directory) of the MAR segment files. */
export const MAR_DIR = '_sluice/mar'

/**
 * One MAR bucket (connector, table, month) as a commit left it, in the manifest of the sync that
 * committed it: the month's count after that commit, and the segment holding what it added (the
 * new keys in exact mode, the whole merged sketch in approximate mode). The count lives in the
 * manifest, so it commits with the data; the segment is written before the manifest, so a
 * manifest never names a segment that is not durable.
 */
export interface MarEntry {
  readonly table: string
  /** `'YYYY-MM'`, UTC. */
  readonly month: string
  readonly mode: MarMode
  /** The bucket's MAR after this commit. */
  readonly rows: number
  /** Commit sequence number of the checkpoint that committed it. */
  readonly seq: number
  /** Segment file, relative to the sink's directory (`/`-separated). */
  readonly path: string
  /** Exact mode: how many keys the segment holds (8 bytes each), to tell a damaged segment. */
  readonly keys?: number
}

/** A budget threshold marked as fired, committed with the checkpoint that crossed it. */
export interface MarThresholdEntry {
  readonly month: string
  readonly threshold: number
  readonly rows: number
  readonly firedAt: string
}
