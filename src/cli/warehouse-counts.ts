import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import type { TableDescription } from '../contracts/sink.js'

/** What a warehouse table holds: all rows, and how many of them are soft-deleted. */
export interface WarehouseTable {
  readonly rows: number
  readonly deleted: number
}

/**
 * Counts the rows of each data table of a SQLite warehouse (meta tables `_sluice_*` left out),
 * keyed by source table name when `tables` (from `sink.describe()`) maps destination names back,
 * else by destination name. Opens the file read-only; a missing file gives `{}`.
 *
 * @example
 * ```ts
 * import { warehouseCounts } from './warehouse-counts.js'
 * warehouseCounts('files/warehouse.db') // { orders: { rows: 100, deleted: 2 } }
 * ```
 */
export function warehouseCounts(path: string, tables: readonly TableDescription[] = []): Record<string, WarehouseTable> {
  if (!existsSync(path)) return {}
  const bySqlName = new Map(tables.map((t) => [t.name, t.table]))
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    const names = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_sluice\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
      .pluck()
      .all() as string[]
    const out: Record<string, WarehouseTable> = {}
    for (const name of names) {
      const quoted = `"${name.replaceAll('"', '""')}"`
      const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(name) as string[]
      const deletedSql = columns.includes('_sluice_deleted') ? `COALESCE(SUM("_sluice_deleted" = 1), 0)` : '0'
      const row = db.prepare(`SELECT COUNT(*) AS rows, ${deletedSql} AS deleted FROM ${quoted}`).get() as { rows: number; deleted: number }
      out[bySqlName.get(name) ?? name] = { rows: Number(row.rows), deleted: Number(row.deleted) }
    }
    return out
  } finally {
    db.close()
  }
}
