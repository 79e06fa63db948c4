import type { Json, Message, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { op } from '../op.js'
import { buildBatch } from './batch-builder.js'
import type { KeysetColumn, KeysetTable } from './keyset-table.js'

/**
 * Where a query starts, in keyset order `(cursor, key…)` (full reads: `(key…)`):
 * - `all`: from the beginning (rows with a NULL cursor are read by `nulls` instead);
 * - `after`: strictly after a row already read — exact resumption, no row twice;
 * - `from`: cursor ≥ value − lookback: the overlap that catches rows committed late;
 * - `nulls`: rows whose cursor is NULL, by key, strictly after `key` when given.
 */
export type Bound =
  | { readonly kind: 'all' }
  | { readonly kind: 'after'; readonly cursor: string | undefined; readonly key: readonly string[] }
  | { readonly kind: 'from'; readonly cursor: string }
  | { readonly kind: 'nulls'; readonly key: readonly string[] | undefined }

/** Runs keyset queries for one dialect. */
export interface PageReader<T extends KeysetTable<KeysetColumn>> {
  /** Pages of raw rows (arrays: data columns, then hidden ones) from `bound` on, in keyset order; returning early releases the query. */
  pages(table: T, bound: Bound): AsyncGenerator<readonly (readonly unknown[])[]>
  /** A raw position value as text the dialect casts back exactly (state is JSON). */
  positionText(raw: unknown): string
}

/**
 * Per-table progress in the state. `cursor`/`key` are the last row read (text, cast back by the
 * database, so microseconds and big numbers stay exact). `round` marks progress within one
 * round over all tables, which may span several stopped syncs: `nulls` (NULL-cursor rows, by
 * `nullKey`), `rows` (main read started this round), `done`. The last checkpoint of a round
 * clears it: the next sync starts a new round (full tables from scratch, incremental tables from
 * their cursor).
 */
export interface TableState {
  readonly cursor?: string
  readonly key?: readonly string[]
  readonly nullKey?: readonly string[]
  readonly round?: 'nulls' | 'rows' | 'done'
}

/**
 * Reads every table in bounded pages and yields a records message and a checkpoint per page.
 *
 * Rows committed while a sync runs: a row whose cursor is beyond the position is read by this
 * or the next sync. A row committed late with a cursor value *below* one already read (its
 * transaction started earlier) is only caught by `lookback`: each new round starts at
 * `cursor ≥ last − lookback` instead of strictly after the last row, so the overlap is re-read
 * and re-upserted by key (idempotent in the destination). Size `lookback` to the longest write
 * transaction of the source application.
 */
export async function* readKeyset<T extends KeysetTable<KeysetColumn>>(
  tables: readonly T[],
  saved: State | undefined,
  reader: PageReader<T>,
  signal: AbortSignal,
): AsyncGenerator<Message> {
  const states = loadStates(saved)
  // A copy per checkpoint: a state handed out (events, state stores) must not change afterwards.
  const checkpoint = (): Message => op.checkpoint({ tables: { ...states } as unknown as Json })
  for (const [n, table] of tables.entries()) {
    let s: TableState = states[table.table] ?? {}
    if (s.round === 'done') continue
    const position = (row: readonly unknown[]) => table.keyAt.map((i) => reader.positionText(row[i]))

    if (table.cursor && !table.cursor.notNull && (s.round === undefined || s.round === 'nulls')) {
      const bound: Bound = { kind: 'nulls', key: s.round === 'nulls' ? s.nullKey : undefined }
      for await (const page of reader.pages(table, bound)) {
        yield { kind: 'records', table: table.table, op: 'upsert', batch: buildBatch(table.output, page) }
        s = states[table.table] = { ...s, round: 'nulls', nullKey: position(page.at(-1)!) }
        yield checkpoint()
        if (signal.aborted) return
      }
    }

    const bound: Bound =
      s.round === 'rows'
        ? { kind: 'after', cursor: s.cursor, key: s.key ?? [] }
        : table.cursor && s.cursor !== undefined
          ? table.lookback > 0
            ? { kind: 'from', cursor: s.cursor }
            : { kind: 'after', cursor: s.cursor, key: s.key ?? [] }
          : { kind: 'all' }
    for await (const page of reader.pages(table, bound)) {
      yield { kind: 'records', table: table.table, op: 'upsert', batch: buildBatch(table.output, page) }
      const last = page.at(-1)!
      const { nullKey: _, ...rest } = s
      s = states[table.table] = {
        ...rest,
        round: 'rows',
        key: position(last),
        ...(table.cursor ? { cursor: reader.positionText(last[table.cursorAt]) } : {}),
      }
      yield checkpoint()
      if (signal.aborted) return
    }
    states[table.table] = table.cursor ? { ...pick(s), round: 'done' } : { round: 'done' }
    if (n < tables.length - 1) yield checkpoint()
  }
  // End of the round: full tables start over next time, incremental ones continue from their cursor.
  const next: Record<string, TableState> = {}
  for (const table of tables) {
    const done = states[table.table]
    if (table.cursor && done?.cursor !== undefined) next[table.table] = pick(done)
  }
  yield op.checkpoint({ tables: next as unknown as Json })
}

/**
 * A table's position without its round: where the next round of an incremental table starts.
 *
 * @example
 * ```ts
 * import { pick } from './keyset-reader.js'
 * pick({ cursor: '2026-01-01 00:00:00+00', key: ['7'], round: 'rows' }) // { cursor: '2026-01-01 00:00:00+00', key: ['7'] }
 * ```
 */
export function pick(s: TableState): TableState {
  return { ...(s.cursor !== undefined ? { cursor: s.cursor } : {}), ...(s.key ? { key: s.key } : {}) }
}

/**
 * The per-table states of a saved source state; anything else is `STATE_INVALID`.
 *
 * @example
 * ```ts
 * import { loadStates } from './keyset-reader.js'
 * loadStates({ tables: { orders: { cursor: '42', key: ['42'] } } }) // { orders: { cursor: '42', key: ['42'] } }
 * ```
 */
export function loadStates(saved: State | undefined): Record<string, TableState> {
  if (saved === undefined || Object.keys(saved).length === 0) return {}
  const tables = saved.tables
  if (typeof tables !== 'object' || tables === null || Array.isArray(tables)) {
    throw new SluiceError({ code: 'STATE_INVALID', message: 'database source state must look like { tables: { <table>: { cursor, key } } }; reset the connector to start over' })
  }
  const out: Record<string, TableState> = {}
  for (const [name, value] of Object.entries(tables as Record<string, unknown>)) {
    const v = value as Record<string, unknown> | null
    const texts = (x: unknown) => Array.isArray(x) && x.every((k) => typeof k === 'string')
    if (
      typeof v !== 'object' || v === null ||
      (v.cursor !== undefined && typeof v.cursor !== 'string') ||
      (v.key !== undefined && !texts(v.key)) ||
      (v.nullKey !== undefined && !texts(v.nullKey)) ||
      (v.round !== undefined && v.round !== 'nulls' && v.round !== 'rows' && v.round !== 'done')
    ) {
      throw new SluiceError({ code: 'STATE_INVALID', message: `database source state of table ${JSON.stringify(name)} is not { cursor?, key?, round? }; reset the connector to start over`, context: { table: name } })
    }
    out[name] = v as TableState
  }
  return out
}
