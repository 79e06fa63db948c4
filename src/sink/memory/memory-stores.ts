import type { OpsReader } from '../../contracts/ops-reader.js'
import type { ConnectorStore } from '../../contracts/connector-store.js'
import type { MarStore } from '../../contracts/mar-store.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { memoryControl } from '../../warehouse/control/memory-control.js'
import { marMethods } from '../../warehouse/mar/mar-methods.js'
import type { MemoryMarStorage } from '../../warehouse/mar/memory-mar-storage.js'

/** How the stores reach the memory sink's open transaction. */
export interface MemoryAccess {
  /** Begins the sync's transaction if needed; returns its connector id. */
  begin(): string
  /** The MAR buckets, whose changes join the open transaction's undo log. */
  readonly mar: MemoryMarStorage
  /** Finished syncs, oldest first. */
  readonly syncs: readonly SyncReport[]
}

/**
 * The memory sink's MAR store and connector store, with the semantics of the SQL destinations:
 * `meter` and `recordMarThreshold` join the open transaction (undone on rollback), the rest
 * apply at once.
 *
 * @example
 * ```ts
 * import { memoryStores } from './memory-stores.js'
 * import { memoryStore } from './memory-store.js'
 * const stores = memoryStores({ begin: () => 'c', mar: memoryStore().mar, syncs: [] })
 * ```
 */
export function memoryStores(access: MemoryAccess): Required<MarStore> & Required<ConnectorStore> & Pick<Required<OpsReader>, 'leases' | 'marThresholds'> & { pausedIds(): string[] } {
  const storage = access.mar
  return {
    ...marMethods({ run: async () => ({ storage, connectorId: access.begin() }), usage: async (filter) => storage.usage(filter) }),
    ...memoryControl(access.syncs),
    marThresholds: async (filter) => storage.thresholds(filter),
  }
}
