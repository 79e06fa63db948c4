import { isSluiceError, SluiceError } from '../core/sluice-error.js'
import { processIo, type CliIo } from './cli-io.js'
import { packageInfo } from './package-root.js'

/** Top-level help. */
export const USAGE = `Usage: sluice <command> [options]

Commands:
  init <name> [--template t]            scaffold a connector folder (t: basic, rest, graphql, database,
                                        postgres-cdc, files)
  debug [dir] [--configuration file]    run a connector into dir/files/warehouse.db and print a summary
        [--destination sqlite|duckdb]   (the warehouse file is SQLite by default, or DuckDB)
  check [dir] [--json]                  check the connector's connection, credentials, permissions and
                                        warehouse before a sync: one line per check, exit 0 or 1
  reset [dir] [--drop-slot]             remove dir/files/warehouse.db and dir/files/state.json
                                        (--drop-slot: and the connector's replication slot)
  status [dir | --warehouse file]       connector state, last sync, this month's MAR, slot lag
  mar [dir | --warehouse file] [--month M] [--lake dir]
                                        Monthly Active Rows per table (--lake: a sluice/files dir)
  schema [dir | --warehouse file]       current destination schema and its change history
  dbt [dir | --warehouse file | --postgres url] --out folder [--schedule 15m]
                                        dbt sources.yml (freshness, key tests) and staging models
  serve [dir…] [--warehouse file]       dashboard, Fivetran-shaped REST API and /metrics over connector
        [--port n] [--host h]           folders and warehouses (key: SLUICE_API_KEY, SLUICE_API_SECRET)
  worker <fleet-file> [--redis url]     run a fleet worker (BullMQ): take and run the fleet's jobs
  fleet <fleet-file> [status | sync id | pause id | resume id | schedule]
                                        a fleet's workers, queues and running partitions; control it

Options:
  -h, --help     show help (also after a command: sluice debug --help)
  --verbose      print stack traces on errors (or set SLUICE_DEBUG=1)
  --version      print the sluice version
`

type Command = (argv: readonly string[], io: CliIo) => Promise<number>

/** A command: its usage (printed for `--help`/`-h` without running it) and what runs it. */
interface CommandEntry {
  readonly help: string
  readonly run: Command
}

// Loaded on demand: `sluice --help` or `reset` should not pay for SQLite and the sync engine.
const COMMANDS: Readonly<Record<string, () => Promise<CommandEntry>>> = {
  init: async () => {
    const m = await import('./init-command.js')
    return { help: m.INIT_HELP, run: m.initCommand }
  },
  debug: async () => {
    const m = await import('./debug-command.js')
    return { help: m.DEBUG_HELP, run: m.debugCommand }
  },
  check: async () => {
    const m = await import('./check-command.js')
    return { help: m.CHECK_HELP, run: m.checkCommand }
  },
  reset: async () => {
    const m = await import('./reset-command.js')
    return { help: m.RESET_HELP, run: m.resetCommand }
  },
  status: async () => {
    const m = await import('./ops-commands.js')
    return { help: m.STATUS_HELP, run: m.statusCli }
  },
  mar: async () => {
    const m = await import('./ops-commands.js')
    return { help: m.MAR_HELP, run: m.marCli }
  },
  schema: async () => {
    const m = await import('./ops-commands.js')
    return { help: m.SCHEMA_HELP, run: m.schemaCli }
  },
  dbt: async () => {
    const m = await import('./dbt-command.js')
    return { help: m.DBT_HELP, run: m.dbtCommand }
  },
  serve: async () => {
    const m = await import('./serve-command.js')
    return { help: m.SERVE_HELP, run: (argv, io) => m.serveCommand(argv, io) }
  },
  worker: async () => {
    const m = await import('./worker-command.js')
    return { help: m.WORKER_HELP, run: (argv, io) => m.workerCommand(argv, io) }
  },
  fleet: async () => {
    const m = await import('./worker-command.js')
    return { help: m.FLEET_HELP, run: m.fleetCommand }
  },
}

/** The names of the commands `sluice` runs. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS)

/**
 * The `sluice` command line: parses `argv` (without `node` and the script) by hand, runs the
 * command and resolves to the exit code — 0 on success, 1 on a failure, 2 on a usage mistake.
 * Errors are one line on stderr, `error [CODE]: message`; stack traces only with `--verbose`
 * or `SLUICE_DEBUG=1`.
 *
 * @example
 * ```ts
 * import { main } from './main.js'
 * process.exitCode = await main(['debug', 'my_connector'])
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const verbose = argv.includes('--verbose') || io.env.SLUICE_DEBUG === '1' || io.env.SLUICE_DEBUG === 'true'
  // --verbose is global: accept it before the command too.
  const [command, ...rest] = argv.filter((arg) => arg !== '--verbose')
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(USAGE)
      return 0
    }
    if (command === '--version' || command === '-v') {
      io.out(`${packageInfo().version}\n`)
      return 0
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
    if (!load) {
      if (command.startsWith('-')) throw new SluiceError({ code: 'USAGE', message: `unknown option ${command} (see \`sluice --help\`)` })
      io.err(`error [USAGE]: unknown command ${JSON.stringify(command)}\n\n${USAGE}`)
      return 2
    }
    const { help, run } = await load()
    // Here rather than in each command, so no command can forget it: help never runs the command.
    if (asksForHelp(rest)) {
      io.out(help)
      return 0
    }
    return await run(rest, io)
  } catch (error) {
    io.err(formatError(error, verbose))
    return isSluiceError(error) && error.code === 'USAGE' ? 2 : 1
  }
}

/** `--help` or `-h` among the options (before a `--` that ends them). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h')
}

/**
 * One line per error, `error [CODE]: message`, for a person to act on; with `verbose`, the stack
 * and the chain of causes follow. An error that is not a `SluiceError` is a bug of sluice or of
 * the connector: it is shown as `INTERNAL` with a hint to rerun with `--verbose`.
 */
export function formatError(error: unknown, verbose: boolean): string {
  const sluice = isSluiceError(error)
  const code = sluice ? error.code : 'INTERNAL'
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]
  let text = `error [${code}]: ${message}\n`
  if (!verbose) return sluice ? text : text + 'run again with --verbose to see the stack trace\n'
  const seen = new Set<unknown>()
  for (let e: unknown = error; e !== undefined && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e)
    text += e === error ? '' : 'caused by: '
    text += e instanceof Error ? `${e.stack ?? e.message}\n` : `${String(e)}\n`
    if (!(e instanceof Error)) break
  }
  return text
}
