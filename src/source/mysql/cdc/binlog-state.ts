import type { Json, State } from '../../../core/message.js'
import { SluiceError } from '../../../core/sluice-error.js'
import type { BinlogPosition } from './binlog-server.js'

/**
 * The state a binlog source commits with the data: the phase, the binlog position to stream
 * from (during the snapshot: the one read before the copy began), and the keyset progress of the
 * copy as `readKeyset` keeps it.
 */
export interface BinlogState extends BinlogPosition {
  readonly phase: 'snapshot' | 'stream'
  readonly tables?: Json
}

/** The saved state, `undefined` on a first sync; any other shape is `STATE_INVALID`. */
export function loadBinlogState(saved: State | undefined): BinlogState | undefined {
  if (saved === undefined || Object.keys(saved).length === 0) return undefined
  const cdc = saved.cdc as Record<string, unknown> | undefined
  if (
    typeof cdc !== 'object' || cdc === null || Array.isArray(cdc) ||
    (cdc.phase !== 'snapshot' && cdc.phase !== 'stream') ||
    typeof cdc.file !== 'string' || typeof cdc.pos !== 'number' ||
    (cdc.tables !== undefined && (typeof cdc.tables !== 'object' || cdc.tables === null))
  ) {
    throw new SluiceError({
      code: 'STATE_INVALID',
      message: 'mysqlSource with replication: the saved state is not { cdc: { phase, file, pos } } (was the connector read by keyset before?); reset the connector to copy the tables again',
    })
  }
  return cdc as unknown as BinlogState
}

/** The state to checkpoint. */
export function binlogState(s: BinlogState): State {
  return { cdc: { phase: s.phase, file: s.file, pos: s.pos, ...(s.tables !== undefined ? { tables: s.tables } : {}) } }
}
