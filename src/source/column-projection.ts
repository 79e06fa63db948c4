import type { Row } from '../core/batch.js'
import type { Selection } from '../contracts/selection.js'

/** Rows with a selection's blocked columns left out (rows with none blocked are passed on as they are). */
export type ColumnProjection = (rows: readonly Row[]) => Row[]

// A column name is decided once; past this many distinct names (an API keying objects by id) each row asks again.
const REMEMBERED = 10_000

/**
 * The projection a source applies to rows before they become a batch, so blocked columns are never type-inferred,
 * converted or written: a column passes when `selection` lets it through or `keep` names it (primary key columns:
 * `select()` refuses to exclude them, and a row can't be written without its key). `undefined` without a selection.
 *
 * Read what state needs (the incremental cursor) from the rows before projecting them: a blocked cursor still moves
 * the state, it is just not written.
 *
 * @example
 * ```ts
 * import { select } from 'sluice'
 * import { columnProjection } from './column-projection.js'
 * const project = columnProjection('orders', select({ exclude: ['*.email'] }).selection, ['id'])
 * project?.([{ id: 1, email: 'a@x', total: 5 }]) // [{ id: 1, total: 5 }]
 * ```
 */
export function columnProjection(table: string, selection: Selection | undefined, keep: readonly string[] = []): ColumnProjection | undefined {
  if (!selection) return undefined
  const kept = new Set(keep)
  const decided = new Map<string, boolean>()
  const passes = (column: string): boolean => {
    let yes = decided.get(column)
    if (yes === undefined) {
      yes = kept.has(column) || selection.column(table, column)
      if (decided.size < REMEMBERED) decided.set(column, yes)
    }
    return yes
  }
  return (rows) => {
    const out = new Array<Row>(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!
      let blocked = false
      for (const column of Object.keys(row)) {
        if (!passes(column)) {
          blocked = true
          break
        }
      }
      if (!blocked) {
        out[i] = row
        continue
      }
      // A fresh object (not `delete`, which would slow every later read of the row) with the keys in their order.
      const narrowed: Row = {}
      for (const column of Object.keys(row)) if (passes(column)) narrowed[column] = row[column]
      out[i] = narrowed
    }
    return out
  }
}
