import type { Batch } from '../../core/batch.js'
import { baseType, widenType, type ColumnType } from '../../core/column-type.js'
import { encodeValue, NO_FIT } from '../../core/encode-value.js'
import type { SchemaChange } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { TableSpec, WriteMode } from '../../core/table-spec.js'
import { modeOf } from '../../core/write-mode.js'
import { normalizeName, normalizeTableName, uniqueName } from '../../core/normalize-name.js'

/** System columns every destination table has (names are reserved: a source column of the same name is renamed). */
export const SYSTEM = {
  synced: '_sluice_synced',
  deleted: '_sluice_deleted',
  id: '_sluice_id',
} as const

/** Destination names of the key columns (`_sluice_id` for a keyless table). */
export function keyNames(layout: TableLayout): string[] {
  if (layout.primaryKey.length === 0) return [SYSTEM.id]
  const names = new Map(layout.columns.map((c) => [c.source, c.name]))
  return layout.primaryKey.map((k) => names.get(k)!)
}

const RESERVED = new Set<string>([SYSTEM.synced, SYSTEM.deleted, SYSTEM.id, '_sluice_start', '_sluice_end', '_sluice_active'])

/** A destination column: the source's name, the destination's (normalised, unique) name, and its type. */
export interface LayoutColumn {
  readonly source: string
  readonly name: string
  readonly type: ColumnType
}

/**
 * How a source table lands in a destination: its normalised name, columns, key and mode.
 * Persisted by each SQL sink (in `_sluice_tables`) so names stay stable across runs even when
 * two source names collide after normalisation.
 */
export interface TableLayout {
  readonly table: string
  readonly name: string
  /** Source names of the key columns; empty means keyed by `_sluice_id`. */
  readonly primaryKey: readonly string[]
  readonly mode: WriteMode
  readonly columns: readonly LayoutColumn[]
}

/** Lays out a new table: a unique destination name, declared columns (key first) named without collisions. */
export function planTable(spec: TableSpec, takenTables: ReadonlySet<string>): TableLayout {
  const layout: TableLayout = {
    table: spec.table,
    name: uniqueName(normalizeTableName(spec.table), takenTables),
    primaryKey: [...(spec.primaryKey ?? [])],
    mode: modeOf(spec),
    columns: [],
  }
  const declared: [string, ColumnType][] = Object.entries(spec.columns ?? {})
  // Key columns without a declared type are created from data; until then they are STRING-typed placeholders
  // only if declared — the first batch supplies real types.
  return addColumns(layout, declared).layout
}

/** The layout with `columns` appended (new source names only), and the schema changes that makes. */
export function addColumns(layout: TableLayout, columns: Iterable<readonly [string, ColumnType]>): { layout: TableLayout; changes: SchemaChange[] } {
  const bySource = new Map(layout.columns.map((c) => [c.source, c]))
  const taken = new Set<string>([...RESERVED, ...layout.columns.map((c) => c.name)])
  const added: LayoutColumn[] = []
  const changes: SchemaChange[] = []
  for (const [source, type] of columns) {
    if (bySource.has(source)) continue
    const column = { source, name: uniqueName(normalizeName(source), taken), type }
    taken.add(column.name)
    bySource.set(source, column)
    added.push(column)
    changes.push({ type: 'add_column', column: source, columnType: type })
  }
  return { layout: added.length ? { ...layout, columns: [...layout.columns, ...added] } : layout, changes }
}

/**
 * Reconciles a layout with an incoming batch: new columns are added, and a column whose values
 * need a wider type is widened losslessly (see `widenType`). Pure: the sink applies the result.
 */
export function reconcile(layout: TableLayout, batch: Batch): { layout: TableLayout; changes: SchemaChange[] } {
  const bySource = new Map(layout.columns.map((c) => [c.source, c]))
  const fresh: [string, ColumnType][] = []
  const changes: SchemaChange[] = []
  let columns: LayoutColumn[] | undefined
  for (const c of batch.columns) {
    const existing = bySource.get(c.name)
    if (!existing) {
      fresh.push([c.name, c.type])
      continue
    }
    if (existing.type === c.type) continue
    const wider = widenType(existing.type, c.type)
    if (wider === existing.type) continue
    columns ??= [...layout.columns]
    const at = columns.findIndex((x) => x.source === c.name)
    columns[at] = { ...existing, type: wider }
    changes.push({ type: 'change_type', column: c.name, from: existing.type, to: wider })
  }
  const widened = columns ? { ...layout, columns } : layout
  const withNew = addColumns(widened, fresh)
  return { layout: withNew.layout, changes: [...changes, ...withNew.changes] }
}

/** The destination name of each source column of a layout. */
export function destinationNames(layout: TableLayout): Map<string, string> {
  return new Map(layout.columns.map((c) => [c.source, c.name]))
}

/**
 * The layout after an explicit `schema` message (from a drift stage or a source). A type change
 * only ever widens (a message asking for a narrower type widens to what holds both, never loses
 * values); a change of a column the layout lacks adds it; a change that changes nothing is dropped.
 */
export function applySchemaChange(layout: TableLayout, change: SchemaChange): { layout: TableLayout; changes: SchemaChange[] } {
  if (change.type === 'add_column') return addColumns(layout, [[change.column, change.columnType]])
  if (change.type === 'change_type') {
    const current = layout.columns.find((c) => c.source === change.column)
    if (!current) return addColumns(layout, [[change.column, change.to]])
    const to = widenType(current.type, change.to)
    if (to === current.type) return { layout, changes: [] }
    const columns = layout.columns.map((c) => (c === current ? { ...c, type: to } : c))
    return { layout: { ...layout, columns }, changes: [{ type: 'change_type', column: change.column, from: current.type, to }] }
  }
  return addColumns(layout, Object.entries(change.spec.columns ?? {}))
}

/** A value in the storage form of a batch column (see `ColumnValues`): what a sink binds. */
export type StoredValue = number | bigint | string | Uint8Array

/**
 * What a value already in a destination column must become when the column widens from `from`
 * to `to`: exactly what writing the same source value as `to` stores today (a BOOLEAN becomes
 * `'true'` in a STRING column, a DOUBLE keeps every digit, bytes become base64, a NAIVE_DATE
 * becomes midnight of a NAIVE_DATETIME). `value` is the JS view of the old value, as `valueAt`
 * returns it. Throws `DESTINATION_WRITE` rather than store a changed value (a LONG beyond 2^53
 * can't become an exact DOUBLE): a migration never loses data.
 */
export function widenStoredValue(value: unknown, from: ColumnType, to: ColumnType, where: { table: string; column: string }): StoredValue {
  const input = baseType(from) === 'NAIVE_DATE' && baseType(to) === 'NAIVE_DATETIME' && typeof value === 'string' && value.length === 10 ? `${value}T00:00:00` : value
  const out = encodeValue(input, to)
  if (out !== NO_FIT) return out
  throw new SluiceError({
    code: 'DESTINATION_WRITE',
    message: `table ${where.table}, column ${where.column}: the stored value ${String(value).slice(0, 40)} can't be widened from ${from} to ${to} without loss; declare the column's type (e.g. STRING or DECIMAL(38,0)) in the table spec`,
    context: { ...where, from, to },
  })
}

/** The `create_table` change that announces a new destination table. */
export function createTable(layout: TableLayout): SchemaChange {
  const columns = Object.fromEntries(layout.columns.map((c) => [c.source, c.type]))
  return { type: 'create_table', spec: { table: layout.table, primaryKey: layout.primaryKey, columns, mode: layout.mode } }
}
