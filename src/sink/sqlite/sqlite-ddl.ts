import { baseType, type ColumnType } from '../../core/column-type.js'
import { quoteIdent } from '../layout/normalize-name.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'

/**
 * SQLite storage class of a sluice type. DECIMAL and temporal values are TEXT: NUMERIC affinity
 * would turn `'123.4500'` into a lossy REAL and ISO text is exact and sortable as text. The
 * sluice type itself is kept in `_sluice_tables`.
 */
export function sqliteType(type: ColumnType): 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' {
  switch (baseType(type)) {
    case 'BOOLEAN':
    case 'SHORT':
    case 'INT':
    case 'LONG':
      return 'INTEGER'
    case 'FLOAT':
    case 'DOUBLE':
      return 'REAL'
    case 'BINARY':
      return 'BLOB'
    default:
      return 'TEXT'
  }
}

/** Destination names of the key columns (`_sluice_id` for a keyless table). */
export function keyNames(layout: TableLayout): string[] {
  if (layout.primaryKey.length === 0) return [SYSTEM.id]
  const names = new Map(layout.columns.map((c) => [c.source, c.name]))
  return layout.primaryKey.map((k) => names.get(k)!)
}

/** CREATE TABLE for a layout: its columns, the system columns, and the key (none for append tables). */
export function createTableSql(layout: TableLayout): string {
  const cols = layout.columns.map((c) => `${quoteIdent(c.name)} ${sqliteType(c.type)}`)
  cols.push(`${quoteIdent(SYSTEM.synced)} TEXT NOT NULL`, `${quoteIdent(SYSTEM.deleted)} INTEGER NOT NULL DEFAULT 0`)
  if (layout.primaryKey.length === 0) cols.push(`${quoteIdent(SYSTEM.id)} TEXT NOT NULL`)
  const keyed = layout.mode !== 'append'
  if (keyed) cols.push(`PRIMARY KEY (${keyNames(layout).map(quoteIdent).join(', ')})`)
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(layout.name)} (${cols.join(', ')})`
}
