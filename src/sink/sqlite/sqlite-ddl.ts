import type { Database } from 'better-sqlite3'
import { createHash } from 'node:crypto'
import type { Row } from '../../core/batch.js'
import { baseType, type ColumnType } from '../../core/column-type.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'
import { SluiceError } from '../../core/sluice-error.js'
import { HISTORY } from '../layout/history-columns.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { keyNames, SYSTEM, widenStoredValue, type LayoutColumn, type TableLayout } from '../layout/table-layout.js'

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

/**
 * CREATE TABLE for a layout: its columns, the system columns, and the key (none for append
 * tables, nor for keyless ones: see `indexedByRowIndex`). History tables add the version columns (ISO text, as `_sluice_synced`), are keyed by
 * (key, `_sluice_start`), and get a partial unique index: one active version per key.
 */
export function createTableSql(layout: TableLayout): string {
  const table = tableSql(layout, layout.name)
  return layout.mode === 'history' ? `${table};\n${activeIndexSql(layout)}` : table
}

/** The CREATE TABLE of a layout under `name` (a history-table migration builds it beside the old one). */
export function tableSql(layout: TableLayout, name: string): string {
  const cols = layout.columns.map((c) => `${quoteIdent(c.name)} ${sqliteType(c.type)}`)
  cols.push(`${quoteIdent(SYSTEM.synced)} TEXT NOT NULL`, `${quoteIdent(SYSTEM.deleted)} INTEGER NOT NULL DEFAULT 0`)
  if (layout.primaryKey.length === 0) cols.push(`${quoteIdent(SYSTEM.id)} TEXT NOT NULL`)
  const keys = keyNames(layout).map(quoteIdent)
  if (layout.mode === 'history') {
    cols.push(
      `${quoteIdent(HISTORY.start)} TEXT NOT NULL`,
      `${quoteIdent(HISTORY.end)} TEXT NOT NULL`,
      `${quoteIdent(HISTORY.active)} INTEGER NOT NULL DEFAULT 1`,
      `PRIMARY KEY (${[...keys, quoteIdent(HISTORY.start)].join(', ')})`,
    )
  } else if (layout.mode !== 'append' && !indexedByRowIndex(layout)) cols.push(`PRIMARY KEY (${keys.join(', ')})`)
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(name)} (${cols.join(', ')})`
}

/**
 * Keyless upsert and replace tables have no key constraint: their rows are found by
 * `_sluice_id` through the row index (sqlite-row-index.ts), which a UNIQUE index on a hash
 * would make 15–20× more costly to write. Tables created by earlier versions keep their key.
 */
export function indexedByRowIndex(layout: TableLayout): boolean {
  return layout.primaryKey.length === 0 && (layout.mode === 'upsert' || layout.mode === 'replace')
}

/** The partial unique index of a history table (named by a hash: indexes share the tables' namespace). */
export function activeIndexSql(layout: TableLayout): string {
  const index = `_sluice_active_${createHash('sha256').update(layout.name).digest('hex').slice(0, 16)}`
  const keys = keyNames(layout).map(quoteIdent)
  return `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(index)} ON ${quoteIdent(layout.name)} (${keys.join(', ')}) WHERE ${quoteIdent(HISTORY.active)}`
}

/** The JS view (as `valueAt` gives it) of a value SQLite stores for a column of `type` (integers read as bigint). */
export function sqliteValueView(stored: unknown, type: ColumnType): unknown {
  if (stored === null) return null
  switch (baseType(type)) {
    case 'BOOLEAN':
      return Number(stored) !== 0
    case 'SHORT':
    case 'INT':
    case 'LONG':
      if (typeof stored !== 'bigint') return stored
      return stored >= -9007199254740991n && stored <= 9007199254740991n ? Number(stored) : stored
    case 'FLOAT':
    case 'DOUBLE':
      return typeof stored === 'bigint' ? Number(stored) : stored
    case 'JSON':
      return typeof stored === 'string' ? parseJsonExact(stored) : stored // JSON.parse would round numbers beyond a double
    default:
      return stored
  }
}

/**
 * A row read with `safeIntegers(true)` (every INTEGER as a bigint, so a LONG beyond 2^53 is
 * exact) in the view `read()` gives for every sink: a number where it is exact, else the bigint.
 */
export function exactIntegers(row: Row): Row {
  for (const k in row) {
    const v = row[k]
    if (typeof v === 'bigint' && v >= -9007199254740991n && v <= 9007199254740991n) row[k] = Number(v)
  }
  return row
}

/** True when widening `from` to `to` changes what SQLite stores: another storage class, or other text. */
export function widenRewrites(from: ColumnType, to: ColumnType): boolean {
  if (sqliteType(from) !== sqliteType(to)) return true
  const f = baseType(from)
  const t = baseType(to)
  return (f === 'NAIVE_DATE' && t === 'NAIVE_DATETIME') || (f === 'JSON' && t === 'STRING')
}

/**
 * Registers `sluice_widen(value, from, to, table, column)`: the stored value of a column widened
 * from `from` to `to`, converted in JS exactly as a fresh write would store it (SQLite's CAST
 * prints REAL with 15 digits, BLOB as raw bytes, BOOLEAN as 1: all differ from a fresh write).
 */
export function registerWiden(db: Database): void {
  db.function('sluice_widen', { deterministic: true, safeIntegers: true }, (value: unknown, from: unknown, to: unknown, table: unknown, column: unknown) => {
    if (value === null) return null
    const f = from as ColumnType
    const out = widenStoredValue(sqliteValueView(value, f), f, to as ColumnType, { table: String(table), column: String(column) })
    return out instanceof Uint8Array && !Buffer.isBuffer(out) ? Buffer.from(out.buffer, out.byteOffset, out.byteLength) : out
  })
}

/**
 * Rewrites a widened column's stored values as a fresh write of the new type would store them
 * (`sluice_widen`). Another storage class needs a new column, since the declared type sets the
 * affinity (TEXT in an INTEGER column would be coerced back): add, copy, drop, rename. Runs in
 * the caller's transaction, so a value that can't be widened rolls the whole change back.
 */
export function migrateColumn(db: Database, layout: TableLayout, column: LayoutColumn, from: ColumnType, isKey: boolean): void {
  const t = quoteIdent(layout.name)
  const c = quoteIdent(column.name)
  const args = `${c}, ?, ?, ?, ?`
  const params = [from, column.type, layout.table, column.source]
  if (sqliteType(from) === sqliteType(column.type)) {
    db.prepare(`UPDATE ${t} SET ${c} = sluice_widen(${args}) WHERE ${c} IS NOT NULL`).run(params)
    return
  }
  if (isKey) {
    throw new SluiceError({
      code: 'DESTINATION_WRITE',
      message: `sqlite: primary key column ${column.name} of ${layout.name} changed type from ${from} to ${column.type}; declare its type in the table spec so it stays stable`,
      context: { table: layout.table, column: column.source, from, to: column.type },
    })
  }
  const temp = quoteIdent(`${column.name}__sluice_migrating`)
  db.exec(`ALTER TABLE ${t} ADD COLUMN ${temp} ${sqliteType(column.type)}`)
  db.prepare(`UPDATE ${t} SET ${temp} = sluice_widen(${args})`).run(params)
  db.exec(`ALTER TABLE ${t} DROP COLUMN ${c}`)
  db.exec(`ALTER TABLE ${t} RENAME COLUMN ${temp} TO ${c}`)
}
