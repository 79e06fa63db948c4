import type { Sink, TableDescription } from '../contracts/sink.js'
import { sqlite } from '../sink/sqlite/sqlite-sink.js'
import type { WarehouseFormat } from './warehouse-format.js'

/**
 * The sink over the local warehouse file of `sluice debug` in the given format. DuckDB is
 * imported only when asked for, so the CLI never loads its native module for a SQLite warehouse
 * (and works without `@duckdb/node-api` installed).
 *
 * @example
 * ```ts
 * import { warehouseSink } from './warehouse-sink.js'
 * const sink = await warehouseSink('my_connector/files/warehouse.db', 'duckdb')
 * ```
 */
export async function warehouseSink(path: string, format: WarehouseFormat): Promise<Sink> {
  if (format === 'sqlite') return sqlite({ path })
  const { duckdb } = await import('../sink/duckdb/duckdb-sink.js')
  return duckdb({ path })
}

/**
 * Rows and soft-deleted rows per table of the warehouse file, keyed by source table name when
 * `tables` maps destination names back (what the debug summary shows).
 */
export async function warehouseTableCounts(
  path: string,
  format: WarehouseFormat,
  tables: readonly TableDescription[] = [],
): Promise<Record<string, { rows: number; deleted: number }>> {
  if (format === 'sqlite') return (await import('./warehouse-counts.js')).warehouseCounts(path, tables)
  return (await import('../sink/duckdb/duckdb-warehouse-counts.js')).duckdbWarehouseCounts(path, tables)
}
