import { relative } from 'node:path'
import type { SchemaHistoryEntry, TableDescription } from '../contracts/sink.js'
import { textTable } from './text-table.js'
import { locateWarehouse, noWarehouse, type WarehouseLocation } from './warehouse-location.js'
import { warehouseSink } from './warehouse-sink.js'

/**
 * `sluice schema [dir | --warehouse file]`: prints the current schema of the connector's local
 * warehouse (`dir/files/warehouse.db`) or of any warehouse file a sync wrote (`{ warehouse }`;
 * SQLite or DuckDB, told apart by the file's header): each table with its destination name, key,
 * mode and column types (a Destination column when a column's name differs in the warehouse),
 * and then its schema history (`_sluice_schema_history`, oldest first), one line at a time
 * through `out`. Resolves to the exit code: 0, or 1 when there is no warehouse yet.
 *
 * @example
 * ```ts
 * import { schemaCommand } from './schema-command.js'
 * process.exitCode = await schemaCommand('my_connector', (line) => console.log(line))
 * ```
 */
export async function schemaCommand(where: WarehouseLocation, out: (line: string) => void): Promise<number> {
  const located = locateWarehouse(where)
  const warehouse = located.path
  if (!located.exists) {
    out(typeof where === 'string' ? `No warehouse at ${warehouse} yet; run \`sluice debug ${relative(process.cwd(), where) || '.'}\` first` : noWarehouse(located))
    return 1
  }
  const sink = await warehouseSink(warehouse, located.format)
  const tables = (await sink.describe!()).sort((a, b) => a.table.localeCompare(b.table))
  const history = await sink.schemaHistory!()
  out(`Schema of ${warehouse}`)
  if (tables.length === 0) out('No tables yet.')
  for (const t of tables) {
    out('')
    for (const line of describeTable(t)) out(line)
  }
  out('')
  if (history.length === 0) out('History: no schema changes recorded.')
  else {
    out('History')
    for (const line of historyTable(history)) out(line)
  }
  return 0
}

function describeTable(t: TableDescription): string[] {
  const key = t.primaryKey.length > 0 ? t.primaryKey.join(', ') : '_sluice_id (row hash)'
  const head = `${t.table}${t.name === t.table ? '' : ` → ${t.name}`} (key: ${key}; mode: ${t.mode})`
  // The Destination column only where a name changes on the way in, then filled on every row:
  // an empty cell read as "not in the warehouse".
  const renamed = t.columns.some((c) => c.name !== c.source)
  const rows = t.columns.map((c) => (renamed ? [c.source, c.name, c.type] : [c.source, c.type]))
  const table = textTable([{ header: 'Column' }, ...(renamed ? [{ header: 'Destination' }] : []), { header: 'Type' }], rows)
  return [head, ...table.trimEnd().split('\n')]
}

function historyTable(history: readonly SchemaHistoryEntry[]): string[] {
  const rows = history.map((h) => [h.at, h.connectorId, h.table, h.change, h.column ?? '', h.oldType ?? '', h.newType ?? ''])
  const headers = ['Time', 'Connector', 'Table', 'Change', 'Column', 'From', 'To'].map((header) => ({ header }))
  return textTable(headers, rows).trimEnd().split('\n')
}
