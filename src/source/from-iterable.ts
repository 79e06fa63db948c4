import type { RowInput } from '../core/batch.js'
import type { ColumnType } from '../core/column-type.js'
import type { Message } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import { parseTableSpecs, type WriteMode } from '../core/table-spec.js'
import { op } from './op.js'
import type { Source } from '../contracts/source.js'
import { knownOptions } from '../core/check-option.js'

/** Options of {@link fromIterable}. */
export interface FromIterableOptions {
  readonly primaryKey?: readonly string[]
  readonly columns?: Readonly<Record<string, ColumnType>>
  readonly mode?: WriteMode
  /** Rows per batch (default 10_000 rows); a checkpoint follows each batch. */
  readonly batchSize?: number
  /** Connector id, the key of its state (default `fromIterable:<table>`). */
  readonly id?: string
}

/**
 * A source over rows you already have (an array, a generator, an async iterable): batches of
 * `batchSize` rows, each followed by a checkpoint holding how many rows are written, so a sync
 * that was interrupted mid-pass resumes after them (assuming the iterable yields the same rows in
 * the same order). The last checkpoint of a pass also says it is complete, so the next sync reads
 * the iterable again from its first row.
 *
 * @example
 * ```ts
 * import { fromIterable, memory, sync } from 'sluice'
 * await sync({ source: fromIterable('users', [{ id: 1 }, { id: 2 }], { primaryKey: ['id'] }), destination: memory() })
 * ```
 */
export function fromIterable(table: string, rows: Iterable<RowInput> | AsyncIterable<RowInput>, options: FromIterableOptions = {}): Source {
  knownOptions(options, { primaryKey: true, columns: true, mode: true, batchSize: true, id: true }, 'fromIterable')
  const batchSize = options.batchSize ?? 10_000
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `fromIterable.batchSize must be a positive integer, got ${String(batchSize)}` })
  }
  const [spec] = parseTableSpecs([{ table, ...pick(options) }], 'fromIterable')
  const columns = spec!.columns
  const emit = (chunk: RowInput[]): Message => {
    const message = op.upsert(table, chunk)
    return columns ? message.withTypes(columns) : message
  }
  return {
    id: options.id ?? `fromIterable:${table}`,
    tables: () => [spec!],
    readAhead: true,
    async *read({ state, signal }) {
      // A completed pass is not resumed: the next sync reads new data from its first row. The marker
      // commits with the last rows (the final checkpoint), so a crash before it resumes mid-pass.
      const done = typeof state?.rows === 'number' && state.complete !== true ? state.rows : 0
      let index = 0
      let chunk: RowInput[] = []
      // A plain for…of over a sync iterable: `for await` would cost a promise and a microtask per row.
      const sync = typeof (rows as Iterable<RowInput>)[Symbol.iterator] === 'function'
      const iterator = sync ? (rows as Iterable<RowInput>)[Symbol.iterator]() : undefined
      const asyncIterator = sync ? undefined : (rows as AsyncIterable<RowInput>)[Symbol.asyncIterator]()
      try {
        for (;;) {
          const next = iterator ? iterator.next() : await asyncIterator!.next()
          if (next.done) break
          if (index++ < done) continue
          chunk.push(next.value)
          if (chunk.length === batchSize) {
            if (signal.aborted) return
            yield emit(chunk)
            yield op.checkpoint({ rows: index })
            chunk = []
          }
        }
      } finally {
        // Leaving early (abort, a failed write) closes the user's iterator so it can release what it holds.
        await (iterator?.return?.() ?? asyncIterator?.return?.())
      }
      if (chunk.length > 0) yield emit(chunk)
      yield op.checkpoint({ rows: Math.max(index, done), complete: true })
    },
  }
}

function pick(options: FromIterableOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (options.primaryKey) out.primaryKey = options.primaryKey
  if (options.columns) out.columns = options.columns
  if (options.mode) out.mode = options.mode
  return out
}
