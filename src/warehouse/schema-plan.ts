import type { RecordsMessage, SchemaChange, SchemaMessage } from '../core/message.js'
import type { TableSpec } from '../core/table-spec.js'
import { addColumns, applySchemaChange, createTable, planTable, reconcile, type TableLayout } from '../sink/layout/table-layout.js'

/** What one message does to its table's layout: the layouts before and after, and the changes to apply. */
export interface PlannedStep {
  readonly table: string
  readonly before: TableLayout
  readonly after: TableLayout
  /** `[create_table]` for a new table, else the added and widened columns; empty when nothing changes. */
  readonly changes: readonly SchemaChange[]
  readonly isNew: boolean
}

/**
 * The destination's table layouts as a sync's messages change them, computed without touching
 * the database (pure, cloneable), so the engine can re-plan a transaction from its last commit
 * (drivers with `replayOnAlter`). The rules: a table is created once its key columns have types; a
 * table that exists gets the columns its spec declares at its first write of the run; batches
 * add and widen columns (`reconcile`), schema messages apply (`applySchemaChange`).
 */
export class SchemaPlan {
  readonly #specs: Map<string, TableSpec>
  readonly #layouts: Map<string, TableLayout>
  readonly #created: Set<string>
  readonly #declaredChecked: Set<string>
  readonly #taken: Set<string>

  constructor(specs: readonly TableSpec[] | Map<string, TableSpec>, layouts: Map<string, TableLayout>, existingTables: Iterable<string>, created?: Set<string>, checked?: Set<string>) {
    this.#specs = specs instanceof Map ? specs : new Map(specs.map((t) => [t.table, t]))
    this.#layouts = new Map(layouts)
    this.#created = created ? new Set(created) : new Set(layouts.keys())
    this.#declaredChecked = new Set(checked)
    this.#taken = new Set([...existingTables, ...[...layouts.values()].map((l) => l.name)])
    if (!created) {
      for (const spec of this.#specs.values()) if (!this.#layouts.has(spec.table)) this.#plan(spec)
    }
  }

  clone(): SchemaPlan {
    return new SchemaPlan(this.#specs, this.#layouts, this.#taken, this.#created, this.#declaredChecked)
  }

  layout(table: string): TableLayout | undefined {
    return this.#layouts.get(table)
  }

  created(table: string): boolean {
    return this.#created.has(table)
  }

  /** Plans a records or schema message (truncates change no layout) and records the outcome. */
  step(message: RecordsMessage | SchemaMessage): PlannedStep {
    const table = message.table
    // A table's first `create_table` message (e.g. a child table from `flatten`) may set its key and mode.
    const announced = message.kind === 'schema' && message.change.type === 'create_table' ? { ...message.change.spec, table } : undefined
    const before = this.#layouts.get(table) ?? this.#plan(announced ?? { table, ...(this.#specs.get(table) ?? {}) })
    const declared = this.#declaredColumns(before)
    const { layout: after, changes } = message.kind === 'records' ? reconcile(declared.layout, message.batch) : applySchemaChange(declared.layout, message.change)
    this.#layouts.set(table, after)
    if (!this.#created.has(table)) {
      const typed = new Set(after.columns.map((c) => c.source))
      // Key types come from the first rows: the table is created then.
      if (!after.primaryKey.every((k) => typed.has(k))) return { table, before, after, changes: [], isNew: false }
      this.#created.add(table)
      return { table, before, after, changes: [createTable(after)], isNew: true }
    }
    return { table, before, after, changes: [...declared.changes, ...changes], isNew: false }
  }

  /**
   * What another writer of a shared destination committed replaces what this plan assumed of
   * `table`: its layout (undefined: the table doesn't exist yet) and the names now taken. The
   * table's declared columns are checked again at its next step.
   */
  refresh(table: string, layout: TableLayout | undefined, taken: readonly string[]): void {
    this.take(taken)
    this.#declaredChecked.delete(table)
    if (layout) {
      this.#layouts.set(table, layout)
      this.#created.add(table)
      this.#taken.add(layout.name)
      return
    }
    this.#created.delete(table)
    // Still to create: under the planned name, unless another table took it meanwhile (then planned again).
    const planned = this.#layouts.get(table)
    if (planned && taken.includes(planned.name)) this.#layouts.delete(table)
  }

  /** Names the destination uses that the plan must not give a table (read again before a new table is planned). */
  take(names: Iterable<string>): void {
    for (const name of names) this.#taken.add(name)
  }

  #plan(spec: TableSpec): TableLayout {
    const layout = planTable(spec, this.#taken)
    this.#taken.add(layout.name)
    this.#layouts.set(spec.table, layout)
    return layout
  }

  /** On the first write of a run to an existing table, the columns its spec declares that the table lacks. */
  #declaredColumns(layout: TableLayout): { layout: TableLayout; changes: SchemaChange[] } {
    const table = layout.table
    if (this.#declaredChecked.has(table) || !this.#created.has(table)) return { layout, changes: [] }
    this.#declaredChecked.add(table)
    return addColumns(layout, Object.entries(this.#specs.get(table)?.columns ?? {}))
  }
}
