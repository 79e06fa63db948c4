import type { Stage } from '../sync/sync.js'

const KEEPING = new WeakSet<Stage>()

/**
 * Marks a stage that never renames or derives tables or columns (it may drop rows, values,
 * columns or tables, or change a column's type): a `select()` placed after it still speaks of
 * the source's own names, so its selection may be handed to the source. The built-in `select`,
 * `hashColumns`, `schemaDrift` and `validate` are marked; `flatten`, `transform` and stages of
 * your own are not, and a `select()` after one of them only filters what reaches the destination.
 */
export function keepsNames<S extends Stage>(stage: S): S {
  KEEPING.add(stage)
  return stage
}

/** True for a stage marked by {@link keepsNames}. */
export function isNameKeeping(stage: Stage): boolean {
  return KEEPING.has(stage)
}
