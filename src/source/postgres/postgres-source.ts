import type pg from 'pg'
import { SluiceError } from '../../core/sluice-error.js'
import { knownOptions } from '../../core/check-option.js'
import { checkConnection, connectClient, pgError, poolFor, type PostgresConnection } from '../../db/postgres-connection.js'
import type { Source } from '../../contracts/source.js'
import { readKeyset } from '../sql/keyset-reader.js'
import type { Message } from '../../core/message.js'
import type { TableSpec } from '../../core/table-spec.js'
import { partitionMax } from '../partition-max.js'
import { planPgPartitions } from './pg-partition-plan.js'
import { pgPartitionSource } from './pg-partition-source.js'
import { selected } from '../sql/selected-tables.js'
import { discoverPgTables, type PgTable } from './postgres-catalog.js'
import { pgPageReader } from './postgres-pages.js'
import { checkBatchSize, parseTables, type DatabaseTable, type TablePlan } from '../sql/table-options.js'
import { openSessionClient } from './cdc/session-client.js'
import { checkServer } from './cdc/server-setup.js'
import { readLogical } from './cdc/logical-read.js'
import { postgresCheck } from './postgres-check.js'
import { parseReplication, type PostgresReplication, type ReplicationPlan } from './cdc/replication-options.js'
import { dropReplicationSlot, slotStatus } from './cdc/slot-status.js'

/** Options of {@link postgresSource}. */
export interface PostgresSourceOptions {
  /** A `postgres://` URL, or a `pg.Pool` you already have (one client is borrowed per sync and always released). */
  readonly connection: PostgresConnection
  /** Table names (read in full every sync) or `{ table, cursor, primaryKey, lookback, columns }` (see {@link DatabaseTable}). */
  readonly tables: readonly (string | DatabaseTable)[]
  /** Schema of the tables (default `'public'`). */
  readonly schema?: string
  /** Rows per page, and per checkpoint (default 10_000 rows). */
  readonly batchSize?: number
  /** Connector id, the key of the saved state (default `postgres:<schema>`): set it when syncing several databases into one destination. */
  readonly id?: string
  /**
   * Change data capture by logical replication (`'logical'` or its options): the first sync reads
   * each table from the snapshot a new replication slot exports, later ones stream inserts,
   * updates, deletes (soft) and truncates from the slot's `pgoutput` stream. Needs
   * `wal_level = logical` and a role with `REPLICATION`; see docs/cdc-postgres.md.
   */
  readonly replication?: PostgresReplication
}

/**
 * Reads Postgres tables by keyset on `(cursor, primary key)` in bounded pages, checkpointing the
 * exact position after each page. Tables with a `cursor` are incremental (only rows whose cursor
 * moved past the saved position, with an optional `lookback` overlap for late commits); the
 * others are read in full each sync and land in `replace` mode. Tables, columns, types and
 * primary keys come from the catalog; `columns: { include | exclude }` keeps columns out of the
 * query entirely. In keyset mode a backfill can be split (`partitions` / `partition`): integer-keyed
 * tables into key ranges, any other table whole (see docs/partitions.md).
 *
 * With `replication: 'logical'` it captures changes instead (see {@link PostgresReplication} and
 * docs/cdc-postgres.md): a snapshot from a new replication slot, then inserts, updates, deletes
 * (soft) and truncates streamed from it, every table upserted by its primary key.
 *
 * @example
 * ```ts
 * import { sqlite, sync } from 'sluice'
 * import { postgresSource } from 'sluice/postgres'
 * await sync({
 *   source: postgresSource({
 *     connection: 'postgres://reader@localhost:5432/shop',
 *     tables: ['countries', { table: 'orders', cursor: 'updated_at', lookback: '5m', columns: { exclude: ['card_number'] } }],
 *   }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function postgresSource(options: PostgresSourceOptions): Source {
  knownOptions(options, { connection: true, tables: true, schema: true, batchSize: true, id: true, replication: true }, 'postgresSource')
  if (typeof options !== 'object' || options === null) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'postgresSource({ connection, tables }) needs an options object' })
  }
  checkConnection(options.connection, 'postgresSource.connection')
  const plans = parseTables(options.tables, 'postgresSource')
  const schema = options.schema ?? 'public'
  if (typeof schema !== 'string' || schema.trim() === '') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `postgresSource.schema must be a non-empty string, got ${JSON.stringify(schema)}` })
  }
  const batchSize = checkBatchSize(options.batchSize ?? 10_000, 'postgresSource.batchSize')
  const id = options.id ?? `postgres:${schema}`
  const replication = options.replication === undefined ? undefined : parseReplication(options.replication, id, options.tables, 'postgresSource')
  // tables() runs just before read() in a sync: its discovery is reused once instead of asked twice.
  let discovered: PgTable[] | undefined

  const withClient = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const handle = poolFor(options.connection, 1)
    const client = await connectClient(handle, 'SOURCE_FAILED', 'postgres source')
    let failed: Error | undefined
    try {
      return await work(client)
    } catch (e) {
      failed = e instanceof Error ? e : new Error(String(e))
      throw e
    } finally {
      client.release(failed)
      if (handle.owned) await handle.pool.end()
    }
  }
  const discover = async (client: pg.ClientBase): Promise<PgTable[]> => {
    try {
      return await discoverPgTables(client, schema, plans)
    } catch (cause) {
      throw cause instanceof SluiceError ? cause : pgError('SOURCE_FAILED', `postgres source: reading the catalog of schema ${schema} failed`, cause, { schema })
    }
  }

  const check = () => postgresCheck({ connection: options.connection, schema, tables: plans.map((p) => p.table), replication: replication !== undefined })
  if (replication) return { ...logicalSource(options.connection, id, schema, batchSize, plans, replication, discover), check }

  const tables = async (): Promise<TableSpec[]> => {
    discovered = await withClient((client) => discover(client))
    return discovered.map((t) => t.spec)
  }
  async function* session(work: (client: pg.ClientBase, broken: (e: unknown) => void, tables: readonly PgTable[]) => AsyncGenerator<Message>): AsyncGenerator<Message> {
    const handle = poolFor(options.connection, 1)
    const client = await connectClient(handle, 'SOURCE_FAILED', 'postgres source')
    let broken: Error | undefined
    try {
      const tables = discovered ?? (await discover(client))
      discovered = undefined
      yield* work(client, (e) => (broken = e instanceof Error ? e : new Error(String(e))), tables)
    } finally {
      // Runs on completion, failure, and when the consumer stops early: the client always goes back (or is destroyed if broken).
      client.release(broken)
      if (handle.owned) await handle.pool.end()
    }
  }
  return {
    id,
    tables,
    readAhead: true,
    check,
    read: (args) => session((client, broken, all) => readKeyset(selected(all, args), args.state, pgPageReader(client, batchSize, broken), args.signal)),
    async partitions(args) {
      const max = partitionMax(args.max)
      return withClient(async (client) => {
        const all = await discover(client)
        const chosen = args.catalog?.selection ? selected(all, { ...args, recordError: () => {}, selection: args.catalog.selection }) : all
        return planPgPartitions(client, chosen, args.state, max, batchSize)
      })
    },
    partition: (partition) => pgPartitionSource({ id, batchSize, tables, session }, partition),
  }
}

/** The source with `replication`: snapshot then stream, acknowledging only what the destination committed. */
function logicalSource(
  connection: PostgresConnection,
  id: string,
  schema: string,
  batchSize: number,
  plans: readonly TablePlan[],
  plan: ReplicationPlan,
  discoverTables: (client: pg.ClientBase) => Promise<PgTable[]>,
): Source {
  const target = targetOf(connection)
  // Every table is read by key and kept up to date change by change: declared upsert, never replace.
  const discover = async (client: pg.ClientBase) =>
    (await discoverTables(client)).map((t) => {
      if (!t.spec.primaryKey) {
        throw new SluiceError({
          code: 'CONFIG_INVALID',
          message: `postgres replication: table ${JSON.stringify(t.table)} has no primary key; give \`primaryKey\` (columns that identify a row) and run \`ALTER TABLE "${schema}"."${t.table}" REPLICA IDENTITY FULL;\``,
          context: { table: t.table },
        })
      }
      return { ...t, spec: { ...t.spec, mode: 'upsert' as const } }
    })
  let position: string | undefined
  return {
    id,
    readAhead: false,
    async tables() {
      const client = await openSessionClient(connection, target, false)
      try {
        // The server's setup first: no table question matters on a server that can't replicate.
        await checkServer(client)
        return (await discover(client)).map((t) => t.spec)
      } finally {
        await client.end().catch(() => {})
      }
    },
    read: (args) => readLogical({ connection, target, schema, batchSize, plans, plan, discover, confirmed: (lsn) => (position = lsn) }, args),
    replication: () => slotStatus(connection, target, plan.slot, position),
    dropReplication: () => dropReplicationSlot(connection, target, plan.slot),
  }
}

/** `host:port/db` of a connection, for messages (never the password). */
function targetOf(connection: PostgresConnection): string {
  if (typeof connection !== 'string') return poolFor(connection, 1).target
  const url = new URL(connection)
  return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}`
}
