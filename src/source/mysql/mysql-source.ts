import type mysql from 'mysql2/promise'
import { SluiceError } from '../../core/sluice-error.js'
import { knownOptions } from '../../core/check-option.js'
import { readKeyset } from '../sql/keyset-reader.js'
import { selected } from '../sql/selected-tables.js'
import { checkBatchSize, parseTables, type DatabaseTable } from '../sql/table-options.js'
import type { Source } from '../../contracts/source.js'
import { mysqlCheck } from './mysql-check.js'
import { discoverMysqlTables, type MysqlTable } from './mysql-catalog.js'
import { checkMysqlConnection, mysqlError, mysqlPoolFor, type MysqlConnection, type MysqlPoolHandle } from './mysql-connection.js'
import { mysqlPageReader } from './mysql-pages.js'
import { parseBinlogReplication, type BinlogReplication } from './cdc/binlog-options.js'
import { mysqlBinlogSource } from './cdc/binlog-source.js'

/** Options of {@link mysqlSource}. */
export interface MysqlSourceOptions {
  /** A `mysql://` (or `mariadb://`) URL, or a `mysql2/promise` pool you already have (one connection is borrowed per sync and always released). */
  readonly connection: MysqlConnection
  /** Table names (read in full every sync) or `{ table, cursor, primaryKey, lookback, columns }` (see `DatabaseTable`). */
  readonly tables: readonly (string | DatabaseTable)[]
  /** Database of the tables (default: the connection's current database). */
  readonly database?: string
  /** Rows per page, and per checkpoint (default 10_000 rows). */
  readonly batchSize?: number
  /** Connector id, the key of the saved state (default `mysql:<database>`). */
  readonly id?: string
  /**
   * Change data capture from the binlog (`'binlog'`, or options): copy the tables once, then
   * stream every insert, update, delete and TRUNCATE. Needs the binlog on in ROW format with full
   * row images, and a user with `REPLICATION SLAVE` plus `BINLOG MONITOR` (MariaDB) or
   * `REPLICATION CLIENT` (MySQL); see docs/cdc-mysql.md. Tables then take no `cursor`/`lookback`.
   */
  readonly replication?: 'binlog' | BinlogReplication
}

/**
 * Reads MySQL or MariaDB tables by keyset on `(cursor, primary key)` in bounded pages,
 * checkpointing the exact position after each page — the same model and state as
 * `postgresSource`. Values stay exact: DECIMAL and BIGINT as text, DATETIME(6)/TIMESTAMP(6)
 * with microseconds (TIMESTAMP read in UTC), JSON as text, TINYINT(1) as BOOLEAN, BLOBs as bytes.
 *
 * @example
 * ```ts
 * import { sqlite, sync } from 'sluice'
 * import { mysqlSource } from 'sluice/mysql'
 * await sync({
 *   source: mysqlSource({ connection: 'mysql://reader@localhost:3306/shop', tables: [{ table: 'orders', cursor: 'updated_at' }] }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function mysqlSource(options: MysqlSourceOptions): Source {
  if (typeof options !== 'object' || options === null) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'mysqlSource({ connection, tables }) needs an options object' })
  }
  knownOptions(options, { connection: true, tables: true, database: true, batchSize: true, id: true, replication: true }, 'mysqlSource')
  const binlog = options.replication === undefined ? undefined : parseBinlogReplication(options.replication, Array.isArray(options.tables) ? options.tables : [])
  checkMysqlConnection(options.connection, 'mysqlSource.connection')
  const plans = parseTables(options.tables, 'mysqlSource')
  if (options.database !== undefined && (typeof options.database !== 'string' || options.database.trim() === '')) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `mysqlSource.database must be a non-empty string, got ${JSON.stringify(options.database)}` })
  }
  const batchSize = checkBatchSize(options.batchSize ?? 10_000, 'mysqlSource.batchSize')
  let discovered: MysqlTable[] | undefined

  const connect = async (handle: MysqlPoolHandle): Promise<mysql.PoolConnection> => {
    try {
      return await handle.pool.getConnection()
    } catch (cause) {
      if (handle.owned) await handle.pool.end().catch(() => {})
      throw mysqlError('SOURCE_FAILED', `mysql source: can't connect to ${handle.target}`, cause, { target: handle.target })
    }
  }
  const discover = async (conn: mysql.PoolConnection): Promise<MysqlTable[]> => {
    try {
      const database = options.database ?? (await currentDatabase(conn))
      return await discoverMysqlTables(conn, database, plans)
    } catch (cause) {
      throw cause instanceof SluiceError ? cause : mysqlError('SOURCE_FAILED', 'mysql source: reading information_schema failed', cause)
    }
  }
  const done = async (handle: MysqlPoolHandle, conn: mysql.PoolConnection, broken: unknown) => {
    // A connection in an unknown state is destroyed, never handed back to a pool.
    if (broken) conn.destroy()
    else conn.release()
    if (handle.owned) await handle.pool.end().catch(() => {})
  }

  const id = options.id ?? `mysql:${options.database ?? urlDatabase(options.connection)}`
  const check = () => mysqlCheck({ connection: options.connection, database: options.database, tables: plans.map((p) => p.table), replication: binlog !== undefined })
  if (binlog) {
    const database = async (conn: mysql.PoolConnection) => options.database ?? (await currentDatabase(conn))
    return { ...mysqlBinlogSource({ connection: options.connection, id, plans, batchSize, connect, database, done }, binlog), check }
  }

  return {
    id,
    check,
    async tables() {
      const handle = mysqlPoolFor(options.connection)
      const conn = await connect(handle)
      let broken: unknown
      try {
        discovered = await discover(conn)
        return discovered.map((t) => t.spec)
      } catch (e) {
        broken = e
        throw e
      } finally {
        await done(handle, conn, broken)
      }
    },
    readAhead: true,
    async *read(args) {
      const { state, signal } = args
      const handle = mysqlPoolFor(options.connection)
      const conn = await connect(handle)
      let broken: unknown
      let zoneSet = false
      try {
        const tables = selected(discovered ?? (await discover(conn)), args)
        discovered = undefined
        // TIMESTAMP values are converted to the session time zone: read them in UTC, and put the session back after.
        await conn.query(`SET @sluice_time_zone = @@session.time_zone, time_zone = '+00:00'`)
        zoneSet = true
        yield* readKeyset(tables, state, mysqlPageReader(conn, batchSize, (e) => (broken = e)), signal)
      } finally {
        if (zoneSet && !broken) await conn.query('SET time_zone = @sluice_time_zone').catch((e: unknown) => (broken = e))
        await done(handle, conn, broken)
      }
    },
  }
}

function urlDatabase(connection: MysqlConnection): string {
  return (typeof connection === 'string' && new URL(connection).pathname.slice(1)) || 'default'
}

async function currentDatabase(conn: mysql.PoolConnection): Promise<string> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>({ sql: 'SELECT DATABASE() AS db', rowsAsArray: false })
  const db = rows[0]?.db as string | null | undefined
  if (!db) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'mysqlSource: the connection has no current database; put it in the URL (mysql://host/db) or pass database' })
  }
  return db
}
