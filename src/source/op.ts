import type { Batch, RowInput } from '../core/batch.js'
import { batchFromRows } from '../core/batch-from-rows.js'
import type { ColumnType } from '../core/column-type.js'
import type { CheckpointMessage, RecordOp, RecordsMessage, State, TruncateMessage } from '../core/message.js'
import { checkpointText } from '../core/json-state.js'
import { SluiceError } from '../core/sluice-error.js'

/**
 * A records message built from JS rows. Its columnar batch is built on first use, so that a
 * connector that declares column types converts the rows once, straight to those types.
 */
export class RowsMessage implements RecordsMessage {
  readonly kind = 'records' as const
  #batch: Batch | undefined

  /** Rows of `table` to apply with `op`; `op.upsert(...)` and friends build these. */
  constructor(
    readonly table: string,
    readonly op: RecordOp,
    readonly rows: readonly RowInput[],
  ) {}

  /** The rows as a columnar batch, built on first use (types inferred from the values). */
  get batch(): Batch {
    return (this.#batch ??= batchFromRows(this.rows, { table: this.table }))
  }

  /** The same message with its batch built using declared column types. */
  withTypes(columns: Readonly<Record<string, ColumnType>>): RecordsMessage {
    const batch = batchFromRows(this.rows, { table: this.table, columns })
    return { kind: 'records', table: this.table, op: this.op, batch }
  }
}

function rowsOf(rows: RowInput | readonly RowInput[]): readonly RowInput[] {
  return Array.isArray(rows) ? (rows as readonly RowInput[]) : [rows]
}

/**
 * The operations a connector yields, with Fivetran's names and semantics: `upsert` writes the
 * whole row by primary key (missing columns become NULL), `update` changes only the given
 * columns, `delete` soft-deletes by key (`_sluice_deleted = 1`), `truncate` soft-deletes the
 * rows synced before it when the sync succeeds, `checkpoint` saves state once everything before
 * it is written. Each takes one row or an array of rows.
 *
 * @example
 * ```ts
 * import { op } from 'sluice'
 * op.upsert('orders', [{ id: 1, total: 10 }])
 * op.checkpoint({ cursor: '2026-11-22T00:00:00Z' })
 * ```
 */
export const op = {
  /** Writes whole rows by primary key: inserted, or replacing the row with that key (missing columns become NULL). */
  upsert: (table: string, rows: RowInput | readonly RowInput[]): RowsMessage => new RowsMessage(table, 'upsert', rowsOf(rows)),
  /** Changes the given columns of rows already in the table, found by primary key; other columns keep their values. */
  update: (table: string, rows: RowInput | readonly RowInput[]): RowsMessage => new RowsMessage(table, 'update', rowsOf(rows)),
  /** Soft-deletes the rows with these primary keys (`_sluice_deleted = 1`). */
  delete: (table: string, keys: RowInput | readonly RowInput[]): RowsMessage => new RowsMessage(table, 'delete', rowsOf(keys)),
  /**
   * Soft-deletes the rows of the table synced before it, when the sync succeeds — or, with
   * `{ when: 'checkpoint' }` (a truncate that already happened at the source), with the next checkpoint.
   */
  truncate: (table: string, options?: { readonly when?: 'success' | 'checkpoint' }): TruncateMessage => {
    const when = options?.when
    const unknown = options === undefined ? [] : Object.keys(options).filter((k) => k !== 'when')
    if (unknown.length > 0 || (when !== undefined && when !== 'success' && when !== 'checkpoint')) {
      // A misspelt `when` would otherwise land as a truncate deferred to success: a different meaning, silently.
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `op.truncate(${JSON.stringify(table)}, options): ${unknown.length > 0 ? `unknown option ${unknown.map((k) => `\`${k}\``).join(', ')}` : `when must be 'success' or 'checkpoint', got ${JSON.stringify(when)}`}`,
        context: { option: 'op.truncate' },
      })
    }
    return when === 'checkpoint' ? { kind: 'truncate', table, when } : { kind: 'truncate', table }
  },
  /** Serialises now (throws `STATE_INVALID`), so a bad state fails where it is made; sync() reuses the text. */
  checkpoint: (state: State): CheckpointMessage => {
    const message: CheckpointMessage = { kind: 'checkpoint', state }
    checkpointText(message)
    return message
  },
}
