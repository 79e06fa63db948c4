import type pg from 'pg'
import { SluiceError } from '../../core/sluice-error.js'
import { knownOptions } from '../../core/check-option.js'
import { checkConnection, connectClient, pgError, poolFor, type PostgresConnection } from '../../db/postgres-connection.js'
import type { Source } from '../../contracts/source.js'
import { readKeyset } from '../sql/keyset-reader.js'
import { selected } from '../sql/selected-tables.js'
import { discoverPgTables, type PgTable } from './postgres-catalog.js'
import { pgPageReader } from './postgres-pages.js'
import { checkBatchSize, parseTables, type DatabaseTable } from '../sql/table-options.js'
import { refuseReplication } from '../sql/no-replication.js'

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
}

/**
 * Reads Postgres tables by keyset on `(cursor, primary key)` in bounded pages, checkpointing the
 * exact position after each page. Tables with a `cursor` are incremental (only rows whose cursor
 * moved past the saved position, with an optional `lookback` overlap for late commits); the
 * others are read in full each sync and land in `replace` mode. Tables, columns, types and
 * primary keys come from the catalog; `columns: { include | exclude }` keeps columns out of the
 * query entirely.
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
  refuseReplication(options, 'postgresSource')
  knownOptions(options, { connection: true, tables: true, schema: true, batchSize: true, id: true }, 'postgresSource')
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

  return {
    id: options.id ?? `postgres:${schema}`,
    async tables() {
      discovered = await withClient((client) => discover(client))
      return discovered.map((t) => t.spec)
    },
    readAhead: true,
    async *read(args) {
      const { state, signal } = args
      const handle = poolFor(options.connection, 1)
      const client = await connectClient(handle, 'SOURCE_FAILED', 'postgres source')
      let broken: Error | undefined
      try {
        const tables = selected(discovered ?? (await discover(client)), args)
        discovered = undefined
        yield* readKeyset(tables, state, pgPageReader(client, batchSize, (e) => (broken = e instanceof Error ? e : new Error(String(e)))), signal)
      } finally {
        // Runs on completion, failure, and when the consumer stops early: the client always goes back (or is destroyed if broken).
        client.release(broken)
        if (handle.owned) await handle.pool.end()
      }
    },
  }
}
