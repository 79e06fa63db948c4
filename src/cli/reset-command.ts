import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import type { ConnectorStore } from '../contracts/connector-store.js'
import type { Sink } from '../contracts/sink.js'
import type { CliIo } from './cli-io.js'
import { debugPaths } from './debug-paths.js'
import { parseArgs } from './parse-args.js'

/** Help for `sluice reset`. */
export const RESET_HELP = `Usage: sluice reset [dir] [--drop-slot] [--configuration file]

Removes the local warehouse (dir/files/warehouse.db with its SQLite -wal, -shm and -journal
files or its DuckDB .wal file) and the saved state (dir/files/state.json), so the next \`sluice debug\` starts over.

A change-data-capture connector (replication: 'logical') keeps a replication slot on the server,
which retains WAL until it is read or dropped: reset keeps it unless --drop-slot is given, which
loads the connector (dir/connector.ts with dir/configuration.json, or --configuration) and drops
its replication slot first.
`

/**
 * `sluice reset [dir] [--drop-slot]`: deletes what `sluice debug` wrote for a connector directory
 * and says what it removed. With `--drop-slot`, first drops what the connector's change-data-capture
 * source keeps on the server (`Source.dropReplication`); without it, names any replication slot the
 * warehouse's sync history shows, which is kept. Resolves to the exit code.
 *
 * @example
 * ```ts
 * import { resetCommand } from './reset-command.js'
 * import { processIo } from './cli-io.js'
 * process.exitCode = await resetCommand(['my_connector'], processIo())
 * ```
 */
export async function resetCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'reset', flags: ['drop-slot'], values: ['configuration'], maxPositionals: 1 })
  if (args.flags.has('help')) {
    io.out(RESET_HELP)
    return 0
  }
  const dir = resolve(io.cwd, args.positionals[0] ?? '.')
  if (!existsSync(dir)) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `directory ${dir} does not exist`, context: { dir } })
  }
  const paths = debugPaths(dir)
  const shownDir = relative(io.cwd, dir) || '.'
  let kept: string[] = []
  if (args.flags.has('drop-slot')) {
    const dropped = await dropReplication(dir, args.values.configuration, io)
    io.out(dropped.length === 0 ? 'Nothing to drop on the server: no replication slot or publication of this connector exists\n' : `Dropped ${dropped.join(', ')}\n`)
  } else {
    kept = await replicationSlots(paths.warehouse)
  }
  // SQLite's side files, and DuckDB's write-ahead log (warehouse.db.wal).
  const targets = ['', '-wal', '-shm', '-journal', '.wal'].map((suffix) => paths.warehouse + suffix).concat(paths.state)
  const removed: string[] = []
  for (const path of targets) {
    if (!existsSync(path)) continue
    try {
      await rm(path, { force: true })
    } catch (cause) {
      throw new SluiceError({ code: 'DESTINATION_UNAVAILABLE', message: `can't remove ${path}: ${(cause as Error).message}`, context: { path }, cause })
    }
    removed.push(relative(io.cwd, path) || path)
  }
  io.out(removed.length === 0 ? `Nothing to reset in ${relative(io.cwd, paths.files) || paths.files}\n` : `Removed ${removed.join(', ')}\n`)
  for (const slot of kept) {
    io.out(`Kept replication slot ${slot} on the server (it retains WAL until read or dropped); drop it with \`sluice reset --drop-slot ${shownDir}\`\n`)
  }
  return 0
}

/** Loads the connector and its configuration, and drops what its source keeps on the server. */
async function dropReplication(dir: string, configurationFile: string | undefined, io: CliIo): Promise<readonly string[]> {
  const [{ loadConnector }, { loadConfiguration }] = await Promise.all([import('./load-connector.js'), import('./load-configuration.js')])
  const { source, file } = await loadConnector(dir)
  if (!source.dropReplication) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `--drop-slot: ${relative(io.cwd, file) || file} is not a change-data-capture connector (its source keeps no replication slot); run \`sluice reset\` without --drop-slot`,
      context: { file },
    })
  }
  const path = configurationFile ? resolve(io.cwd, configurationFile) : join(dir, 'configuration.json')
  const configuration = await loadConfiguration(path, { explicit: configurationFile !== undefined, label: relative(io.cwd, path) || path })
  return source.dropReplication({ configuration })
}

/** The replication slots the warehouse's last syncs report (`SyncReport.replication`), one per connector that has one. */
async function replicationSlots(warehouse: string): Promise<string[]> {
  if (!existsSync(warehouse)) return []
  try {
    // Loaded only when there is a warehouse: a plain reset shouldn't pay for SQLite.
    const [{ warehouseConnectors }, { warehouseFormat }, { warehouseSink }] = await Promise.all([
      import('./warehouse-connectors.js'), import('./warehouse-format.js'), import('./warehouse-sink.js'),
    ])
    const format = warehouseFormat(warehouse) ?? 'sqlite'
    const { ids } = await warehouseConnectors(warehouse, format, Date.now())
    if (ids.length === 0) return []
    // Read as `sluice status` reads it: the sink's own history (no sync is opened).
    const sink = (await warehouseSink(warehouse, format)) as Sink & ConnectorStore
    const slots: string[] = []
    for (const connectorId of ids) {
      const [last] = (await sink.history?.({ connectorId, limit: 1 })) ?? []
      const slot = last?.replication?.slot
      if (slot && !slots.includes(slot)) slots.push(slot)
    }
    return slots
  } catch {
    // A warehouse that can't be read is removed all the same; there is just no slot to name.
    return []
  }
}
