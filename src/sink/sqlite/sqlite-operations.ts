import type { ConnectorStore } from '../../contracts/connector-store.js'
import type { MarStore } from '../../contracts/mar-store.js'
import { sqliteControl } from './sqlite-control.js'
import { sqliteMar } from './sqlite-mar.js'
import type { SqliteAccess } from './sqlite-ops-ddl.js'

/**
 * Every optional operation method of the SQLite sink — MAR metering and reports, sync history,
 * leases and pause flags — bound to the sink's connection, to spread into the sink object.
 *
 * @example
 * ```ts
 * import { sqliteOperations } from './sqlite-operations.js'
 * import type { SqliteAccess } from './sqlite-ops-ddl.js'
 * declare const access: SqliteAccess
 * const methods = sqliteOperations(access)
 * ```
 */
export function sqliteOperations(access: SqliteAccess): Required<MarStore> & Required<ConnectorStore> {
  return { ...sqliteMar(access), ...sqliteControl(access) }
}
