import { baseType, decimalParams, type ColumnType } from '../../core/column-type.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { keyNames, SYSTEM, type TableLayout } from '../layout/table-layout.js'

/**
 * DuckDB column type of a sluice type: each maps to its native counterpart, so the warehouse is
 * queryable as typed data (DECIMAL(p,s) stays exact, UTC_DATETIME is TIMESTAMPTZ, JSON is JSON).
 */
export function duckdbType(type: ColumnType): string {
  switch (baseType(type)) {
    case 'BOOLEAN':
      return 'BOOLEAN'
    case 'SHORT':
      return 'SMALLINT'
    case 'INT':
      return 'INTEGER'
    case 'LONG':
      return 'BIGINT'
    case 'FLOAT':
      return 'FLOAT'
    case 'DOUBLE':
      return 'DOUBLE'
    case 'DECIMAL': {
      const { precision, scale } = decimalParams(type)
      return `DECIMAL(${precision},${scale})`
    }
    case 'NAIVE_DATE':
      return 'DATE'
    case 'NAIVE_DATETIME':
      return 'TIMESTAMP'
    case 'UTC_DATETIME':
      return 'TIMESTAMPTZ'
    case 'BINARY':
      return 'BLOB'
    case 'JSON':
      return 'JSON'
    case 'STRING':
      return 'VARCHAR'
  }
}

/**
 * The type a batch column has in a staging table: the layout a vector copy can fill directly
 * (numbers, booleans, epoch micros and days), VARCHAR for DECIMAL and JSON (DuckDB parses and
 * checks them in the merge, exactly), BLOB for bytes.
 */
export function stagingType(type: ColumnType): string {
  switch (baseType(type)) {
    case 'DECIMAL':
    case 'JSON':
    case 'STRING':
      return 'VARCHAR'
    default:
      return duckdbType(type)
  }
}

/** The version columns of a history-mode (SCD2) table. */
export const HISTORY = { start: '_sluice_start', end: '_sluice_end', active: '_sluice_active' } as const

/**
 * CREATE TABLE for a layout: its columns, the system columns, and the key — none for append
 * tables; (key, `_sluice_start`) for history tables, whose versions carry `_sluice_start`,
 * `_sluice_end` and `_sluice_active`.
 */
export function createTableSql(layout: TableLayout): string {
  const cols = layout.columns.map((c) => `${quoteIdent(c.name)} ${duckdbType(c.type)}`)
  cols.push(`${quoteIdent(SYSTEM.synced)} TIMESTAMPTZ NOT NULL`, `${quoteIdent(SYSTEM.deleted)} BOOLEAN NOT NULL DEFAULT false`)
  if (layout.primaryKey.length === 0) cols.push(`${quoteIdent(SYSTEM.id)} VARCHAR NOT NULL`)
  const keys = keyNames(layout).map(quoteIdent)
  if (layout.mode === 'history') {
    cols.push(
      `${quoteIdent(HISTORY.start)} TIMESTAMPTZ NOT NULL`,
      `${quoteIdent(HISTORY.end)} TIMESTAMPTZ NOT NULL`,
      `${quoteIdent(HISTORY.active)} BOOLEAN NOT NULL DEFAULT true`,
      `PRIMARY KEY (${[...keys, quoteIdent(HISTORY.start)].join(', ')})`,
    )
  } else if (layout.mode !== 'append') cols.push(`PRIMARY KEY (${keys.join(', ')})`)
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(layout.name)} (${cols.join(', ')})`
}
