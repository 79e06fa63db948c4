import type { Row } from '../../core/batch.js'
import type { Sink } from '../../contracts/sink.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { parseState } from '../../core/json-state.js'
import { engineWriter } from '../../warehouse/engine-sink.js'
import { memoryDriver } from './memory-driver.js'
import { checkFenceArgs, fencedPending } from '../../warehouse/fence-row.js'
import { memoryStores } from './memory-stores.js'
import { committedRows, memoryStore } from './memory-store.js'

/** A sink that also exposes what it holds, for tests. */
export interface MemorySink extends Sink {
  /** Committed rows of a table (destination column names, system columns included). */
  rows(table: string): Row[]
  /** Finished syncs, oldest first. */
  readonly syncs: readonly SyncReport[]
}

/**
 * The reference sink: a warehouse in process memory with the same layout, modes, transactions
 * and deferred truncates as the SQL sinks (the same warehouse engine, on the memory driver), so
 * tests and examples run without a file. Writes are applied at once with an undo log; a failed
 * or stopped sync rolls back to the last checkpoint.
 *
 * @example
 * ```ts
 * import { fromIterable, memory, sync } from 'sluice'
 * const sink = memory()
 * await sync({ source: fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }), destination: sink })
 * sink.rows('t') // [{ id: 1, _sluice_synced: '…', _sluice_deleted: false }]
 * ```
 */
export function memory(): MemorySink {
  const store = memoryStore()
  let connector = ''
  const writer = engineWriter('memory', async (args) => {
    connector = args.connectorId
    return { driver: memoryDriver(store), release: () => undefined }
  })
  const { pausedIds, ...methods } = memoryStores({
    begin: () => {
      // The memory driver begins synchronously: the transaction is open when this returns.
      void writer.active()?.joinTransaction()
      return connector
    },
    mar: store.mar,
    syncs: store.syncs,
  })
  const stores = { pausedIds }
  return {
    name: 'memory',
    syncs: store.syncs,
    rows: (table) => committedRows(store.tables.get(table)),
    // MAR metering and connector operations, in the same transaction/undo log (memory-stores.ts).
    ...methods,
    ...writer.methods,
    async readErrors() {
      return store.errors.map(({ connectorId: _c, syncId: _s, createdAt: _t, ...record }) => record)
    },
    async connectors() {
      const ids = new Set([...store.states.keys(), ...store.syncs.map((s) => s.connectorId), ...store.mar.usage({}).map((u) => u.connectorId), ...stores.pausedIds()])
      return [...ids].sort()
    },
    async syncErrors({ connectorId, syncId, limit = 1000 }) {
      return store.errors.filter((e) => e.connectorId === connectorId && e.syncId === syncId).slice(0, limit)
    },
    async read({ table }) {
      return committedRows(store.tables.get(table))
    },
    async describe() {
      return [...store.tables.values()].map(({ layout }) => ({ ...layout }))
    },
    async schemaHistory() {
      return [...store.history]
    },
    async resetState({ connectorId }) {
      store.states.delete(connectorId)
    },
    async loadState({ connectorId }) {
      const text = store.states.get(connectorId)?.state
      return text === undefined || text === '' ? undefined : parseState(text, `state of ${connectorId}`)
    },
    async fence(args) {
      checkFenceArgs('memory', args)
      // Waits for a transaction holding the row (as a Postgres row lock); then committed at once, outside the undo log.
      while (store.locks.has(args.connectorId)) await store.locks.get(args.connectorId)
      const row = store.states.get(args.connectorId) ?? { pending: {}, lastSynced: 0, epoch: 0 }
      const next = { ...row, pending: fencedPending({ pending: row.pending, lastSynced: Math.max(row.lastSynced, store.lastWrite) }, args.truncate), epoch: row.epoch + 1 }
      store.states.set(args.connectorId, next)
      return next.epoch
    },
  }
}
