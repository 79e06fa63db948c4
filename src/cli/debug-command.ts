import { mkdir } from 'node:fs/promises'
import { relative } from 'node:path'
import { SluiceError, type SluiceErrorCode } from '../core/sluice-error.js'
import { marMonth } from '../mar/mar-month.js'
import type { MarStore } from '../contracts/mar-store.js'
import type { TableDescription } from '../contracts/sink.js'
import { fileState } from '../state/file-state.js'
import { sync } from '../sync/sync.js'
import type { SyncReport } from '../contracts/sync-report.js'
import type { CliIo } from './cli-io.js'
import { loadConnectorFolder } from './load-configuration.js'
import { debugPaths } from './debug-paths.js'
import { parseArgs } from './parse-args.js'
import { progress } from './progress.js'
import { formatSummary, type MonthMar } from './summary.js'
import { WAREHOUSE_FORMATS, warehouseFormat, type WarehouseFormat } from './warehouse-format.js'
import { warehouseSink, warehouseTableCounts } from './warehouse-sink.js'

/** Help for `sluice debug`. */
export const DEBUG_HELP = `Usage: sluice debug [dir] [--configuration file] [--destination sqlite|duckdb] [--verbose]

Runs the connector in dir (default: the current directory) — dir/connector.ts, .mts, .js
or .mjs, default export connector({ … }) — with dir/configuration.json (or --configuration),
into the warehouse dir/files/warehouse.db with its state mirrored in dir/files/state.json,
then prints what it did. A second run continues from the saved state.

--destination  the engine of warehouse.db: sqlite (the default) or duckdb (needs the package
               @duckdb/node-api). An existing warehouse.db keeps its engine, so later runs and
               sluice status|mar|schema need no flag.
`

/**
 * `sluice debug [dir] [--configuration file] [--destination sqlite|duckdb]`: the local loop of
 * `fivetran debug`. Loads the connector, syncs it into `files/warehouse.db` (a SQLite file, or a
 * DuckDB one as the Fivetran local tester writes; state in the warehouse, mirrored in
 * `files/state.json`), shows progress on long runs, and prints the summary. Ctrl-C stops at the
 * next checkpoint (a second Ctrl-C quits). Resolves to the exit code: 0 when the sync succeeded
 * or stopped cleanly, 1 when it failed (the error is printed on one line).
 *
 * @example
 * ```ts
 * import { debugCommand } from './debug-command.js'
 * import { processIo } from './cli-io.js'
 * process.exitCode = await debugCommand(['my_connector'], processIo())
 * ```
 */
export async function debugCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    command: 'debug',
    values: ['configuration', 'destination'],
    choices: { destination: WAREHOUSE_FORMATS },
    maxPositionals: 1,
  })
  if (args.flags.has('help')) {
    io.out(DEBUG_HELP)
    return 0
  }
  const { dir, source, configuration } = await loadConnectorFolder(args.positionals[0], args.values.configuration, io.cwd)

  const paths = debugPaths(dir)
  try {
    await mkdir(paths.files, { recursive: true })
  } catch (cause) {
    throw new SluiceError({
      code: 'DESTINATION_UNAVAILABLE',
      message: `can't create ${paths.files}: ${explainFsError(cause)}`,
      context: { path: paths.files },
      cause,
    })
  }
  const format = destinationFormat(paths.warehouse, args.values.destination as WarehouseFormat | undefined, relative(io.cwd, dir) || '.')
  const destination = await warehouseSink(paths.warehouse, format)

  const interval = Number(io.env.SLUICE_PROGRESS_MS)
  const shown = progress({ write: io.err, tty: io.isTTY, ...(interval > 0 ? { intervalMs: interval } : {}) })
  const stop = new AbortController()
  let interrupts = 0
  const onInterrupt = () => {
    if (++interrupts > 1) process.exit(130)
    io.err('\nstopping at the next checkpoint (Ctrl-C again to quit now)\n')
    stop.abort()
  }
  process.on('SIGINT', onInterrupt)
  let report: SyncReport
  try {
    report = await sync({
      source,
      destination,
      configuration,
      state: fileState({ path: paths.state }),
      // MAR is metered exactly, as Fivetran bills it, so the summary shows what a sync would cost.
      mar: { mode: 'exact' },
      stages: [shown.stage],
      signal: stop.signal,
      on: { checkpoint: (event) => shown.checkpoint(event) },
    })
  } finally {
    shown.stop()
    process.off('SIGINT', onInterrupt)
  }

  const rel = relative(io.cwd, paths.warehouse) || paths.warehouse
  if (report.status !== 'failed' || report.rows > 0 || report.checkpoints > 0) {
    let tables: TableDescription[] = []
    try {
      tables = (await destination.describe?.()) ?? []
    } catch {
      // The summary is still useful without the source-to-destination name map.
    }
    let counts: Awaited<ReturnType<typeof warehouseTableCounts>> = {}
    try {
      counts = await warehouseTableCounts(paths.warehouse, format, tables)
    } catch {
      // A warehouse that can't be read back leaves the counts out, not the summary.
    }
    io.out(formatSummary(report, counts, await monthMar(destination, report)))
    io.out(`Warehouse: ${rel}\n`)
  }
  if (report.status === 'failed') {
    const error = report.error ?? { code: 'SOURCE_FAILED', message: 'the sync failed', retryable: false, context: {} }
    // report.error is a SluiceError's toJSON(), whose code is a SluiceErrorCode; SyncReport types it as text because reports are also read back from the warehouse.
    throw new SluiceError({ code: error.code as SluiceErrorCode, message: error.message, context: error.context, ...(shown.failure ? { cause: shown.failure } : {}) })
  }
  return 0
}

/** The month's MAR so far per table of this connector, for the summary; left out when it can't be read. */
async function monthMar(destination: unknown, report: SyncReport): Promise<MonthMar | undefined> {
  if (report.mar === undefined) return undefined
  const month = marMonth(Date.parse(report.endedAt))
  try {
    const rows = (await (destination as MarStore).readMar?.({ connectorId: report.connectorId, month })) ?? []
    return { month, tables: Object.fromEntries(rows.map((r) => [r.table, { rows: r.rows, approximate: r.approximate }])) }
  } catch {
    return undefined
  }
}

/**
 * The engine of the warehouse: the one asked for, else the one of an existing file, else SQLite.
 * Asking for another engine than the existing file's is `USAGE`: writing one into the other's
 * file would fail midway, and silently replacing it would drop the synced data and state.
 */
function destinationFormat(path: string, asked: WarehouseFormat | undefined, dir: string): WarehouseFormat {
  const existing = warehouseFormat(path)
  if (asked !== undefined && existing !== undefined && asked !== existing) {
    throw new SluiceError({
      code: 'USAGE',
      message: `${dir}/files/warehouse.db is a ${existing === 'duckdb' ? 'DuckDB' : 'SQLite'} database; run \`sluice reset ${dir}\` first to start over with --destination ${asked}, or leave the flag out`,
      context: { command: 'debug', path },
    })
  }
  return asked ?? existing ?? 'sqlite'
}

/** What a file-system error means for someone fixing it, with its code. */
function explainFsError(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException).code
  switch (code) {
    case 'EEXIST':
      return 'a file with that name is in the way (EEXIST); remove it or pick another folder'
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder (ENOTDIR)'
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code}); make the folder writable`
    case 'EROFS':
      return 'the file system is read-only (EROFS)'
    default:
      return (cause as Error).message
  }
}
