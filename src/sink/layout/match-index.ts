import { createHash } from 'node:crypto'
import { keyNames, type TableLayout } from './table-layout.js'

/**
 * The index a SQL sink keeps on the column a `match: 'column'` delete looks rows up by, unless
 * that column already leads the table's key. A child table's `_sluice_parent_id` does; a
 * grandchild's `_sluice_root_id` does not, and without the index every parent's delete scans the
 * whole table (quadratic in its size). The name is derived from the table and column, short
 * enough for Postgres's 63-byte limit, the same in every run.
 */
export function matchIndex(layout: TableLayout, column: string): string | undefined {
  if (keyNames(layout)[0] === column) return undefined
  const digest = createHash('sha256').update(`${layout.name}\u0000${column}`).digest('hex').slice(0, 16)
  return `_sluice_match_${digest}`
}
