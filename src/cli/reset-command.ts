import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { relative, resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import type { CliIo } from './cli-io.js'
import { debugPaths } from './debug-paths.js'
import { parseArgs } from './parse-args.js'

/** Help for `sluice reset`. */
export const RESET_HELP = `Usage: sluice reset [dir]

Removes the local warehouse (dir/files/warehouse.db with its SQLite -wal, -shm and -journal
files or its DuckDB .wal file) and the saved state (dir/files/state.json), so the next \`sluice debug\` starts over.
`

/**
 * `sluice reset [dir]`: deletes what `sluice debug` wrote for a connector directory and says
 * what it removed. Resolves to the exit code.
 *
 * @example
 * ```ts
 * import { resetCommand } from './reset-command.js'
 * import { processIo } from './cli-io.js'
 * process.exitCode = await resetCommand(['my_connector'], processIo())
 * ```
 */
export async function resetCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'reset', maxPositionals: 1 })
  if (args.flags.has('help')) {
    io.out(RESET_HELP)
    return 0
  }
  const dir = resolve(io.cwd, args.positionals[0] ?? '.')
  if (!existsSync(dir)) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `directory ${dir} does not exist`, context: { dir } })
  }
  const paths = debugPaths(dir)
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
  return 0
}
