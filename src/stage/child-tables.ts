import type { TableDescription } from '../contracts/sink.js'

/** Columns that link a child table's rows to their parent row and keep the array order (the child's key). */
export const CHILD_KEY = ['_sluice_parent_id', '_sluice_index'] as const

/** The source row's `_sluice_parent_id` on tables below the first child level (grandchildren …). */
export const ROOT_ID = '_sluice_root_id'

/** A descendant table of a flattened table, and the column that names a row's source parent in it. */
export interface ChildTable {
  readonly table: string
  /** `_sluice_parent_id` for a first-level child, `_sluice_root_id` deeper down. */
  readonly column: string
}

/**
 * The child tables `flatten` knows of: those in the destination when the sync began (a table
 * keyed by `CHILD_KEY`) and those it announced in this run. A grandchild table made before
 * `_sluice_root_id` existed has no such column: it is matched on `_sluice_parent_id`, which holds
 * no root ids, so its old rows stay as they were rather than being cleared wrongly.
 */
export class ChildTables {
  readonly #known = new Map<string, string>()
  readonly #announced = new Set<string>()

  constructor(destination: readonly TableDescription[]) {
    for (const t of destination) {
      if (t.primaryKey.length !== 2 || t.primaryKey[0] !== CHILD_KEY[0] || t.primaryKey[1] !== CHILD_KEY[1]) continue
      this.#known.set(t.table, t.columns.some((c) => c.source === ROOT_ID) ? ROOT_ID : CHILD_KEY[0])
    }
  }

  /** Registers a child table; true the first time in this run (its `create_table` is due). */
  announce(table: string, column: string): boolean {
    this.#known.set(table, column)
    if (this.#announced.has(table)) return false
    this.#announced.add(table)
    return true
  }

  /** Descendant tables of `table`; with `columns` (an update), only those below one of them. */
  of(table: string, columns?: readonly string[]): ChildTable[] {
    const prefixes = (columns ?? ['']).map((c) => (c === '' ? `${table}__` : `${table}__${c}`))
    const out: ChildTable[] = []
    for (const [name, column] of this.#known) {
      const below = prefixes.some((p) => name === p || name.startsWith(columns ? `${p}__` : p))
      if (below && name !== table) out.push({ table: name, column })
    }
    return out
  }
}
