import type { OpsReader } from '../contracts/ops-reader.js'
import type { ConnectorStore } from '../contracts/connector-store.js'
import type { MarStore } from '../contracts/mar-store.js'
import { sqlControl, type SqlControlAccess } from './control/sql-control.js'
import { marMethods } from './mar/mar-methods.js'
import type { MarStorage } from './mar/mar-storage.js'
import { selectMarUsage, sqlMarStorage } from './mar/sql-mar-storage.js'
import type { SqlConnection } from './sql/sql-dialect.js'

/**
 * How the stores reach a SQL destination: the control access (reads and writes outside any
 * sync) plus `run`, the open sync's connection inside its transaction (begun if needed), where
 * `meter` and `recordMarThreshold` write so that counts commit with the data.
 */
export interface SqlStoresAccess extends SqlControlAccess {
  run(): Promise<{ readonly connection: SqlConnection; readonly connectorId: string }>
}

/**
 * A SQL destination's MAR store and connector store (every optional method of both), to spread
 * into its sink object. SQLite, Postgres and DuckDB differ only in their {@link SqlStoresAccess}.
 *
 * @example
 * ```ts
 * import { sqlStores, type SqlStoresAccess } from './sql-stores.js'
 * declare const access: SqlStoresAccess
 * const methods = sqlStores(access)
 * ```
 */
export function sqlStores(access: SqlStoresAccess): Required<MarStore> & Required<ConnectorStore> & Required<OpsReader> {
  // One storage per connection, so the memo of loaded buckets (keyed by storage) lives as long as the connection.
  const storages = new WeakMap<SqlConnection, MarStorage>()
  const storageOf = (connection: SqlConnection): MarStorage => {
    let storage = storages.get(connection)
    if (!storage) storages.set(connection, (storage = sqlMarStorage(connection, access.dialect)))
    return storage
  }
  return {
    ...marMethods({
      run: async () => {
        const { connection, connectorId } = await access.run()
        return { storage: storageOf(connection), connectorId }
      },
      usage: (filter) => access.read('_sluice_mar', (c) => selectMarUsage(c, access.dialect, filter), []),
    }),
    ...sqlControl(access),
  }
}
