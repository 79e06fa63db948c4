import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import { parseMarMonth } from '../mar/mar-month.js'
import { marReport } from '../mar/mar-report.js'
import { count, textTable } from './text-table.js'
import { locateWarehouse, noWarehouse, type WarehouseLocation } from './warehouse-location.js'
import { warehouseSink } from './warehouse-sink.js'

/**
 * `sluice mar [dir | --warehouse file] [--month YYYY-MM] [--lake <files dir>]`: Monthly Active
 * Rows in `dir/files/warehouse.db` or any warehouse file a sync wrote (`{ warehouse }`; SQLite or
 * DuckDB, told apart by the file's header), or with `lake` in a `sluice/files` destination directory — one
 * line per month, connector and table, then a total per connector and month (`~` marks a
 * HyperLogLog estimate). Reads only. Resolves to the exit code: 0, 1 when there is no warehouse;
 * a malformed month throws `USAGE` (exit 2).
 *
 * @example
 * ```ts
 * import { marCommand } from './mar-command.js'
 * process.exitCode = await marCommand('my_connector', { month: '2026-11' }, (text) => process.stdout.write(text))
 * ```
 */
export async function marCommand(where: WarehouseLocation, options: { readonly month?: string; readonly lake?: string }, out: (text: string) => void): Promise<number> {
  let month: string | undefined
  try {
    month = options.month === undefined ? undefined : parseMarMonth(options.month, '--month')
  } catch (error) {
    throw new SluiceError({ code: 'USAGE', message: `${(error as Error).message} (see \`sluice mar --help\`)`, context: { command: 'mar' } })
  }
  const lake = options.lake === undefined ? undefined : resolve(options.lake)
  if (lake && !existsSync(join(lake, '_sluice'))) {
    out(`No files destination at ${relative(process.cwd(), lake) || lake}; sync into it first\n`)
    return 1
  }
  const warehouse = lake ? undefined : locateWarehouse(where)
  if (warehouse && !warehouse.exists) {
    out(`${noWarehouse(warehouse)}\n`)
    return 1
  }
  // Loaded only when asked for: the files sink brings Arrow along, DuckDB its bindings.
  const destination = warehouse
    ? await warehouseSink(warehouse.path, warehouse.format)
    : (await import('../sink/files/files-sink.js')).files({ dir: lake!, format: 'ndjson' })
  const rows = await marReport({ destination, ...(month ? { month } : {}) })
  if (rows.length === 0) {
    out(`No MAR recorded${month ? ` for ${month}` : ''} (sync with the mar option to meter it)\n`)
    return 0
  }
  const shown = (n: number, approximate: boolean) => `${approximate ? '~' : ''}${count(n)}`
  // One block per month and connector: its tables, then its total (what the bill counts).
  const groups = new Map<string, typeof rows>()
  for (const r of rows) {
    const key = `${r.month}\u0000${r.connectorId}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const lines: string[][] = []
  for (const group of groups.values()) {
    for (const r of group) lines.push([r.month, r.connectorId, r.table, shown(r.rows, r.approximate)])
    const total = group.reduce((sum, r) => sum + r.rows, 0)
    lines.push([group[0]!.month, group[0]!.connectorId, '(total)', shown(total, group.some((r) => r.approximate))])
  }
  out(textTable([{ header: 'Month' }, { header: 'Connector' }, { header: 'Table' }, { header: 'MAR in month', right: true }], lines))
  return 0
}
