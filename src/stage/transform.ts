import { Batch, type Row, type RowInput } from '../core/batch.js'
import { batchFromRows } from '../core/batch-from-rows.js'
import type { Message, RecordOp, RecordsMessage } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Stage } from '../contracts/stage.js'
import { memoize2, namePattern } from './name-pattern.js'
import { matchColumn } from '../core/match-column.js'
import { knownKeys } from '../core/check-option.js'

/** Where a row comes from, for a row transform. */
export interface RowInfo {
  readonly table: string
  readonly op: RecordOp
  /** The row's index in its batch. */
  readonly index: number
}

/** Returns the new row (any object), or `null` / `undefined` to leave the row out. Gets a fresh copy: changing it is fine. */
export type RowTransform = (row: Row, info: RowInfo) => RowInput | null | undefined

/** Returns a new batch (build it with `withColumn`, `select`, `filter`, `batchFromRows`), or `null` to drop the message. */
export type BatchTransform = (batch: Batch, info: { readonly table: string; readonly op: RecordOp }) => Batch | null | undefined | Promise<Batch | null | undefined>

/** Options of {@link transform}: a function over rows (simple) or over the columnar batch (fast), and optionally which tables. */
export type TransformOptions =
  | { readonly rows: RowTransform; readonly tables?: readonly string[] }
  | { readonly batch: BatchTransform; readonly tables?: readonly string[] }

/**
 * Applies your function to the records of every table (or of `tables`, names or globs), for every
 * op (`info.op` tells which). Over rows, `transform(fn)` or `transform({ rows: fn })`, the rows
 * are plain objects (`valueAt` values) and the result is re-typed with the input's column types as
 * hints, so an untouched column keeps its type. Over the columnar batch, `transform({ batch: fn })`
 * skips the row objects entirely (much faster for wide or large batches); the function must not
 * write into the batch it gets — build a new one, as every stage does. A thrown error fails the
 * sync with `TRANSFORM_FAILED` naming the table and row index (the cause attached); as with any
 * failed sync, no state past the last checkpoint is saved.
 *
 * @example
 * ```ts
 * import { fromIterable, memory, sync, transform } from 'sluice'
 * await sync({
 *   source: fromIterable('orders', [{ id: 1, net: 10, vat: 0.2 }], { primaryKey: ['id'] }),
 *   stages: [transform((row) => ({ ...row, gross: Number(row.net) * (1 + Number(row.vat)) }))],
 *   destination: memory(),
 * })
 * ```
 */
export function transform(options: RowTransform | TransformOptions): Stage {
  if (typeof options !== 'function') knownKeys(options, ['rows', 'batch', 'tables'], 'transform')
  const o: TransformOptions = typeof options === 'function' ? { rows: options } : options
  const rows = (o as { rows?: unknown })?.rows
  const batch = (o as { batch?: unknown })?.batch
  if ((typeof rows === 'function') === (typeof batch === 'function')) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'transform takes a row function, { rows: fn } or { batch: fn } (exactly one of rows and batch)' })
  }
  const patterns = (o.tables ?? ['*']).map((t, i) => namePattern(t, `transform.tables[${i}]`))
  const applies = memoize2((table) => patterns.some((p) => p.matches(table)))
  const apply = typeof rows === 'function' ? (m: RecordsMessage) => mapRows(m, rows as RowTransform) : (m: RecordsMessage) => mapBatch(m, batch as BatchTransform)
  return async function* (messages) {
    for await (const message of messages) {
      if (message.kind !== 'records' || !applies(message.table, '') || matchColumn(message) !== undefined) {
        yield message
        continue
      }
      const out = await apply(message)
      if (out) yield out
    }
  }
}

function mapRows(message: RecordsMessage, fn: RowTransform): Message | undefined {
  const { table, op, batch } = message
  const input = batch.toRows()
  const output: RowInput[] = []
  for (let index = 0; index < input.length; index++) {
    let row: unknown
    try {
      row = fn(input[index]!, { table, op, index })
    } catch (cause) {
      throw failed(table, index, `threw: ${(cause as Error)?.message ?? String(cause)}`, cause)
    }
    if (row === null || row === undefined) continue
    if (typeof (row as { then?: unknown }).then === 'function') {
      throw failed(table, index, 'returned a Promise; a row transform must be synchronous (use transform({ batch }) for async work)')
    }
    if (typeof row !== 'object' || Array.isArray(row)) throw failed(table, index, `must return a row object or null, got ${Array.isArray(row) ? 'an array' : typeof row}`)
    output.push(row)
  }
  if (output.length === 0 && input.length > 0) return undefined
  return { kind: 'records', table, op, batch: batchFromRows(output, { table, columns: batch.types }) }
}

async function mapBatch(message: RecordsMessage, fn: BatchTransform): Promise<Message | undefined> {
  const { table, op } = message
  let out: unknown
  try {
    out = await fn(message.batch, { table, op })
  } catch (cause) {
    throw failed(table, undefined, `threw: ${(cause as Error)?.message ?? String(cause)}`, cause)
  }
  if (out === null || out === undefined) return undefined
  if (!(out instanceof Batch)) throw failed(table, undefined, 'must return a Batch (or null to drop the rows)')
  return { kind: 'records', table, op, batch: out }
}

function failed(table: string, row: number | undefined, what: string, cause?: unknown): SluiceError {
  return new SluiceError({
    code: 'TRANSFORM_FAILED',
    message: `transform: table ${table}, ${row === undefined ? 'batch' : `batch row ${row}`}: the function ${what}`,
    context: { table, ...(row === undefined ? {} : { row }) },
    ...(cause === undefined ? {} : { cause }),
  })
}
