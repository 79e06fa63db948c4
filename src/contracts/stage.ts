import type { RecordError } from '../core/error-record.js'
import type { Message } from '../core/message.js'
import type { TableSpec } from '../core/table-spec.js'
import type { Selection } from './selection.js'
import type { TableDescription } from './sink.js'

/** What a stage gets besides the messages. */
export interface StageContext {
  readonly connectorId: string
  readonly syncId: string
  /** Declared tables (by source name). */
  readonly tables: readonly TableSpec[]
  readonly signal: AbortSignal
  /** Records a row or value a policy skipped (lands in `_sluice_errors` with the next checkpoint). */
  readonly recordError: RecordError
  /**
   * The destination's tables as they stood when the sync began (`sink.describe()`, read once on
   * first call; empty when the sink can't describe itself). Schema drift compares batches with it.
   */
  readonly describeDestination?: () => Promise<readonly TableDescription[]>
  /** What the `select` stages let through (also handed to the source as `selection`); absent without one. */
  readonly selection?: Selection
  /**
   * Present when this stage sees the source's own names (no stage before it renames, see
   * `keepsNames`): every table the source declares, before `select` narrows them (empty when it
   * declares none). Stages that take names (`hashColumns`, `select`, `validate`) refuse a table
   * outside a non-empty list before the first message.
   */
  readonly sourceTables?: readonly TableSpec[]
}

/**
 * What a stage may declare about itself, read by `sync()` before anything runs to build the
 * catalog it hands the source: declared as properties of the stage, never found by watching it.
 *
 * @example
 * ```ts
 * import { keepsNames, type Stage } from 'sluice'
 * // Drops test rows, renames nothing: a later select() still speaks of the source's names.
 * const dropTests: Stage = keepsNames(async function* (messages) {
 *   for await (const m of messages) if (m.kind !== 'records' || m.table !== 'test_orders') yield m
 * })
 * dropTests.keepsNames // true
 * ```
 */
export interface StageDeclaration {
  /**
   * True when the stage never renames or derives tables or columns (it may drop rows, values,
   * columns or tables, or change a type): a `select()` after it still speaks of the source's
   * names. Set by `keepsNames`.
   */
  readonly keepsNames?: boolean
  /** The tables and columns the stage lets through (the `select` stage). */
  readonly selection?: Selection
}

/** A pipeline step: messages in, messages out. Never mutates an input batch. */
export type Stage = ((messages: AsyncIterable<Message>, context: StageContext) => AsyncIterable<Message>) & StageDeclaration
