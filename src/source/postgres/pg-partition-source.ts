import type pg from 'pg'
import type { Message, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { TableSpec } from '../../core/table-spec.js'
import type { Partition } from '../../contracts/partition.js'
import type { Source, SourceReadArgs } from '../../contracts/source.js'
import { op } from '../op.js'
import { buildBatch } from '../sql/batch-builder.js'
import { readKeyset, type TableState } from '../sql/keyset-reader.js'
import { selected } from '../sql/selected-tables.js'
import type { PgTable } from './postgres-catalog.js'
import { columnRef, keysetWhere, pgPageReader, pgQueryPages } from './postgres-pages.js'
import { sinceBound, splitColumn, type PgPartitionBounds } from './pg-partition-plan.js'

/**
 * What a partition source borrows from its `postgresSource`: the connector id, the page size, the
 * tables it declares, and its read session (a client, the discovered tables, cleanup in `finally`).
 *
 * @example
 * ```ts
 * import type { PgPartitionContext } from './pg-partition-source.js'
 * declare const context: PgPartitionContext
 * context.batchSize // rows per page
 * ```
 */
export interface PgPartitionContext {
  readonly id: string
  readonly batchSize: number
  readonly tables: () => Promise<readonly TableSpec[]>
  /** Runs `work` with a client (destroyed instead of released once `broken` was called) and the discovered tables. */
  readonly session: (work: (client: pg.ClientBase, broken: (e: unknown) => void, tables: readonly PgTable[]) => AsyncGenerator<Message>) => AsyncGenerator<Message>
}

/**
 * The source of one Postgres partition. A key range reads `WHERE key > lo AND key <= hi` (and,
 * for a cursor table, the rows past the plan's position or with a NULL cursor) in key order,
 * checkpointing `{ after: <last key> }` in its own state and `{ done: true }` at the end, so it
 * resumes where it stopped and reads nothing once done. A whole-table partition is one keyset
 * round of that table from the plan's position. Every table is declared as its `postgresSource`
 * declares it, `replace` included: a partition run (`FleetRun.partitionOf`) registers no truncate of
 * its own; the backfill's truncate is registered when it starts and applied when it completes.
 *
 * @example
 * ```ts
 * import { pgPartitionSource, type PgPartitionContext } from './pg-partition-source.js'
 * declare const context: PgPartitionContext
 * const source = pgPartitionSource(context, { key: 'orders.min.0123456789ab', bounds: { table: 'orders', column: 'id', lo: null, hi: '1000' } })
 * ```
 */
export function pgPartitionSource(context: PgPartitionContext, partition: Partition): Source {
  const bounds = checkBounds(partition)
  return {
    id: `${context.id}#${partition.key}`,
    readAhead: true,
    async tables() {
      return context.tables()
    },
    read(args) {
      return context.session(async function* (client, broken, all) {
        const found = all.find((t) => t.table === bounds.table)
        if (!found) {
          throw new SluiceError({
            code: 'CONFIG_INVALID',
            message: `postgres source: partition ${partition.key} reads table ${JSON.stringify(bounds.table)}, which the source no longer lists; plan the backfill again`,
            context: { table: bounds.table },
          })
        }
        const [table] = selected([found], args)
        if (!table) return
        if (bounds.column === undefined) {
          const seeded: State | undefined = args.state ?? (bounds.since ? { tables: { [table.table]: { ...bounds.since } } } : undefined)
          yield* readKeyset([table], seeded, pgPageReader(client, context.batchSize, broken), args.signal)
        } else {
          yield* readKeyRange(client, broken, table, bounds, context.batchSize, args)
        }
      })
    },
  }
}

async function* readKeyRange(client: pg.ClientBase, broken: (e: unknown) => void, table: PgTable, bounds: PgPartitionBounds, batchSize: number, args: SourceReadArgs): AsyncGenerator<Message> {
  const own = args.state
  if (own?.done === true) return
  const column = splitColumn(table)
  if (!column || column.name !== bounds.column) {
    throw new SluiceError({
      code: 'STATE_INVALID',
      message: `postgres source: partition of table ${table.table} splits by ${JSON.stringify(bounds.column)}, which is no longer its integer key; plan the backfill again`,
      context: { table: table.table },
    })
  }
  const after = typeof own?.after === 'string' ? own.after : (bounds.lo ?? null)
  const values: string[] = []
  const param = (value: string) => {
    values.push(value)
    return `$${values.length}::${column.sqlType}`
  }
  const ref = columnRef(column)
  const conditions: string[] = []
  if (after !== null) conditions.push(`${ref} > ${param(after)}`)
  if (bounds.hi != null) conditions.push(`${ref} <= ${param(bounds.hi)}`)
  const bound = sinceBound(table, bounds.since)
  if (bound.kind !== 'all') {
    const { where } = keysetWhere(table, bound, values)
    // NULL-cursor rows are read by every round of an ordinary sync too.
    conditions.push(table.cursor!.notNull ? where : `(${columnRef(table.cursor!)} IS NULL OR ${where})`)
  }
  const select = [...table.output, ...table.hidden].map((c) => c.select).join(', ')
  const query = { text: `SELECT ${select} FROM ${table.relation}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${ref}`, values }
  const at = table.output.indexOf(column)
  let last = after
  for await (const page of pgQueryPages(client, table.table, query, batchSize, broken)) {
    yield { kind: 'records', table: table.table, op: 'upsert', batch: buildBatch(table.output, page) }
    last = page.at(-1)![at] as string
    yield op.checkpoint({ after: last })
    if (args.signal.aborted) return
  }
  yield op.checkpoint({ ...(last !== null ? { after: last } : {}), done: true })
}

function checkBounds(partition: Partition): PgPartitionBounds {
  const b = partition?.bounds as Record<string, unknown> | undefined
  const text = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && /^-?\d+$/.test(v))
  const since = b?.since as TableState | undefined
  const ok =
    typeof b === 'object' && b !== null && typeof b.table === 'string' && b.table !== '' &&
    (b.column === undefined || (typeof b.column === 'string' && text(b.lo) && text(b.hi))) &&
    (b.column !== undefined || (b.lo === undefined && b.hi === undefined)) &&
    (b.lo == null || b.hi == null || BigInt(b.lo as string) < BigInt(b.hi as string)) &&
    (since === undefined || (typeof since === 'object' && since !== null && typeof since.cursor === 'string' && (since.key === undefined || (Array.isArray(since.key) && since.key.every((k) => typeof k === 'string')))))
  if (ok) return b as unknown as PgPartitionBounds
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `postgres source: partition ${JSON.stringify(partition?.key)} needs bounds { table, column?, lo?, hi?, since? } with integer texts lo < hi, got ${JSON.stringify(b).slice(0, 200)}`,
    context: { option: 'partition.bounds' },
  })
}
