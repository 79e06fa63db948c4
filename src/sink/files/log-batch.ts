import { Batch, type Column } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import type { RecordOp } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { rowHashes } from '../../core/row-hash.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'
import { columnAsType, nullColumn } from '../../codec/column-as-type.js'

/** Columns every file of the lake has after the table's own, in this order (`_sluice_id` only for keyless tables). */
export const LOG_COLUMNS = {
  synced: SYSTEM.synced,
  deleted: SYSTEM.deleted,
  /** `upsert`, `update`, `delete` or `delete_matching` (a `match: 'column'` delete). */
  op: '_sluice_op',
  /** For an `update` event, the JSON array of the columns it sets; for `delete_matching`, of the one column it matches on; NULL otherwise. */
  columns: '_sluice_columns',
} as const

/** The columns of a table's files: destination names and types, system columns last. */
export function logSchema(layout: TableLayout): { name: string; type: ColumnType }[] {
  const out: { name: string; type: ColumnType }[] = layout.columns.map((c) => ({ name: c.name, type: c.type }))
  out.push(
    { name: LOG_COLUMNS.synced, type: 'UTC_DATETIME' },
    { name: LOG_COLUMNS.deleted, type: 'BOOLEAN' },
    { name: LOG_COLUMNS.op, type: 'STRING' },
    { name: LOG_COLUMNS.columns, type: 'STRING' },
  )
  if (layout.primaryKey.length === 0) out.push({ name: SYSTEM.id, type: 'STRING' })
  return out
}

/**
 * A records message as events of the lake's log: one row per event with every column of the
 * table (destination names and types; a column the event does not carry is NULL), the write
 * time, the deleted flag, the operation and, for an update, which columns it sets. A delete
 * carries only the key (`_sluice_id` for a keyless table).
 */
export function logBatch(layout: TableLayout, op: RecordOp, batch: Batch, synced: string): Batch {
  const n = batch.length
  const keyless = layout.primaryKey.length === 0
  if (op === 'delete' && !keyless) {
    const missing = layout.primaryKey.filter((k) => !batch.column(k))
    if (missing.length > 0) {
      throw new SluiceError({
        code: 'PRIMARY_KEY_MISSING',
        message: `table ${layout.table}: a delete must give the primary key column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
        context: { table: layout.table },
      })
    }
  }
  const carried = (source: string) => op !== 'delete' || layout.primaryKey.includes(source)
  const columns: Column[] = layout.columns.map((c) => {
    const given = batch.column(c.source)
    return given && carried(c.source) ? columnAsType(given, c.type, `files: table ${layout.table}`, c.name) : nullColumn(c.name, c.type, n)
  })
  const set = op === 'update' ? JSON.stringify(layout.columns.filter((c) => batch.column(c.source)).map((c) => c.name)) : undefined
  columns.push(
    constant(LOG_COLUMNS.synced, 'UTC_DATETIME', synced, n),
    { name: LOG_COLUMNS.deleted, type: 'BOOLEAN', values: new Uint8Array(n).fill(op === 'delete' ? 1 : 0), validity: undefined, nullCount: 0 },
    constant(LOG_COLUMNS.op, 'STRING', op, n),
    set === undefined ? nullColumn(LOG_COLUMNS.columns, 'STRING', n) : constant(LOG_COLUMNS.columns, 'STRING', set, n),
  )
  if (keyless) columns.push({ name: SYSTEM.id, type: 'STRING', values: rowHashes(batch), validity: undefined, nullCount: 0 })
  return new Batch(columns, n)
}

function constant(name: string, type: ColumnType, value: string, n: number): Column {
  return { name, type, values: new Array<string>(n).fill(value), validity: undefined, nullCount: 0 }
}

/**
 * A `match: 'column'` delete as `delete_matching` events: one per value, carrying only `column`
 * (a source name the layout has) and naming it in `_sluice_columns`.
 */
export function logMatchingDelete(layout: TableLayout, column: string, batch: Batch, synced: string): Batch {
  const n = batch.length
  const target = layout.columns.find((c) => c.source === column)!
  const columns: Column[] = layout.columns.map((c) =>
    c === target ? columnAsType(batch.column(column)!, c.type, `files: table ${layout.table}`, c.name) : nullColumn(c.name, c.type, n),
  )
  columns.push(
    constant(LOG_COLUMNS.synced, 'UTC_DATETIME', synced, n),
    { name: LOG_COLUMNS.deleted, type: 'BOOLEAN', values: new Uint8Array(n).fill(1), validity: undefined, nullCount: 0 },
    constant(LOG_COLUMNS.op, 'STRING', 'delete_matching', n),
    constant(LOG_COLUMNS.columns, 'STRING', JSON.stringify([target.name]), n),
  )
  if (layout.primaryKey.length === 0) columns.push(nullColumn(SYSTEM.id, 'STRING', n))
  return new Batch(columns, n)
}
