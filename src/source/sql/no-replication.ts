import { SluiceError } from '../../core/sluice-error.js'

/**
 * Refuses `replication` (CDC: `'logical'` for Postgres, `'binlog'` for MySQL) until sluice reads a
 * replication stream. Left as an unknown option it would be ignored, and the sync would quietly run
 * keyset reads instead, missing hard deletes: CDC is an open issue, not a mode to downgrade from.
 */
export function refuseReplication(options: unknown, where: string): void {
  if (typeof options !== 'object' || options === null || !('replication' in options)) return
  const mode = (options as { replication: unknown }).replication
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message:
      `\`${where}.replication\` (${JSON.stringify(mode) ?? String(mode)}): CDC is not supported yet — ${where} reads tables by keyset on (cursor, primary key). ` +
      'Remove `replication`, and give each table a `cursor` column for incremental reads (rows deleted at the source are then not seen; tables without a cursor are re-read in full and their deletes caught).',
    context: { option: `${where}.replication` },
  })
}
