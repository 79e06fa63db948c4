import { parseArgs } from './parse-args.js'
import type { CliIo } from './cli-io.js'

/**
 * `sluice status [dir]`, `sluice mar [dir] [--month YYYY-MM]`, `sluice schema [dir]`: read-only
 * views of `dir/files/warehouse.db`, adapted to the CLI's `(argv, io)` command shape.
 */
export async function statusCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'status', maxPositionals: 1 })
  const { statusCommand } = await import('./status-command.js')
  return statusCommand(args.positionals[0] ?? '.', io.out)
}

export async function marCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'mar', values: ['month', 'lake'], maxPositionals: 1 })
  const { marCommand } = await import('./mar-command.js')
  const { month, lake } = args.values
  return marCommand(args.positionals[0] ?? '.', { ...(month === undefined ? {} : { month }), ...(lake === undefined ? {} : { lake }) }, io.out)
}

export async function schemaCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'schema', maxPositionals: 1 })
  const { schemaCommand } = await import('./schema-command.js')
  return schemaCommand(args.positionals[0] ?? '.', (line) => io.out(line.endsWith('\n') ? line : `${line}\n`))
}
