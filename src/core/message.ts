import type { Batch } from './batch.js'
import type { ColumnType } from './column-type.js'
import type { TableSpec } from './table-spec.js'

/** A JSON value: what state is made of. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json }

/** A connector's saved progress (cursors per table …): JSON, saved only when a sink acknowledged it. */
export type State = { readonly [key: string]: Json }

/** What a records message does to each row: write it whole, change some columns, or soft-delete it. */
export type RecordOp = 'upsert' | 'update' | 'delete'

/**
 * How a `delete` finds the rows it soft-deletes: by primary key (`'key'`, the default), or
 * (`'column'`) every live row whose value in the batch's only column equals one of the batch's
 * values. `flatten` uses `'column'` to clear the child rows of re-synced or deleted parents
 * (`_sluice_parent_id`, `_sluice_root_id`) before it writes their current arrays.
 */
export type RecordMatch = 'key' | 'column'

/**
 * Rows for one table. `upsert` writes whole rows by key, `update` only the given columns, `delete`
 * soft-deletes by key — or, with `match: 'column'`, every live row with a matching value in the
 * batch's one column (nothing when the table or the column doesn't exist yet). A `'column'` delete
 * names no rows itself: reports and MAR don't count it, and stages pass it through unchanged.
 *
 * @example
 * ```ts
 * import { batchFromRows, type RecordsMessage } from 'sluice'
 * // Soft-delete every child row of parents 1 and 2 (flatten's child tables).
 * const m: RecordsMessage = {
 *   kind: 'records', table: 'users__tags', op: 'delete', match: 'column',
 *   batch: batchFromRows([{ _sluice_parent_id: 1 }, { _sluice_parent_id: 2 }]),
 * }
 * ```
 */
export interface RecordsMessage {
  readonly kind: 'records'
  readonly table: string
  readonly op: RecordOp
  readonly batch: Batch
  /** Only for `delete`: how the batch finds its rows (default `'key'`). */
  readonly match?: RecordMatch
}

/**
 * Soft-deletes the rows of `table` synced before it. By default applied when the sync succeeds
 * (a full refresh that fails halfway must not delete what it did not get to re-read); a truncate
 * that already happened at the source (a change-data-capture `TRUNCATE`) says `when: 'checkpoint'`
 * and is applied with the next checkpoint's commit, whatever the sync's outcome.
 */
export interface TruncateMessage {
  readonly kind: 'truncate'
  readonly table: string
  /** `'success'` (default): when the sync succeeds; `'checkpoint'`: committed with the next checkpoint. */
  readonly when?: 'success' | 'checkpoint'
}

/** A change to a destination table, applied by the sink before the rows that follow it. */
export type SchemaChange =
  | { readonly type: 'create_table'; readonly spec: TableSpec }
  | { readonly type: 'add_column'; readonly column: string; readonly columnType: ColumnType }
  | { readonly type: 'change_type'; readonly column: string; readonly from: ColumnType; readonly to: ColumnType }

/** Announces a schema change of `table` (from a drift stage or a source that discovered it). */
export interface SchemaMessage {
  readonly kind: 'schema'
  readonly table: string
  readonly change: SchemaChange
}

/** "Everything emitted before me is complete up to `state`": the sink commits, then the state is saved. */
export interface CheckpointMessage {
  readonly kind: 'checkpoint'
  readonly state: State
}

/**
 * What flows from a source through stages into a sink.
 *
 * @example
 * ```ts
 * import { op, type Message } from 'sluice'
 * const m: Message = op.upsert('orders', { id: 1, total: 9.5 })
 * ```
 */
export type Message = RecordsMessage | TruncateMessage | SchemaMessage | CheckpointMessage
