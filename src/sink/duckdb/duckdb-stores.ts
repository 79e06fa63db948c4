import type { OpsReader } from '../../contracts/ops-reader.js'
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api'
import type { ConnectorStore } from '../../contracts/connector-store.js'
import { isSluiceError } from '../../core/sluice-error.js'
import type { MarStore, MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { sqlControl, type SqlControlAccess } from '../../warehouse/control/sql-control.js'
import type { MarStorage } from '../../warehouse/mar/mar-storage.js'
import { meter as meterBucket } from '../../warehouse/mar/meter.js'
import { selectMarUsage, sqlMarStorage } from '../../warehouse/mar/sql-mar-storage.js'
import { opsDdl } from '../../warehouse/sql/ops-ddl.js'
import type { SqlConnection, SqlDialect, SqlValue } from '../../warehouse/sql/sql-dialect.js'
import { quoteIdent } from '../../core/normalize-name.js'

/** DuckDB's operations SQL: `$1` parameters, ids from sequences. */
export const DUCKDB_DIALECT: SqlDialect = {
  placeholder: (index) => `$${index}`,
  table: (name) => quoteIdent(name),
  now: 'now()',
  types: { text: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', blob: 'BLOB', timestamp: 'TIMESTAMPTZ' },
  identity: (table, column) => ({
    before: `CREATE SEQUENCE IF NOT EXISTS ${quoteIdent(`${table}_${column}`)};`,
    definition: `${quoteIdent(column)} BIGINT PRIMARY KEY DEFAULT nextval('${table}_${column}')`,
  }),
  keysIndex: false,
  newestFirst: `"started_at" DESC, "ended_at" DESC`,
}

/** The MAR and connector-control tables (see `warehouse/sql/ops-ddl.ts`). */
export const OPS_DDL = opsDdl(DUCKDB_DIALECT)

/** Counts keys (exact) or merges a sketch (approximate) for a connector, table and month, inside the caller's transaction. */
export function meter(connection: DuckDBConnection, connectorId: string, args: MeterArgs): Promise<MeterResult> {
  return meterBucket(storageOf(connection), connectorId, args)
}

/** Marks a budget threshold as fired; false when it already was. */
export function recordThreshold(connection: DuckDBConnection, connectorId: string, month: string, threshold: number, rows: number): Promise<boolean> {
  return storageOf(connection).markThreshold(connectorId, month, threshold, rows)
}

/**
 * How the stores reach the DuckDB database: `run` is the open sync (its transaction: MAR counts
 * commit with the rows, and it replays them when a migration rebuilds the transaction); `read`
 * runs on the sync's connection or a read-only one, `empty` when the table it needs does not
 * exist; `write` runs outside the sync's transaction (on a second connection of its instance,
 * or a writable one opened for it), so a lease is taken or a pause flag saved at once.
 */
export interface DuckDbAccess {
  run(): Pick<Required<MarStore>, 'meter' | 'recordMarThreshold'>
  read<T>(table: string, work: (connection: DuckDBConnection) => Promise<T>, empty: T): Promise<T>
  write<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T>
}

/**
 * Every MAR and connector-store method of the DuckDB sink, to spread into the sink object.
 *
 * @example
 * ```ts
 * import { duckdbStores, type DuckDbAccess } from './duckdb-stores.js'
 * declare const access: DuckDbAccess
 * const methods = duckdbStores(access)
 * ```
 */
export function duckdbStores(access: DuckDbAccess): Required<MarStore> & Required<ConnectorStore> & Required<OpsReader> {
  const control: SqlControlAccess = {
    dialect: DUCKDB_DIALECT,
    read: (table, work, empty) => access.read(table, (c) => work(connectionOf(c)), empty),
    write: (work) => access.write((c) => work(connectionOf(c))),
    // Another process has the database open (DuckDB allows one): it is the one running, so the lease is not ours.
    lockedBy: (error) =>
      isSluiceError(error) && error.code === 'DESTINATION_UNAVAILABLE' && /lock/i.test(error.message) ? 'another process (it has the DuckDB file open)' : undefined,
  }
  return {
    meter: (args) => access.run().meter(args),
    recordMarThreshold: (args) => access.run().recordMarThreshold(args),
    readMar: (filter) => control.read('_sluice_mar', (c) => selectMarUsage(c, DUCKDB_DIALECT, filter), []),
    ...sqlControl(control),
  }
}

const storages = new WeakMap<DuckDBConnection, MarStorage>()

function storageOf(connection: DuckDBConnection): MarStorage {
  let storage = storages.get(connection)
  if (!storage) storages.set(connection, (storage = sqlMarStorage(connectionOf(connection), DUCKDB_DIALECT)))
  return storage
}

const connections = new WeakMap<DuckDBConnection, SqlConnection>()

/**
 * The connection as a {@link SqlConnection}: statements prepared once per connection (one round
 * trip per run instead of three), except those binding a blob, prepared for the one run and
 * destroyed so that a statement never holds on to a bucket's keys.
 */
function connectionOf(connection: DuckDBConnection): SqlConnection {
  let adapted = connections.get(connection)
  if (adapted) return adapted
  const statements = new Map<string, Promise<DuckDBPreparedStatement>>()
  adapted = {
    async query(sql, params) {
      if (params.some((p) => p instanceof Uint8Array)) {
        const statement = await connection.prepare(sql)
        try {
          bindAll(statement, params)
          return (await statement.runAndReadAll()).getRowObjectsJS()
        } finally {
          statement.destroySync()
        }
      }
      let prepared = statements.get(sql)
      if (!prepared) {
        prepared = connection.prepare(sql)
        statements.set(sql, prepared)
        prepared.catch(() => statements.delete(sql))
      }
      const statement = await prepared
      bindAll(statement, params)
      return (await statement.runAndReadAll()).getRowObjectsJS()
    },
  }
  connections.set(connection, adapted)
  return adapted
}

function bindAll(statement: DuckDBPreparedStatement, params: readonly SqlValue[]): void {
  params.forEach((value, i) => {
    const at = i + 1
    if (value === null) statement.bindNull(at)
    else if (typeof value === 'string') statement.bindVarchar(at, value)
    else if (typeof value === 'bigint') statement.bindBigInt(at, value)
    else if (typeof value === 'boolean') statement.bindBoolean(at, value)
    else if (typeof value === 'number') Number.isInteger(value) ? statement.bindBigInt(at, BigInt(value)) : statement.bindDouble(at, value)
    else statement.bindBlob(at, value)
  })
}
