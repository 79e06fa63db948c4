import { createHash } from 'node:crypto'
import type pg from 'pg'
import type { Json, State } from '../../core/message.js'
import type { Partition, PartitionPlan } from '../../contracts/partition.js'
import { loadStates, pick, type Bound, type TableState } from '../sql/keyset-reader.js'
import type { PgTable } from './postgres-catalog.js'
import { columnRef, keysetWhere, pgSnapshotQueries } from './postgres-pages.js'
import type { PgMappedColumn } from './postgres-type-map.js'

/**
 * What a Postgres partition reads: one table, all of it (no `column`) or the rows whose integer
 * key `column` is in (lo, hi] (`null`: unbounded on that side); of a table with a cursor, only
 * rows past `since` (the connector's saved position at plan time) or with a NULL cursor.
 *
 * @example
 * ```ts
 * import type { PgPartitionBounds } from './pg-partition-plan.js'
 * const bounds: PgPartitionBounds = { table: 'orders', column: 'id', lo: '1000', hi: '2000', since: { cursor: '2026-01-01 00:00:00+00', key: ['17'] } }
 * ```
 */
export interface PgPartitionBounds {
  readonly table: string
  readonly column?: string
  readonly lo?: string | null
  readonly hi?: string | null
  readonly since?: TableState
}

/** Integer types a key range can split: int2/int4/int8 and numeric with scale 0. */
const INTEGER = /^(smallint|integer|bigint|numeric\(\d+,0\))$/

/**
 * The single-column integer key a table's rows can be split by, when it has one.
 *
 * @example
 * ```ts
 * import { splitColumn } from './pg-partition-plan.js'
 * import type { PgTable } from './postgres-catalog.js'
 * declare const table: PgTable
 * splitColumn(table)?.name // 'id' for a table keyed by an integer id
 * ```
 */
export function splitColumn(table: PgTable): PgMappedColumn | undefined {
  const key = table.spec.primaryKey
  if (key?.length !== 1) return undefined
  const column = table.output.find((c) => c.name === key[0])
  return column && INTEGER.test(column.sqlType) ? column : undefined
}

/**
 * The keyset bound a table's rows are read from after `since` (the connector's position): with a
 * lookback, `cursor ≥ since − lookback`, else strictly after (cursor, key); everything without one.
 *
 * @example
 * ```ts
 * import { sinceBound } from './pg-partition-plan.js'
 * import type { PgTable } from './postgres-catalog.js'
 * declare const table: PgTable
 * sinceBound(table, { cursor: '42', key: ['7'] }) // { kind: 'after', cursor: '42', key: ['7'] } without lookback
 * ```
 */
export function sinceBound(table: PgTable, since: TableState | undefined): Bound {
  if (!table.cursor || since?.cursor === undefined) return { kind: 'all' }
  return table.lookback > 0 ? { kind: 'from', cursor: since.cursor } : { kind: 'after', cursor: since.cursor, key: since.key ?? [] }
}

/**
 * Plans the partitions of one keyset round of `tables` from the connector's `state`, all questions
 * asked in one snapshot: a table keyed by one integer column is split into key ranges (lo, hi], the
 * last unbounded so rows inserted since are read too; any other table is one partition. The `max`
 * partitions are shared out by key span (each splittable table gets one, the rest in proportion
 * to `max(key) − min(key)`), and a range is never narrower than `batchSize` keys. `complete` is
 * the state the round would end with: each cursor table at the last row in (cursor, key) order at
 * plan time (rows changed later have a cursor past it and are read by the next sync, as after one
 * sync), full tables start over. `undefined` (one ordinary sync instead) when the saved state is
 * mid-round (a stopped sync to finish first), when there are more tables than `max`, or when the
 * plan has fewer than two partitions.
 *
 * @example
 * ```ts
 * import type pg from 'pg'
 * import { planPgPartitions } from './pg-partition-plan.js'
 * import type { PgTable } from './postgres-catalog.js'
 * declare const client: pg.ClientBase
 * declare const tables: PgTable[]
 * const plan = await planPgPartitions(client, tables, undefined, 64, 10_000)
 * ```
 */
export async function planPgPartitions(client: pg.ClientBase, tables: readonly PgTable[], state: State | undefined, max: number, batchSize: number): Promise<PartitionPlan | undefined> {
  const states = loadStates(state)
  if (Object.values(states).some((s) => s.round !== undefined)) return undefined
  if (tables.length === 0 || tables.length > max) return undefined
  const queries: { text: string; values: string[] }[] = []
  const asks = tables.map((table) => {
    const column = splitColumn(table)
    const range = column ? queries.push({ text: `SELECT min(${columnRef(column)}), max(${columnRef(column)}) FROM ${table.relation}`, values: [] }) - 1 : -1
    const end = table.cursor ? queries.push(lastRowQuery(table, sinceBound(table, states[table.table]))) - 1 : -1
    return { table, column, range, end }
  })
  const answers = await pgSnapshotQueries(client, queries)

  const spans = asks.map((a) => {
    const [min, max] = (a.range >= 0 ? answers[a.range]![0] : undefined) ?? []
    return typeof min === 'string' && typeof max === 'string' ? { min: BigInt(min), max: BigInt(max) } : undefined
  })
  const width = (i: number) => (spans[i] ? spans[i]!.max - spans[i]!.min + 1n : 0n)
  const splittable = spans.filter(Boolean).length
  const total = tables.reduce((sum, _, i) => sum + width(i), 0n)
  const counts = shares(asks.map((a, i) => (a.column ? width(i) : 0n)), BigInt(max - tables.length), total)

  const partitions: Partition[] = []
  const next: Record<string, TableState> = {}
  for (const [i, { table, column, end }] of asks.entries()) {
    const saved = states[table.table]
    const since = table.cursor && saved?.cursor !== undefined ? pick(saved) : undefined
    const base = { table: table.table, ...(since ? { since } : {}) }
    const span = spans[i]
    if (column && span && splittable > 0) {
      const w = width(i)
      let parts = counts[i]!
      const atMost = (w + BigInt(batchSize) - 1n) / BigInt(batchSize)
      if (parts > atMost) parts = atMost
      const step = (w + parts - 1n) / parts
      parts = (w + step - 1n) / step
      for (let j = 0n; j < parts; j++) {
        const lo = j === 0n ? null : String(span.min - 1n + j * step)
        const hi = j === parts - 1n ? null : String(span.min - 1n + (j + 1n) * step)
        partitions.push(partitionOf({ ...base, column: column.name, lo, hi }, `${table.table} ${column.name} (${lo ?? '−∞'}, ${hi ?? '∞'}]`))
      }
    } else {
      partitions.push(partitionOf(base, `${table.table} (whole table)`))
    }
    const last = end >= 0 ? answers[end]![0] : undefined
    if (last) next[table.table] = { cursor: last[0] as string, key: (last.slice(1) as string[]) }
    else if (since) next[table.table] = since
  }
  if (partitions.length < 2) return undefined
  return { partitions, complete: { tables: next as unknown as Json } }
}

/**
 * One partition per splittable table (weight > 0) plus `spare` shared in proportion to the weights,
 * the rounding left-over going to the largest remainders (ties: the earlier table).
 */
function shares(weights: readonly bigint[], spare: bigint, total: bigint): bigint[] {
  if (total === 0n) return weights.map(() => 0n)
  const counts = weights.map((w) => (w > 0n ? 1n + (spare * w) / total : 0n))
  let left = spare - weights.reduce((sum, w) => sum + (w > 0n ? (spare * w) / total : 0n), 0n)
  const order = weights.map((w, i) => ({ i, rest: (spare * w) % total })).filter((x) => weights[x.i]! > 0n).sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1))
  for (const { i } of order) {
    if (left <= 0n) break
    counts[i]!++
    left--
  }
  return counts
}

/** The last row of a keyset round from `bound`: (cursor, key) of the greatest row, as position texts. */
function lastRowQuery(table: PgTable, bound: Bound): { text: string; values: string[] } {
  const values: string[] = []
  const { where, order } = keysetWhere(table, bound, values)
  const columns = [table.cursor!, ...table.key]
  return {
    text: `SELECT ${columns.map(columnRef).join(', ')} FROM ${table.relation}${where ? ` WHERE ${where}` : ''} ORDER BY ${order.map((c) => `${columnRef(c)} DESC`).join(', ')} LIMIT 1`,
    values,
  }
}

/** A partition keyed by its table (made key-safe) and a hash of its bounds: a stale state of other bounds is never resumed. */
function partitionOf(bounds: PgPartitionBounds, label: string): Partition {
  const json = bounds as unknown as { [key: string]: Json }
  const tag = bounds.table.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40)
  const hash = createHash('sha256').update(JSON.stringify([bounds.table, bounds.column ?? null, bounds.lo ?? null, bounds.hi ?? null, bounds.since ?? null])).digest('hex').slice(0, 12)
  return { key: `${tag}.${bounds.column === undefined ? 'all' : (bounds.lo ?? 'min').slice(0, 20)}.${hash}`, bounds: json, label }
}
