import type { ConnectorSettings, ConnectorStore } from '../../contracts/connector-store.js'
import type { OpsReader } from '../../contracts/ops-reader.js'
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
export function memoryControl(syncs: readonly SyncReport[]): Required<ConnectorStore> & Pick<Required<OpsReader>, 'leases'> & { pausedIds(): string[] } {
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
    async leases({ now }) {
      return [...leases].filter(([, l]) => l.expiresAt > now && l.holder !== null).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, l]) => ({ name, holder: l.holder ?? '', expiresAt: new Date(l.expiresAt).toISOString() }))
    },
    /** Connectors with a pause flag saved (paused or not), for `connectors()`. */
    pausedIds: () => [...connectors.keys()],
  }
}
