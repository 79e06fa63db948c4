import { baseType, decimalParams, type ColumnType } from '../../core/column-type.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { keyNames, SYSTEM, type TableLayout } from '../layout/table-layout.js'

/** History-mode (SCD2) system columns. */
export const HISTORY = {
  start: '_sluice_start',
  end: '_sluice_end',
  active: '_sluice_active',
} as const

/** `_sluice_end` of the active version, as Fivetran writes it: the end of time, not NULL, so range queries need no COALESCE. */
export const END_OF_TIME = '9999-12-31T23:59:59.999Z'

/**
 * The Postgres type of a sluice type. Exact types stay exact: DECIMAL is `numeric(p,s)`, the
 * temporal types keep microseconds, JSON is `jsonb`.
 */
export function pgType(type: ColumnType): string {
  switch (baseType(type)) {
    case 'BOOLEAN':
      return 'boolean'
    case 'SHORT':
      return 'smallint'
    case 'INT':
      return 'integer'
    case 'LONG':
      return 'bigint'
    case 'DECIMAL': {
      const { precision, scale } = decimalParams(type)
      return `numeric(${precision},${scale})`
    }
    case 'FLOAT':
      return 'real'
    case 'DOUBLE':
      return 'double precision'
    case 'NAIVE_DATE':
      return 'date'
    case 'NAIVE_DATETIME':
      return 'timestamp'
    case 'UTC_DATETIME':
      return 'timestamptz'
    case 'BINARY':
      return 'bytea'
    case 'JSON':
      return 'jsonb'
    case 'STRING':
      return 'text'
  }
}

/** `"schema"."table"`. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`
}

/**
 * CREATE TABLE (and, for history tables, the index that finds the active version) for a layout.
 * Append tables have no key; history tables are keyed by (key, `_sluice_start`) with at most one
 * active version per key.
 */
export function createTableSql(schema: string, layout: TableLayout): string {
  const cols = layout.columns.map((c) => `${quoteIdent(c.name)} ${pgType(c.type)}`)
  cols.push(`${quoteIdent(SYSTEM.synced)} timestamptz NOT NULL`, `${quoteIdent(SYSTEM.deleted)} boolean NOT NULL DEFAULT false`)
  if (layout.primaryKey.length === 0) cols.push(`${quoteIdent(SYSTEM.id)} text NOT NULL`)
  const keys = keyNames(layout).map(quoteIdent)
  const table = qualified(schema, layout.name)
  if (layout.mode === 'history') {
    cols.push(
      `${quoteIdent(HISTORY.start)} timestamptz NOT NULL`,
      `${quoteIdent(HISTORY.end)} timestamptz NOT NULL`,
      `${quoteIdent(HISTORY.active)} boolean NOT NULL DEFAULT true`,
      `PRIMARY KEY (${[...keys, quoteIdent(HISTORY.start)].join(', ')})`,
    )
    const index = quoteIdent(`${layout.name.slice(0, 40)}_sluice_active`)
    return `CREATE TABLE ${table} (${cols.join(', ')});
CREATE UNIQUE INDEX ${index} ON ${table} (${keys.join(', ')}) WHERE ${quoteIdent(HISTORY.active)}`
  }
  if (layout.mode !== 'append') cols.push(`PRIMARY KEY (${keys.join(', ')})`)
  return `CREATE TABLE ${table} (${cols.join(', ')})`
}
