import type { ConnectorSettings, ConnectorStore } from '../../contracts/connector-store.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { decideLease, mayRelease, type HeldLease } from './lease-rule.js'

/**
 * The `ConnectorStore` methods of the memory sink: leases and pause flags in maps (they apply at
 * once, outside any transaction), history from the sink's finished syncs (oldest first).
 *
 * @example
 * ```ts
 * import { memoryControl } from './memory-control.js'
 * const { acquireLease } = memoryControl([])
 * ```
 */
export function memoryControl(syncs: readonly SyncReport[]): Required<ConnectorStore> {
  const leases = new Map<string, HeldLease>()
  const connectors = new Map<string, ConnectorSettings>()
  return {
    async history({ connectorId, limit = 20 }) {
      return syncs.filter((s) => s.connectorId === connectorId).reverse().slice(0, limit)
    },
    async acquireLease(args) {
      const decided = decideLease(leases.get(args.name), args)
      if ('refused' in decided) return decided.refused
      leases.set(args.name, decided.take)
      return { acquired: true, expiresAt: decided.take.expiresAt }
    },
    async releaseLease({ name, holder }) {
      if (mayRelease(leases.get(name), holder)) leases.delete(name)
    },
    async loadConnector({ connectorId }) {
      return connectors.get(connectorId)
    },
    async saveConnector({ connectorId, paused }) {
      connectors.set(connectorId, { paused, updatedAt: new Date().toISOString() })
    },
  }
}
