import type { Json, State } from '../../../core/message.js'
import { SluiceError } from '../../../core/sluice-error.js'

/**
 * The saved position of a Postgres CDC source, committed with the data:
 * - `snapshot`: reading the tables (keyset progress in `tables`, as `readKeyset` keeps it) as of
 *   the slot's `consistentPoint`, from which the stream starts afterwards;
 * - `stream`: every change committed up to `lsn` (a commit's end) is in the destination.
 * `snapshotted` lists the tables whose initial copy is done (a table added later gets its own).
 */
export interface CdcState {
  readonly slot: string
  readonly phase: 'snapshot' | 'stream'
  readonly lsn?: string
  readonly consistentPoint?: string
  readonly tables?: Json
  readonly snapshotted?: readonly string[]
}

/** The CDC part of a saved state; undefined on a first sync; anything else is `STATE_INVALID`. */
export function loadCdcState(saved: State | undefined): CdcState | undefined {
  if (saved === undefined || Object.keys(saved).length === 0) return undefined
  const cdc = saved.cdc as Record<string, Json> | undefined
  const ok =
    typeof cdc === 'object' && cdc !== null && !Array.isArray(cdc) &&
    typeof cdc.slot === 'string' &&
    (cdc.phase === 'snapshot' ? typeof cdc.consistentPoint === 'string' : cdc.phase === 'stream' && typeof cdc.lsn === 'string') &&
    (cdc.snapshotted === undefined || (Array.isArray(cdc.snapshotted) && cdc.snapshotted.every((t) => typeof t === 'string')))
  if (!ok) {
    throw new SluiceError({
      code: 'STATE_INVALID',
      message: 'postgres replication: the saved state is not { cdc: { slot, phase, lsn | consistentPoint } } (was this connector read by keyset before? reset it to start over with a snapshot)',
    })
  }
  return cdc as unknown as CdcState
}

/** A state to checkpoint. */
export function cdcState(s: CdcState): State {
  return { cdc: JSON.parse(JSON.stringify(s)) as Json }
}
