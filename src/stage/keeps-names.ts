import type { Stage } from '../contracts/stage.js'

const KEEPING = new WeakSet<Stage>()

/**
 * Marks a stage that never renames or derives tables or columns (it may drop rows, values,
 * columns or tables, or change a column's type): a `select()` placed after it still speaks of
 * the source's own names, so its selection may be handed to the source. The built-in `select`,
 * `hashColumns`, `schemaDrift` and `validate` are marked; `flatten`, `transform` and stages of
 * your own are not, and a `select()` after one of them only filters what reaches the destination.
 * Mark a stage of your own when it only drops or rewrites values, so the source can still skip
 * what a later `select()` blocks. The mark is the stage's declared `keepsNames: true` (see
 * `StageDeclaration`): `sync()` reads it off the stage list before anything runs.
 *
 * @example
 * ```ts
 * import { keepsNames, select, type Stage } from 'sluice'
 * const dropTestOrders: Stage = keepsNames(async function* (messages) {
 *   for await (const m of messages) if (m.kind !== 'records' || m.table !== 'test_orders') yield m
 * })
 * const stages = [dropTestOrders, select({ exclude: ['orders.email'] })] // the source still skips orders.email
 * ```
 */
export function keepsNames<S extends Stage>(stage: S): S & { readonly keepsNames: true } {
  // Not `writable`: a declaration, read once by sync() when it builds the catalog.
  return Object.defineProperty(stage, 'keepsNames', { value: true, enumerable: true }) as S & { readonly keepsNames: true }
}

/** True for a stage marked by {@link keepsNames}. */
export function isNameKeeping(stage: Stage): boolean {
  return stage.keepsNames === true
}
