import { booleanOption, knownKeys, oneOf } from '../../../core/check-option.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { parseChangeStream, refuseCursorTables, type ChangeStreamPlan } from '../../sql/change-stream-options.js'

/**
 * Change data capture for {@link postgresSource}: `'logical'` for the defaults, or the options.
 *
 * @example
 * ```ts
 * import type { PostgresReplication } from 'sluice/postgres'
 * const replication: PostgresReplication = { slot: 'sluice_shop', continuous: true, checkpointEvery: { rows: 50_000, ms: 5_000 } }
 * ```
 */
export type PostgresReplication =
  | 'logical'
  | {
      /** Replication slot (default `sluice_<id>`, sanitised to `[a-z0-9_]`, at most 63 characters). */
      readonly slot?: string
      /** Publication (default: the slot's name). */
      readonly publication?: string
      /** Create the slot and publication when missing (default true); false fails with the SQL to run instead. */
      readonly create?: boolean
      /** A slot dropped or invalidated (`wal_status = 'lost'`): fail with `REPLICATION_SLOT_LOST` (default), or re-snapshot every table. */
      readonly onSlotLost?: 'fail' | 'resnapshot'
      /** Keep streaming until the sync's signal aborts (default false: stop at the server position seen at the start). */
      readonly continuous?: boolean
      /** Checkpoint (commit and acknowledge) after this many changes or milliseconds, at a commit boundary (default 10_000 rows, 1_000 ms). */
      readonly checkpointEvery?: { readonly rows?: number; readonly ms?: number }
    }

/** The replication options resolved. */
export interface ReplicationPlan extends ChangeStreamPlan {
  readonly slot: string
  readonly publication: string
  readonly create: boolean
  readonly onSlotLost: 'fail' | 'resnapshot'
}

/** `sluice_<id>` as a slot name: `[a-z0-9_]`, at most 63 characters. */
export function defaultSlot(id: string): string {
  return `sluice_${id}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63)
}

const NAME = /^[a-z0-9_]{1,63}$/

/** Validates `replication` and the tables it reads (no cursor, no lookback); throws `CONFIG_INVALID`. */
export function parseReplication(value: unknown, id: string, tables: readonly unknown[], where: string): ReplicationPlan {
  const at = `${where}.replication`
  if (value !== 'logical' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `\`${at}\` must be 'logical' or { slot?, publication?, create?, onSlotLost?, continuous?, checkpointEvery? }, got ${JSON.stringify(value) ?? String(value)}`,
      context: { option: at },
    })
  }
  refuseCursorTables(tables, where, 'WAL')
  const o = (value === 'logical' ? {} : value) as Exclude<PostgresReplication, 'logical'>
  knownKeys(o, ['slot', 'publication', 'create', 'onSlotLost', 'continuous', 'checkpointEvery'], at)
  const name = (key: 'slot' | 'publication', fallback: string) => {
    const v = o[key] ?? fallback
    if (typeof v !== 'string' || !NAME.test(v)) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`${at}.${key}\` must be 1 to 63 characters of a-z, 0-9 and _, got ${JSON.stringify(v)}`, context: { option: `${at}.${key}` } })
    }
    return v
  }
  const slot = name('slot', defaultSlot(id))
  return {
    slot,
    publication: name('publication', slot),
    create: booleanOption(`${at}.create`, o.create ?? true),
    onSlotLost: oneOf(`${at}.onSlotLost`, o.onSlotLost ?? 'fail', ['fail', 'resnapshot'] as const),
    ...parseChangeStream(o, at),
  }
}
