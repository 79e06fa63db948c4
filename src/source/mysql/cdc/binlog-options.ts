import { knownOptions, oneOf, positiveInteger, positiveMs } from '../../../core/check-option.js'
import { SluiceError } from '../../../core/sluice-error.js'
import type { DatabaseTable } from '../../sql/table-options.js'

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
export interface BinlogPlan {
  readonly serverId: number | undefined
  readonly continuous: boolean
  readonly checkpointRows: number
  readonly checkpointMs: number
  readonly onPositionLost: 'fail' | 'resnapshot'
}

const WHERE = 'mysqlSource.replication'

/** Validates `replication` and the tables it goes with (no `cursor`/`lookback`); throws `CONFIG_INVALID`. */
export function parseBinlogReplication(value: unknown, tables: readonly unknown[]): BinlogPlan {
  for (const [i, t] of tables.entries()) {
    if (typeof t !== 'object' || t === null) continue
    for (const option of ['cursor', 'lookback'] as const) {
      if ((t as DatabaseTable)[option] !== undefined) {
        throw new SluiceError({
          code: 'CONFIG_INVALID',
          message: `mysqlSource.tables[${i}].${option}: with replication every change is read from the binlog, so a table has no ${option}; remove it (or remove replication to read by cursor)`,
          context: { option: `mysqlSource.tables[${i}].${option}` },
        })
      }
    }
  }
  if (value === 'binlog') return { serverId: undefined, continuous: false, checkpointRows: 10_000, checkpointMs: 1_000, onPositionLost: 'fail' }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${WHERE} must be 'binlog' or { serverId?, continuous?, checkpointEvery?, onPositionLost? }, got ${JSON.stringify(value) ?? String(value)}`,
      context: { option: WHERE },
    })
  }
  const r = value as BinlogReplication
  knownOptions(r, { serverId: true, continuous: true, checkpointEvery: true, onPositionLost: true }, WHERE)
  if (r.serverId !== undefined && (positiveInteger(`${WHERE}.serverId`, r.serverId) > 4_294_967_295)) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${WHERE}.serverId must be at most 4294967295, got ${r.serverId}`, context: { option: `${WHERE}.serverId` } })
  }
  if (r.continuous !== undefined && typeof r.continuous !== 'boolean') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${WHERE}.continuous must be true or false, got ${JSON.stringify(r.continuous)}`, context: { option: `${WHERE}.continuous` } })
  }
  const every = r.checkpointEvery ?? {}
  if (typeof every !== 'object' || every === null) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${WHERE}.checkpointEvery must be { rows?, ms? }`, context: { option: `${WHERE}.checkpointEvery` } })
  }
  knownOptions(every, { rows: true, ms: true }, `${WHERE}.checkpointEvery`)
  return {
    serverId: r.serverId,
    continuous: r.continuous ?? false,
    checkpointRows: every.rows === undefined ? 10_000 : positiveInteger(`${WHERE}.checkpointEvery.rows`, every.rows),
    checkpointMs: every.ms === undefined ? 1_000 : positiveMs(`${WHERE}.checkpointEvery.ms`, every.ms),
    onPositionLost: r.onPositionLost === undefined ? 'fail' : oneOf(`${WHERE}.onPositionLost`, r.onPositionLost, ['fail', 'resnapshot']),
  }
}
