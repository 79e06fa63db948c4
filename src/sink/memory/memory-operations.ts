import type { ConnectorSettings, ConnectorStore } from '../../contracts/connector-store.js'
import { SluiceError } from '../../core/sluice-error.js'
import { HyperLogLog } from '../../mar/hyperloglog.js'
import type { MarKeys } from '../../mar/key-hash.js'
import { KeySet } from '../../mar/key-set.js'
import type { MarMode, MarStore, MarUsage } from '../../contracts/mar-store.js'
import type { SyncReport } from '../../contracts/sync-report.js'

/** How the operations reach the memory sink's open transaction. */
export interface MemoryAccess {
  /** Begins the sync's transaction if needed; returns its connector id. */
  begin(): string
  /** Registers an undo step, run in reverse order if the transaction rolls back. */
  onUndo(step: () => void): void
  /** Finished syncs, oldest first. */
  readonly syncs: readonly SyncReport[]
}

interface MemoryBucket {
  readonly connectorId: string
  readonly table: string
  readonly month: string
  readonly mode: MarMode
  rows: number
  /** Exact mode: the month's keys as appended; `keys` is rebuilt from them after a rollback. */
  readonly segments: MarKeys[]
  keys: KeySet | undefined
  sketch: HyperLogLog | undefined
}

/**
 * The memory sink's MAR and connector-operation methods, with the same semantics as SQLite's:
 * `meter` and `recordMarThreshold` join the open transaction (undone on rollback), the rest
 * apply at once.
 *
 * @example
 * ```ts
 * import { memoryOperations } from './memory-operations.js'
 * const ops = memoryOperations({ begin: () => 'c', onUndo: () => {}, syncs: [] })
 * ```
 */
export function memoryOperations(access: MemoryAccess): Required<MarStore> & Required<ConnectorStore> {
  const buckets = new Map<string, MemoryBucket>()
  const thresholds = new Set<string>()
  const leases = new Map<string, { holder: string; expiresAt: number }>()
  const connectors = new Map<string, ConnectorSettings>()

  const bucketOf = (connectorId: string, table: string, month: string, mode: MarMode): MemoryBucket => {
    const id = JSON.stringify([connectorId, table, month])
    let b = buckets.get(id)
    if (!b) {
      const created: MemoryBucket = { connectorId, table, month, mode, rows: 0, segments: [], keys: undefined, sketch: undefined }
      buckets.set(id, (b = created))
      access.onUndo(() => buckets.delete(id))
    }
    if (b.mode !== mode) {
      throw new SluiceError({
        code: 'MAR_MODE_CHANGED',
        message: `MAR of table ${table} (connector ${connectorId}) is counted in ${b.mode} mode for ${month}; switch mar.mode at the start of a month`,
        context: { connectorId, table, month, mode: b.mode },
      })
    }
    return b
  }

  return {
    async meter({ table, month, keys, sketch }) {
      const connectorId = access.begin()
      const b = bucketOf(connectorId, table, month, sketch ? 'approximate' : 'exact')
      const before = b.rows
      if (sketch) {
        const delta = HyperLogLog.fromBytes(sketch)
        const previous = b.sketch
        b.sketch = (previous?.clone() ?? new HyperLogLog(delta.p)).merge(delta)
        b.rows = Math.round(b.sketch.estimate())
        access.onUndo(() => {
          b.sketch = previous
          b.rows = before
        })
        return { added: Math.max(0, b.rows - before), total: b.rows }
      }
      if (!b.keys) {
        b.keys = new KeySet(b.rows)
        for (const segment of b.segments) b.keys.addAll(segment)
      }
      const fresh = b.keys.addAll(keys ?? new Uint32Array(0))
      const added = fresh.length / 2
      if (added > 0) {
        b.segments.push(fresh)
        b.rows += added
        access.onUndo(() => {
          b.segments.pop()
          b.rows = before
          b.keys = undefined
        })
      }
      return { added, total: b.rows }
    },
    async readMar({ connectorId, month, table }) {
      const out: MarUsage[] = []
      for (const b of buckets.values()) {
        if ((connectorId !== undefined && b.connectorId !== connectorId) || (month !== undefined && b.month !== month) || (table !== undefined && b.table !== table)) continue
        out.push({ connectorId: b.connectorId, table: b.table, month: b.month, rows: b.rows, approximate: b.mode === 'approximate' })
      }
      const order = (u: MarUsage) => `${u.month}\u0000${u.connectorId}\u0000${u.table}`
      return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
    },
    async recordMarThreshold({ month, threshold }) {
      const id = JSON.stringify([access.begin(), month, threshold])
      if (thresholds.has(id)) return false
      thresholds.add(id)
      access.onUndo(() => thresholds.delete(id))
      return true
    },
    async history({ connectorId, limit = 20 }) {
      return access.syncs.filter((s) => s.connectorId === connectorId).reverse().slice(0, limit)
    },
    async acquireLease({ name, holder, ttlMs, now }) {
      const held = leases.get(name)
      if (held && held.holder !== holder && held.expiresAt > now) return { acquired: false, holder: held.holder, expiresAt: held.expiresAt }
      leases.set(name, { holder, expiresAt: now + ttlMs })
      return { acquired: true, expiresAt: now + ttlMs }
    },
    async releaseLease({ name, holder }) {
      if (leases.get(name)?.holder === holder) leases.delete(name)
    },
    async loadConnector({ connectorId }) {
      return connectors.get(connectorId)
    },
    async saveConnector({ connectorId, paused }) {
      connectors.set(connectorId, { paused, updatedAt: new Date().toISOString() })
    },
  }
}
