import { resolve } from 'node:path'
import type { CliIo } from './cli-io.js'
import { parseArgs, usage, type ParsedArgs } from './parse-args.js'
import type { WarehouseLocation } from './warehouse-location.js'

const WHERE = `Reads dir/files/warehouse.db (dir: the connector folder, default the current directory), or
with --warehouse any SQLite or DuckDB file a sync wrote, e.g. sync({ destination: sqlite({ path }) }).
Reads only.`

/** Help for `sluice status`. */
export const STATUS_HELP = `Usage: sluice status [dir | --warehouse file | --fleet fleet-file [--redis url]]

One line per connector in the warehouse: its state (syncing, paused, failing, idle), the last
sync (when, how it ended, rows, duration), how long ago the last success ended, this month's MAR,
and the error of a failed last sync — the facts \`sluice serve\` shows.
For a change-data-capture connector, a line with its replication slot, the lag behind the server
and the WAL the slot retains, as its last sync measured them. With --fleet, a fleet's workers,
queue depths and, per connector, its running jobs and backfill partitions (see \`sluice fleet\`).
${WHERE}
`

/** Help for `sluice mar`. */
export const MAR_HELP = `Usage: sluice mar [dir | --warehouse file | --lake dir] [--month YYYY-MM]

Monthly Active Rows (distinct rows written) per month, connector and table, with a total per
connector and month; ~ marks a HyperLogLog estimate. --month shows one month (UTC); --lake reads
a sluice/files destination directory instead of a warehouse.
${WHERE}
`

/** Help for `sluice schema`. */
export const SCHEMA_HELP = `Usage: sluice schema [dir | --warehouse file]

The warehouse's tables with their key, write mode and column types (and destination names where
they differ), then the history of schema changes.
${WHERE}
`

/**
 * `sluice status [dir | --warehouse file]`, `sluice mar [dir | --warehouse file] [--month YYYY-MM]
 * [--lake dir]`, `sluice schema [dir | --warehouse file]`: read-only views of a warehouse, adapted
 * to the CLI's `(argv, io)` command shape.
 */
export async function statusCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'status', values: ['warehouse', 'fleet', 'redis'], maxPositionals: 1 })
  if (args.flags.has('help')) return help(io, STATUS_HELP)
  if (args.values.fleet !== undefined) {
    // A fleet's status: its workers, queue depths and running partitions (see `sluice fleet`).
    if (args.values.warehouse !== undefined || args.positionals.length > 0) throw usage('status', '--fleet shows a fleet: give it alone (with --redis)')
    const { fleetCommand } = await import('./worker-command.js')
    return fleetCommand([args.values.fleet, 'status', ...(args.values.redis ? ['--redis', args.values.redis] : [])], io)
  }
  if (args.values.redis !== undefined) throw usage('status', '--redis goes with --fleet')
  const { statusCommand } = await import('./status-command.js')
  return statusCommand(location(args, io, 'status'), io.out)
}

export async function marCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'mar', values: ['month', 'lake', 'warehouse'], maxPositionals: 1 })
  if (args.flags.has('help')) return help(io, MAR_HELP)
  const { marCommand } = await import('./mar-command.js')
  const { month, lake } = args.values
  if (lake !== undefined && (args.values.warehouse !== undefined || args.positionals.length > 0)) {
    throw usage('mar', `--lake reads a files destination: give it alone, without ${args.values.warehouse !== undefined ? '--warehouse' : 'a connector folder'}`)
  }
  const where = lake === undefined ? location(args, io, 'mar') : '.'
  return marCommand(where, { ...(month === undefined ? {} : { month }), ...(lake === undefined ? {} : { lake: resolve(io.cwd, lake) }) }, io.out)
}

export async function schemaCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'schema', values: ['warehouse'], maxPositionals: 1 })
  if (args.flags.has('help')) return help(io, SCHEMA_HELP)
  const { schemaCommand } = await import('./schema-command.js')
  return schemaCommand(location(args, io, 'schema'), (line) => io.out(line.endsWith('\n') ? line : `${line}\n`))
}

/** The connector folder, or `--warehouse`; both at once is `USAGE` (which one was meant?). */
function location(args: ParsedArgs, io: CliIo, command: string): WarehouseLocation {
  const file = args.values.warehouse
  const dir = args.positionals[0]
  if (file === undefined) return dir === undefined ? io.cwd : resolve(io.cwd, dir)
  if (dir !== undefined) throw usage(command, `give the connector folder ${JSON.stringify(dir)} or --warehouse ${file}, not both`)
  return { warehouse: resolve(io.cwd, file), label: file }
}

function help(io: CliIo, text: string): number {
  io.out(text)
  return 0
}
