import { booleanOption } from '../../core/check-option.js'
import { parseCheckpointEvery } from '../../core/checkpoint-every.js'
import { SluiceError } from '../../core/sluice-error.js'

/** The options every change-data-capture source shares, resolved: how it runs and when it checkpoints. */
export interface ChangeStreamPlan {
  /** Keep streaming until the sync's signal aborts (false: stop at the server position seen at the start). */
  readonly continuous: boolean
  /** Checkpoint at the first commit boundary after this many changes … */
  readonly checkpointRows: number
  /** … or this many milliseconds. */
  readonly checkpointMs: number
}

/**
 * Validates `continuous` and `checkpointEvery: { rows?, ms? }` of a `replication` option (defaults
 * false, 10_000 rows, 1_000 ms); throws `CONFIG_INVALID` naming the option under `at`.
 */
export function parseChangeStream(options: { readonly continuous?: unknown; readonly checkpointEvery?: unknown }, at: string): ChangeStreamPlan {
  const every = parseCheckpointEvery(options.checkpointEvery, `${at}.checkpointEvery`)
  return { continuous: booleanOption(`${at}.continuous`, options.continuous ?? false), checkpointRows: every.rows, checkpointMs: every.ms }
}

/**
 * Refuses `cursor` and `lookback` on the tables of a change-data-capture source: every change
 * arrives from the server's log, so either would be accepted and ignored.
 */
export function refuseCursorTables(tables: readonly unknown[], where: string, log: string): void {
  for (const [i, entry] of tables.entries()) {
    if (typeof entry !== 'object' || entry === null) continue // a bare table name
    const t = entry as { readonly table?: unknown; readonly cursor?: unknown; readonly lookback?: unknown }
    for (const option of ['cursor', 'lookback'] as const) {
      if (t[option] === undefined) continue
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `${where}.tables[${i}].${option} (table ${JSON.stringify(t.table)}): with replication every change, deletes included, is read from the ${log}, so a table has no ${option}; remove it (or remove replication to read by cursor)`,
        context: { option: `${where}.tables[${i}].${option}`, table: t.table },
      })
    }
  }
}
