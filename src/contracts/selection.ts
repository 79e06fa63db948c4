/**
 * Which tables and columns a sync moves. `sync()` hands it to the source (in `read()`'s
 * `catalog` and as `selection`) and to stages as `context.selection`, so a source can skip a
 * blocked table's requests and leave blocked columns out of its queries (`SELECT id, total …`)
 * instead of fetching them only to drop them. The `select` stage makes one.
 *
 * @example
 * ```ts
 * import { select } from 'sluice'
 * const { selection } = select({ exclude: ['audit_log', 'orders.email'] })
 * selection.table('audit_log') // false
 * selection.column('orders', 'Email') // false: names compare after normalizeName
 * ```
 */
export interface Selection {
  /** True when rows of `table` are synced. */
  table(table: string): boolean
  /** True when `column` of `table` is synced (false for every column of a blocked table). */
  column(table: string, column: string): boolean
}
