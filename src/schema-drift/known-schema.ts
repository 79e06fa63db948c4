import type { ColumnType } from '../core/column-type.js'
import type { SchemaChange } from '../core/message.js'
import type { TableSpec } from '../core/table-spec.js'
import type { TableDescription } from '../contracts/sink.js'

/** What schema drift knows of one table: its columns (by source name) and whether the destination has it yet. */
export interface KnownTable {
  readonly table: string
  /** False for a declared table the destination does not have yet: its first batch creates it. */
  readonly exists: boolean
  readonly primaryKey: readonly string[]
  readonly columns: ReadonlyMap<string, ColumnType>
}

/**
 * The schema drift compares batches with: the destination's tables as they stand, plus the
 * tables and columns the source declares (declared means intended, so never "new"). Where both
 * name a column, the destination's type wins: it is what the data must fit.
 */
export function knownSchema(declared: readonly TableSpec[], destination: readonly TableDescription[]): Map<string, KnownTable> {
  const known = new Map<string, KnownTable>()
  for (const d of destination) {
    known.set(d.table, {
      table: d.table,
      exists: true,
      primaryKey: d.primaryKey,
      columns: new Map(d.columns.map((c) => [c.source, c.type as ColumnType])),
    })
  }
  for (const spec of declared) {
    const have = known.get(spec.table)
    const columns = new Map<string, ColumnType>(Object.entries(spec.columns ?? {}))
    if (have) for (const [name, type] of have.columns) columns.set(name, type)
    known.set(spec.table, {
      table: spec.table,
      exists: have?.exists ?? false,
      primaryKey: have?.primaryKey ?? spec.primaryKey ?? [],
      columns,
    })
  }
  return known
}

/** The table after its first batch created it with `columns`, or after `changes` were applied. */
export function evolveTable(table: KnownTable, changes: readonly SchemaChange[], created?: ReadonlyMap<string, ColumnType>): KnownTable {
  if (!created && changes.length === 0) return table
  const columns = new Map(table.columns)
  if (created) for (const [name, type] of created) if (!columns.has(name)) columns.set(name, type)
  for (const c of changes) {
    if (c.type === 'add_column') columns.set(c.column, c.columnType)
    else if (c.type === 'change_type') columns.set(c.column, c.to)
    else for (const [name, type] of Object.entries(c.spec.columns ?? {})) if (!columns.has(name)) columns.set(name, type)
  }
  return { ...table, exists: created ? true : table.exists, columns }
}
