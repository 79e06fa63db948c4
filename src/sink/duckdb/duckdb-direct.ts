import type { Batch, Column } from '../../core/batch.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'
import { nullColumn } from '../../codec/column-as-type.js'

/** Name of the row-hash column among a writer's columns: not a name any source column can have. */
export const HASH = '\u0000_sluice_id'

/**
 * Every column of a table, in its physical order, for appending rows straight into it: the
 * batch's columns where it has them, `_sluice_synced` = `synced`, `_sluice_deleted` = false,
 * `_sluice_id` from the row hashes, and NULL for the table's other columns (what an INSERT of
 * the batch's columns leaves there). `rows` holds the layout's source names (and `HASH`).
 */
export function directColumns(order: readonly string[], layout: TableLayout, rows: Batch, synced: string): Column[] {
  const n = rows.length
  const byName = new Map(layout.columns.map((c) => [c.name, c]))
  return order.map((name): Column => {
    if (name === SYSTEM.synced) return { name, type: 'UTC_DATETIME', values: new Array<string>(n).fill(synced), validity: undefined, nullCount: 0 }
    if (name === SYSTEM.deleted) return { name, type: 'BOOLEAN', values: new Uint8Array(n), validity: undefined, nullCount: 0 }
    if (name === SYSTEM.id) return rows.column(HASH)!
    const target = byName.get(name)!
    const given = rows.column(target.source)
    if (given) return given
    return nullColumn(name, target.type, n)
  })
}
