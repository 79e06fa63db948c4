import type { DuckDBConnection } from '@duckdb/node-api'
import type { ConnectorStore } from '../../contracts/connector-store.js'
import { isSluiceError } from '../../core/sluice-error.js'
import type { MarStore } from '../../contracts/mar-store.js'
import { acquireLease, loadConnector, releaseLease, saveConnector, selectHistory } from './duckdb-control.js'
import { selectMar } from './duckdb-mar.js'
import type { DuckDbRun } from './duckdb-driver.js'

/**
 * How the operations reach the DuckDB database: `run` is the open sync (its transaction: MAR
 * counts commit with the rows); `read` runs on the sync's connection or a read-only one, `empty`
 * when the table it needs does not exist; `write` runs outside the sync's transaction (on a
 * second connection of its instance, or a writable one opened for it), so a lease is taken or a
 * pause flag saved at once.
 */
export interface DuckDbAccess {
  run(): DuckDbRun
  read<T>(table: string, work: (connection: DuckDBConnection) => Promise<T>, empty: T): Promise<T>
  write<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T>
}

/**
 * The optional operation methods of the DuckDB sink — MAR metering and reports, sync history,
 * leases and pause flags — to spread into the sink object.
 *
 * @example
 * ```ts
 * import { duckdbOperations, type DuckDbAccess } from './duckdb-operations.js'
 * declare const access: DuckDbAccess
 * const methods = duckdbOperations(access)
 * ```
 */
export function duckdbOperations(access: DuckDbAccess): Required<MarStore> & Required<ConnectorStore> {
  return {
    meter: (args) => access.run().meter(args),
    recordMarThreshold: (args) => access.run().recordMarThreshold(args),
    readMar: (filter) => access.read('_sluice_mar', (c) => selectMar(c, filter), []),
    history: ({ connectorId, limit = 20 }) => access.read('_sluice_syncs', (c) => selectHistory(c, connectorId, limit), []),
    acquireLease: (args) =>
      access.write((c) => acquireLease(c, args)).catch((error: unknown) => {
        // Another process has the database open (DuckDB allows one): it is the one running, so the lease is not ours.
        if (!isSluiceError(error) || error.code !== 'DESTINATION_UNAVAILABLE' || !/lock/i.test(error.message)) throw error
        return { acquired: false, holder: 'another process (it has the DuckDB file open)', expiresAt: args.now + args.ttlMs }
      }),
    releaseLease: ({ name, holder }) => access.write((c) => releaseLease(c, name, holder)),
    loadConnector: ({ connectorId }) => access.read('_sluice_connectors', (c) => loadConnector(c, connectorId), undefined),
    saveConnector: ({ connectorId, paused }) => access.write((c) => saveConnector(c, connectorId, paused)),
  }
}
