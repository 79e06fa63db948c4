import type { SourceReadArgs } from '../../contracts/source.js'
import type { Selection } from '../../contracts/selection.js'
import { narrowTable, type KeysetColumn, type KeysetTable } from './keyset-table.js'

/**
 * The tables a sync's `select()` stage lets through (sync hands the selection to the source with
 * the read arguments), each narrowed to its selected columns so blocked ones are never queried.
 * Without a selection, the tables as they are.
 */
export function selected<T extends KeysetTable<KeysetColumn>>(tables: readonly T[], args: SourceReadArgs): T[] {
  const selection = (args as SourceReadArgs & { readonly selection?: Selection }).selection
  if (!selection) return [...tables]
  return tables.filter((t) => selection.table(t.table)).map((t) => narrowTable(t, (column) => selection.column(t.table, column)))
}
