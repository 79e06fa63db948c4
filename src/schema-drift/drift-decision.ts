import { isNull, valueAt, type Batch, type Column } from '../core/batch.js'
import type { ColumnType } from '../core/column-type.js'
import type { RecordsMessage, SchemaChange } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import { misfits, widenTarget } from './cast-column.js'
import type { DriftMode, DriftPolicy } from './drift-policy.js'
import type { KnownTable } from './known-schema.js'

/** What happens to one column of a batch. Columns without an action pass through as they are. */
export type ColumnAction =
  /** Left out: a new column holding only NULLs (nothing to create yet), or a discarded new column. */
  | { readonly kind: 'drop' }
  /** Re-encoded as `to` (its known type, or the type it widens to), with the rows of `nulled` set to NULL. */
  | { readonly kind: 'cast'; readonly to: ColumnType; readonly nulled: readonly number[] }

/** Why a value or row is dropped: a new column, or a value that does not fit its column's type. */
export interface Discard {
  readonly column: string
  readonly reason: 'new_column' | 'type_change'
  readonly mode: 'discard_value' | 'discard_row'
  /** The column's type in the destination (`null` for a new column). */
  readonly known: ColumnType | null
  /** The type the batch's values have. */
  readonly incoming: ColumnType
  readonly rows: readonly number[]
}

/**
 * The pure outcome of comparing one records batch with the known schema: the schema changes to
 * send before it, what to do with each column, which values and rows to discard, or the error
 * that freezes the sync. Computed without side effects; `applyDecision` carries it out.
 */
export interface DriftDecision {
  /** The table is new and not allowed: drop the whole batch (`discard`) or fail (`frozen`). */
  readonly dropTable: boolean
  /** This batch creates the table (its columns are the table's first, no changes needed). */
  readonly creates: boolean
  readonly changes: readonly SchemaChange[]
  readonly actions: ReadonlyMap<string, ColumnAction>
  readonly discards: readonly Discard[]
  readonly frozen?: SluiceError
}

const PASS: DriftDecision = { dropTable: false, creates: false, changes: [], actions: new Map(), discards: [] }

/** Decides what schema drift does with one records message (see {@link DriftDecision}). */
export function decideRecords(message: RecordsMessage, known: KnownTable | undefined, policy: DriftPolicy): DriftDecision {
  const { table, batch } = message
  if (!known) {
    if (policy.tables === 'freeze') return { ...PASS, dropTable: true, frozen: frozenTable(table, batch) }
    if (policy.tables !== 'evolve') return { ...PASS, dropTable: true }
  }
  const creates = !known?.exists
  const primaryKey = known?.primaryKey ?? []
  const changes: SchemaChange[] = []
  const actions = new Map<string, ColumnAction>()
  const discards: Discard[] = []
  // A delete needs only the key (sinks ignore its other columns): they must not evolve the schema either.
  const keyOnly = message.op === 'delete' && primaryKey.length > 0 && !creates
  for (const column of batch.columns) {
    if (keyOnly && !primaryKey.includes(column.name)) {
      actions.set(column.name, { kind: 'drop' })
      continue
    }
    const type = known?.columns.get(column.name)
    const allNull = column.nullCount === batch.length && batch.length > 0
    if (type === undefined) {
      // A column only ever NULL so far has no type to create it with: wait for a value (or a declaration).
      if (allNull && !primaryKey.includes(column.name)) actions.set(column.name, { kind: 'drop' })
      else if (!creates) {
        const outcome = newColumn(table, column, batch, primaryKey, policy.columns)
        if (outcome instanceof SluiceError) return { ...PASS, frozen: outcome }
        if (outcome === 'evolve') changes.push({ type: 'add_column', column: column.name, columnType: column.type })
        else {
          actions.set(column.name, { kind: 'drop' })
          discards.push({ column: column.name, reason: 'new_column', mode: outcome, known: null, incoming: column.type, rows: nonNullRows(column, batch.length) })
        }
      }
      continue
    }
    if (column.type === type || storedAsIs(column.type, type)) continue
    if (allNull || batch.length === 0) {
      actions.set(column.name, { kind: 'cast', to: type, nulled: [] })
      continue
    }
    const bad = misfits(column, batch.length, type)
    if (bad.length === 0) {
      actions.set(column.name, { kind: 'cast', to: type, nulled: [] })
      continue
    }
    const mode = policy.types
    if (mode === 'evolve') {
      const to = widenTarget(type, column, batch.length)
      changes.push({ type: 'change_type', column: column.name, from: type, to })
      if (to !== column.type) actions.set(column.name, { kind: 'cast', to, nulled: [] })
    } else if (mode === 'freeze') {
      return { ...PASS, frozen: frozenValue(table, column, batch, primaryKey, type, bad[0]!) }
    } else {
      actions.set(column.name, { kind: 'cast', to: type, nulled: bad })
      discards.push({ column: column.name, reason: 'type_change', mode, known: type, incoming: column.type, rows: bad })
    }
  }
  return { dropTable: false, creates, changes, actions, discards }
}

/** Integers into a wider numeric column (FLOAT into DOUBLE): every sink stores the same number without a cast. */
function storedAsIs(incoming: ColumnType, known: ColumnType): boolean {
  if (incoming === 'SHORT' || incoming === 'INT') return known === 'INT' || known === 'LONG' || known === 'FLOAT' || known === 'DOUBLE'
  return incoming === 'FLOAT' && known === 'DOUBLE'
}

function newColumn(table: string, column: Column, batch: Batch, primaryKey: readonly string[], mode: DriftMode): SluiceError | Exclude<DriftMode, 'freeze'> {
  if (mode !== 'freeze') return mode
  const row = nonNullRows(column, batch.length)[0] ?? 0
  const key = keyOf(batch, row, primaryKey)
  return new SluiceError({
    code: 'SCHEMA_FROZEN',
    message: `schemaDrift: table ${table} has a new column ${JSON.stringify(column.name)} (${column.type}) at batch row ${row} (key ${JSON.stringify(key)}), and schemaDrift columns is freeze; declare the column, or set columns to evolve, discard_value or discard_row`,
    context: { table, column: column.name, from: null, to: column.type, row, key },
  })
}

function frozenValue(table: string, column: Column, batch: Batch, primaryKey: readonly string[], from: ColumnType, row: number): SluiceError {
  const to = widenTarget(from, column, batch.length)
  const key = keyOf(batch, row, primaryKey)
  return new SluiceError({
    code: 'SCHEMA_FROZEN',
    message: `schemaDrift: table ${table}, column ${JSON.stringify(column.name)} would change type from ${from} to ${to} at batch row ${row} (key ${JSON.stringify(key)}), and schemaDrift types is freeze; fix the source value, declare the wider type, or set types to evolve, discard_value or discard_row`,
    context: { table, column: column.name, from, to, row, key },
  })
}

function frozenTable(table: string, batch: Batch): SluiceError {
  return new SluiceError({
    code: 'SCHEMA_FROZEN',
    message: `schemaDrift: table ${table} is new (not in the destination, not declared by the source), and schemaDrift tables is freeze; declare the table in the source, or set tables to evolve, discard_value or discard_row`,
    context: { table, columns: batch.names },
  })
}

/** Rows with a value in `column`. */
export function nonNullRows(column: Column, length: number): number[] {
  const rows: number[] = []
  for (let i = 0; i < length; i++) if (!isNull(column, i)) rows.push(i)
  return rows
}

/** The primary key values of a row, JSON-safe, for messages (`null` for a keyless table: its identity is the whole row). */
export function keyOf(batch: Batch, row: number, primaryKey: readonly string[]): Record<string, unknown> | null {
  if (primaryKey.length === 0) return null
  const key: Record<string, unknown> = {}
  for (const name of primaryKey) {
    const c = batch.column(name)
    if (c) key[name] = jsonSafe(valueAt(c, row))
  }
  return key
}

function jsonSafe(v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v
}
