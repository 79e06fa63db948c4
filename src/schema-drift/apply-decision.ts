import { Batch, valueAt, type Column, type Row } from '../core/batch.js'
import type { ErrorRecord } from '../core/error-record.js'
import type { RecordsMessage } from '../core/message.js'
import { castColumn } from './cast-column.js'
import type { Discard, DriftDecision } from './drift-decision.js'

/** Stable code of the `_sluice_errors` records schema drift writes for what it discards. */
export const SCHEMA_DISCARDED = 'SCHEMA_DISCARDED'

/**
 * Carries out a decision on a batch: drops and casts columns, nulls discarded values, drops
 * discarded rows, and describes every discarded value or row as an error record (nothing
 * disappears silently). Returns a new batch; the input batch is never written to.
 */
export function applyDecision(
  message: RecordsMessage,
  decision: DriftDecision,
  primaryKey: readonly string[],
  tablesMode: string,
): { batch: Batch | undefined; errors: ErrorRecord[] } {
  const { table, batch } = message
  if (decision.dropTable) {
    const error: ErrorRecord = {
      kind: 'schema', table, code: SCHEMA_DISCARDED,
      message: `table ${table} is new and schemaDrift tables is ${tablesMode}: ${batch.length} ${message.op} row(s) not written; declare the table or set tables to evolve to sync it`,
      context: { reason: 'new_table', mode: tablesMode, op: message.op, rows: batch.length },
    }
    return { batch: undefined, errors: [error] }
  }
  const errors: ErrorRecord[] = []
  const droppedRows = new Map<number, Discard[]>()
  for (const d of decision.discards) {
    if (d.mode === 'discard_row') {
      for (const row of d.rows) droppedRows.set(row, [...(droppedRows.get(row) ?? []), d])
      continue
    }
    const column = batch.column(d.column)!
    for (const row of d.rows) {
      errors.push({
        kind: 'value', table, code: SCHEMA_DISCARDED,
        message: `${describe(d)}: value set to NULL (schemaDrift ${d.reason === 'new_column' ? 'columns' : 'types'} is discard_value)`,
        context: { reason: d.reason, column: d.column, known: d.known, incoming: d.incoming, row },
        record: { ...identity(batch, row, primaryKey), [d.column]: valueAt(column, row) },
      })
    }
  }
  for (const [row, why] of [...droppedRows].sort((a, b) => a[0] - b[0])) {
    errors.push({
      kind: 'record', table, code: SCHEMA_DISCARDED,
      message: `${why.map(describe).join('; ')}: row not written (schemaDrift ${why[0]!.reason === 'new_column' ? 'columns' : 'types'} is discard_row)`,
      context: { reason: why[0]!.reason, columns: why.map((d) => d.column), row },
      record: rowAt(batch, row),
    })
  }
  if (decision.actions.size === 0 && droppedRows.size === 0) return { batch, errors }
  const columns: Column[] = []
  for (const column of batch.columns) {
    const action = decision.actions.get(column.name)
    if (action === undefined) columns.push(column)
    else if (action.kind === 'cast') columns.push(castColumn(column, batch.length, action.to, new Set(action.nulled)))
  }
  let out = new Batch(columns, batch.length)
  if (droppedRows.size > 0) {
    const keep = new Uint8Array(batch.length).fill(1)
    for (const row of droppedRows.keys()) keep[row] = 0
    out = out.filter(keep)
  }
  return { batch: out, errors }
}

function describe(d: Discard): string {
  return d.reason === 'new_column'
    ? `new column ${JSON.stringify(d.column)} (${d.incoming})`
    : `column ${JSON.stringify(d.column)} is ${d.known}, the value needs ${d.incoming}`
}

/** The key columns of a row (the whole row for a keyless table): enough to find or replay it. */
function identity(batch: Batch, row: number, primaryKey: readonly string[]): Row {
  if (primaryKey.length === 0) return rowAt(batch, row)
  const out: Row = {}
  for (const k of primaryKey) {
    const c = batch.column(k)
    if (c) out[k] = valueAt(c, row)
  }
  return out
}

function rowAt(batch: Batch, row: number): Row {
  const out: Row = {}
  for (const c of batch.columns) out[c.name] = valueAt(c, row)
  return out
}
