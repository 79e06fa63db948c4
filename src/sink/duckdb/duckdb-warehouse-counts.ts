import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { quoteIdent } from '../../core/normalize-name.js'
import type { TableDescription } from '../../contracts/sink.js'
import { loadDuckDb } from './load-duckdb.js'

/**
 * Counts the rows of each data table of a DuckDB warehouse (meta tables `_sluice_*` left out),
 * and how many are soft-deleted, keyed by source table name when `tables` (from
 * `sink.describe()`) maps destination names back. Opens the file read-only after the sync has
 * released it; a missing file gives `{}`. What `sluice debug --destination duckdb` prints.
 *
 * @example
 * ```ts
 * import { duckdbWarehouseCounts } from './duckdb-warehouse-counts.js'
 * await duckdbWarehouseCounts('files/warehouse.db') // { orders: { rows: 100, deleted: 2 } }
 * ```
 */
export async function duckdbWarehouseCounts(path: string, tables: readonly TableDescription[] = []): Promise<Record<string, { rows: number; deleted: number }>> {
  if (!existsSync(path)) return {}
  const { api } = await loadDuckDb()
  const instance = await api.DuckDBInstance.create(resolve(path), { access_mode: 'READ_ONLY' })
  const connection = await instance.connect()
  try {
    const byName = new Map(tables.map((t) => [t.name, t.table]))
    const listed = await connection.runAndReadAll(
      `SELECT t.table_name, bool_or(c.column_name = '_sluice_deleted') FROM duckdb_tables() t JOIN duckdb_columns() c USING (database_name, schema_name, table_name)
       WHERE t.schema_name = 'main' AND t.database_name = current_database() AND t.table_name NOT LIKE '\\_sluice\\_%' ESCAPE '\\'
       GROUP BY t.table_name ORDER BY t.table_name`,
    )
    const out: Record<string, { rows: number; deleted: number }> = {}
    for (const [name, hasDeleted] of listed.getRows() as [string, boolean][]) {
      const deleted = hasDeleted ? `count(*) FILTER (WHERE "_sluice_deleted")` : '0'
      const reader = await connection.runAndReadAll(`SELECT count(*), ${deleted} FROM ${quoteIdent(name)}`)
      const [rows, gone] = reader.getRows()[0]!
      out[byName.get(name) ?? name] = { rows: Number(rows), deleted: Number(gone) }
    }
    return out
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}
