import { knownOptions, oneOf, positiveInteger } from '../../../core/check-option.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { parseChangeStream, refuseCursorTables, type ChangeStreamPlan } from '../../sql/change-stream-options.js'

/**
 * `mysqlSource({ replication })`: read changes from the binlog instead of keyset reads.
 * `'binlog'` takes every default.
 *
 * @example
 * ```ts
 * import type { BinlogReplication } from 'sluice/mysql'
 * const replication: BinlogReplication = { continuous: true, checkpointEvery: { rows: 5_000, ms: 500 } }
 * ```
 */
export interface BinlogReplication {
  /** The replica id sluice reads the binlog as; must differ from every server's and replica's `server_id`. Default: derived from the connector id (stable). */
  readonly serverId?: number
  /** Keep streaming until the sync is stopped (services, `createConnector`); default false: stop at the binlog position seen at the start. */
  readonly continuous?: boolean
  /** Checkpoint after this many changed rows or this many ms, whichever first, always at a transaction commit. Default `{ rows: 10_000, ms: 1_000 }`. */
  readonly checkpointEvery?: { readonly rows?: number; readonly ms?: number }
  /** The saved binlog file was purged by the server: fail (default), or copy the tables again and stream from now. */
  readonly onPositionLost?: 'fail' | 'resnapshot'
}

/** The replication options with every default filled in (`serverId` undefined: derived from the id). */
export interface BinlogPlan extends ChangeStreamPlan {
  readonly serverId: number | undefined
  readonly onPositionLost: 'fail' | 'resnapshot'
}

const WHERE = 'mysqlSource.replication'

/** Validates `replication` and the tables it goes with (no `cursor`/`lookback`); throws `CONFIG_INVALID`. */
export function parseBinlogReplication(value: unknown, tables: readonly unknown[]): BinlogPlan {
  refuseCursorTables(tables, 'mysqlSource', 'binlog')
  if (value !== 'binlog' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${WHERE} must be 'binlog' or { serverId?, continuous?, checkpointEvery?, onPositionLost? }, got ${JSON.stringify(value) ?? String(value)}`,
      context: { option: WHERE },
    })
  }
  const r = (value === 'binlog' ? {} : value) as BinlogReplication
  knownOptions(r, { serverId: true, continuous: true, checkpointEvery: true, onPositionLost: true }, WHERE)
  if (r.serverId !== undefined && (positiveInteger(`${WHERE}.serverId`, r.serverId) > 4_294_967_295)) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${WHERE}.serverId must be at most 4294967295, got ${r.serverId}`, context: { option: `${WHERE}.serverId` } })
  }
  return {
    serverId: r.serverId,
    onPositionLost: oneOf(`${WHERE}.onPositionLost`, r.onPositionLost ?? 'fail', ['fail', 'resnapshot']),
    ...parseChangeStream(r, WHERE),
  }
}
