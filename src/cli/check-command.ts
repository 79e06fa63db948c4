import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import { check, type CheckReport } from '../check/check.js'
import type { CheckResult } from '../contracts/check.js'
import { writableCheck } from '../sink/writable-check.js'
import type { CliIo } from './cli-io.js'
import { debugPaths } from './debug-paths.js'
import { loadConnectorFolder } from './load-configuration.js'
import { parseArgs } from './parse-args.js'
import { warehouseFormat } from './warehouse-format.js'
import { warehouseSink } from './warehouse-sink.js'

/** Help for `sluice check`. */
export const CHECK_HELP = `Usage: sluice check [dir] [--configuration file] [--json]

Checks the connector in dir (default: the current directory) before it runs, loaded as
sluice debug loads it, with dir/configuration.json (or --configuration): its source's checks
(reachability, credentials, permissions, each stream's first request) and that the warehouse
dir/files/warehouse.db can be written. Reads nothing into the warehouse, changes no state.

Prints one line per check (✓ passed, ✗ failed with what to change, – not checked) and exits
with 0 when nothing failed, 1 otherwise. No secret from configuration.json is printed.

--json  print the report as JSON: { "ok": true|false, "results": [{ name, ok, message, hint?, code?, skipped? }] }
`

/**
 * `sluice check [dir] [--configuration file] [--json]`: the connector's connection checks, one line
 * each, exit code 0 when none failed and 1 otherwise (Fivetran's `Test`, Airbyte's `check`).
 *
 * @example
 * ```ts
 * import { checkCommand } from './check-command.js'
 * import { processIo } from './cli-io.js'
 * process.exitCode = await checkCommand(['my_connector'], processIo())
 * ```
 */
export async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'check', values: ['configuration'], flags: ['json'], maxPositionals: 1 })
  if (args.flags.has('help')) {
    io.out(CHECK_HELP)
    return 0
  }
  const { dir, source, configuration } = await loadConnectorFolder(args.positionals[0], args.values.configuration, io.cwd)
  const paths = debugPaths(dir)
  const shown = relative(io.cwd, paths.warehouse) || paths.warehouse
  const sourced = await check({ source, configuration })
  // `sluice debug` creates dir/files: until it exists, what must be writable is the nearest directory that does.
  const warehouse = existsSync(paths.files)
    ? (await check({ destination: await warehouseSink(paths.warehouse, warehouseFormat(paths.warehouse) ?? 'sqlite') })).results
    : await writableCheck({ name: 'warehouse', path: paths.files, kind: 'directory' })
  const results = [...sourced.results, ...warehouse.map((r) => ({ ...r, name: `warehouse ${shown}` }))]
  const report: CheckReport = { ok: results.every((r) => r.ok), results }
  if (args.flags.has('json')) io.out(`${JSON.stringify(report, null, 2)}\n`)
  else io.out(formatChecks(results))
  return report.ok ? 0 : 1
}

/** One line per check, its hint indented under a failure, then the tally. */
function formatChecks(results: readonly CheckResult[]): string {
  const lines: string[] = []
  for (const r of results) {
    const mark = r.skipped ? '–' : r.ok ? '✓' : '✗'
    lines.push(`${mark} ${r.name}: ${r.message}`)
    if (!r.ok && r.hint) lines.push(`    ${r.hint}`)
  }
  const failed = results.filter((r) => !r.ok).length
  const skipped = results.filter((r) => r.skipped).length
  const passed = results.length - failed - skipped
  lines.push('', `${passed} passed, ${failed} failed${skipped ? `, ${skipped} not checked` : ''}`)
  return `${lines.join('\n')}\n`
}
