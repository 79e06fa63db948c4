import { valueAt, type Batch, type Row } from '../../core/batch.js'
import { jsonText } from '../../core/json-text.js'
import type { RecordOp, SchemaChange } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { columnAsType } from '../../codec/column-as-type.js'
import { rowHashes } from '../../core/row-hash.js'
import { SYSTEM, widenStoredValue, type TableLayout } from '../layout/table-layout.js'
import type { WarehouseDriver } from '../../warehouse/driver.js'
import { historyColumns, historyEntry } from '../../warehouse/meta-rows.js'
import { closeVersions, writeVersions, type GivenRow, type VersionJournal } from './memory-history.js'
import { comparable, nulls, viewOf, type MemoryStore, type MemoryTable } from './memory-store.js'

/**
 * The memory warehouse as a driver: writes apply at once to the store, each with its undo step;
 * a rollback runs the undo log backwards, a commit forgets it. The reference driver: the same
 * engine, modes and deferred truncates as the SQL destinations, without a database.
 *
 * @example
 * ```ts
 * import { memoryDriver } from './memory-driver.js'
 * import { memoryStore } from './memory-store.js'
 * const driver = memoryDriver(memoryStore())
 * ```
 */
export function memoryDriver(store: MemoryStore): WarehouseDriver {
  const { tables } = store
  const undo = (step: () => void) => void store.undo.push(step)
  const table = (layout: TableLayout): MemoryTable => {
    const t = tables.get(layout.table)
    if (!t) {
      const keys = layout.primaryKey.filter((k) => !layout.columns.some((c) => c.source === k))
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `memory: table ${layout.table} can't be written before it exists: its key columns ${keys.join(', ')} have no type yet (no row carried them)`,
        context: { table: layout.table },
      })
    }
    if (t.layout !== layout) setLayout(t, layout)
    return t
  }
  const setLayout = (t: MemoryTable, next: TableLayout) => {
    const prev = t.layout
    t.layout = next
    undo(() => (t.layout = prev))
  }
  const put = (t: MemoryTable, key: string, row: Row) => {
    const prev = t.rows.get(key)
    t.rows.set(key, row)
    undo(() => (prev === undefined ? t.rows.delete(key) : t.rows.set(key, prev)))
  }
  const setLog = (t: MemoryTable, i: number, row: Row) => {
    const prev = t.log[i]!
    t.log[i] = row
    undo(() => (t.log[i] = prev))
  }
  const journal = (t: MemoryTable): VersionJournal => ({
    put: (key, row) => put(t, key, row),
    setActive: (key, version) => {
      const prev = t.active.get(key)
      if (version === undefined) t.active.delete(key)
      else t.active.set(key, version)
      undo(() => (prev === undefined ? t.active.delete(key) : t.active.set(key, prev)))
    },
  })
  /** Old rows hold the widened value a fresh write would hold (see `widenStoredValue`). */
  const migrate = (t: MemoryTable, changes: readonly SchemaChange[]) => {
    for (const change of changes) {
      if (change.type !== 'change_type') continue
      const name = t.layout.columns.find((c) => c.source === change.column)?.name
      if (name === undefined) continue
      const where = { table: t.layout.table, column: change.column }
      const convert = (row: Row): Row => {
        const v = row[name]
        if (v === null || v === undefined) return row
        return { ...row, [name]: viewOf(widenStoredValue(v, change.from, change.to, where), change.to) }
      }
      for (const [key, row] of t.rows) put(t, key, convert(row))
      t.log.forEach((row, i) => setLog(t, i, convert(row)))
    }
  }
  /** `synced`: the write time of the batch's rows. */
  const writeRecords = (t: MemoryTable, op: RecordOp, batch: Batch, synced: string) => {
    const layout = t.layout
    const names = new Map(layout.columns.map((c) => [c.source, c.name]))
    const hashes = layout.primaryKey.length === 0 ? rowHashes(batch) : undefined
    const versions: GivenRow[] = []
    const deletedKeys = new Set<string>()
    // Values as the destination column's type stores them (or DESTINATION_WRITE): a bigint in a DOUBLE column is no DOUBLE.
    const types = new Map(layout.columns.map((c) => [c.source, c.type]))
    const columns = batch.columns.map((c) => (types.get(c.name) === c.type ? c : columnAsType(c, types.get(c.name)!, `memory: table ${layout.table}`)))
    for (let i = 0; i < batch.length; i++) {
      const given: Row = {}
      for (const c of columns) given[names.get(c.name)!] = valueAt(c, i)
      if (hashes) given[SYSTEM.id] = hashes[i]
      // jsonText, not JSON.stringify: a LONG key beyond 2^53 is a bigint, written as its exact digits.
      const key = hashes ? hashes[i]! : jsonText(layout.primaryKey.map((k) => given[names.get(k)!]))!
      if (layout.mode === 'history') {
        versions.push({ key, given })
        continue
      }
      if (layout.mode === 'append') {
        if (op === 'delete') deletedKeys.add(key)
        else {
          t.log.push({ ...nulls(layout), ...given, [SYSTEM.synced]: synced, [SYSTEM.deleted]: false })
          undo(() => t.log.pop())
        }
        continue
      }
      const prev = t.rows.get(key)
      if (op === 'delete') {
        if (prev) put(t, key, { ...prev, [SYSTEM.synced]: synced, [SYSTEM.deleted]: true })
        continue
      }
      const base = op === 'upsert' || !prev ? nulls(layout) : prev
      put(t, key, { ...base, ...given, [SYSTEM.synced]: synced, [SYSTEM.deleted]: false })
    }
    if (versions.length > 0) writeVersions(t, layout, op, versions, synced, journal(t))
    // An append table's delete soft-deletes every row of the key, as a SQL sink's keyed UPDATE does.
    if (deletedKeys.size > 0) {
      const keyOf = (row: Row) => (hashes ? (row[SYSTEM.id] as string) : jsonText(layout.primaryKey.map((k) => row[names.get(k)!]))!)
      t.log.forEach((row, i) => {
        if (deletedKeys.has(keyOf(row))) setLog(t, i, { ...row, [SYSTEM.synced]: synced, [SYSTEM.deleted]: true })
      })
    }
  }
  /** Soft-deletes the live rows `hit` selects (history tables: closes their active versions). */
  const softDelete = (t: MemoryTable, at: string, hit: (row: Row) => boolean) => {
    if (t.layout.mode === 'history') return closeVersions(t, journal(t), at, hit)
    for (const [key, row] of t.rows) if (hit(row)) put(t, key, { ...row, [SYSTEM.synced]: at, [SYSTEM.deleted]: true })
    t.log.forEach((row, i) => {
      if (hit(row)) setLog(t, i, { ...row, [SYSTEM.synced]: at, [SYSTEM.deleted]: true })
    })
  }

  /** State rows this transaction holds (see `fleet.holdEpoch`), released when it ends. */
  let held: (() => void)[] = []
  const release = () => {
    for (const done of held) done()
    held = []
  }
  /** The locks this transaction holds. */
  const owned = new Set<Promise<void>>()
  /** Takes lock `key` of `locks` until this transaction ends (already held by it: nothing to wait for). */
  const hold = async (locks: Map<string, Promise<void>>, key: string): Promise<void> => {
    const current = locks.get(key)
    if (current && owned.has(current)) return
    while (locks.has(key)) await locks.get(key)
    let done!: () => void
    const lock = new Promise<void>((resolve) => (done = resolve))
    locks.set(key, lock)
    owned.add(lock)
    held.push(() => {
      locks.delete(key)
      owned.delete(lock)
      done()
    })
  }

  return {
    name: 'memory',
    capabilities: { modes: ['upsert', 'append', 'replace', 'history'] },
    async load({ connectorId }) {
      const saved = store.states.get(connectorId)
      const layouts = new Map([...tables].map(([name, t]) => [name, t.layout]))
      return {
        layouts,
        ...(saved?.state === undefined ? {} : { state: saved.state }),
        pending: saved?.pending ?? {},
        lastSynced: Math.max(store.lastWrite, saved?.lastSynced ?? 0),
        epoch: saved?.epoch ?? 0,
      }
    },
    async takenNames() {
      return [...tables.values()].map((t) => t.layout.name)
    },
    begin() {
      store.undo = []
    },
    async commit({ state }) {
      if (state) {
        const epoch = store.states.get(state.connectorId)?.epoch ?? 0
        store.states.set(state.connectorId, { state: state.state, pending: { ...state.pending }, lastSynced: Date.parse(state.lastSynced), epoch })
      }
      store.undo = []
      release()
      return false
    },
    async rollback() {
      for (const step of store.undo.reverse()) step()
      store.undo = []
      release()
    },
    async createTable(layout) {
      tables.set(layout.table, { layout, rows: new Map(), log: [], active: new Map() })
      undo(() => tables.delete(layout.table))
    },
    async alterTable({ before, after, changes }) {
      const t = tables.get(before.table)!
      migrate(t, changes)
      setLayout(t, after)
    },
    async saveLayout(layout) {
      table(layout)
    },
    async insertHistory({ connectorId, syncId, table: name, changes }) {
      const at = new Date().toISOString()
      for (const c of changes) store.history.push(historyEntry({ connector_id: connectorId, sync_id: syncId, table_name: name, ...historyColumns(c) }, at))
      undo(() => store.history.splice(store.history.length - changes.length, changes.length))
    },
    async write({ layout, op, batch, synced }) {
      writeRecords(table(layout), op, batch, synced)
    },
    async deleteMatching({ layout, column, batch, synced }) {
      const t = table(layout)
      const name = t.layout.columns.find((c) => c.source === column)?.name
      if (name === undefined) return // no row can hold a value of a column the table doesn't have
      const source = batch.column(column)!
      const wanted = new Set<unknown>()
      for (let i = 0; i < batch.length; i++) wanted.add(comparable(valueAt(source, i)))
      softDelete(t, synced, (row) => !row[SYSTEM.deleted] && wanted.has(comparable(row[name])))
    },
    async applyTruncate({ layout, before, now }) {
      softDelete(table(layout), now, (row) => (row[SYSTEM.synced] as string) < before && !row[SYSTEM.deleted])
    },
    async insertErrors({ connectorId, syncId, errors }) {
      const createdAt = new Date().toISOString()
      store.errors.push(...errors.map((e) => ({ ...e, connectorId, syncId, createdAt })))
      undo(() => store.errors.splice(store.errors.length - errors.length, errors.length))
    },
    async finishState({ connectorId, lastSynced }) {
      const saved = store.states.get(connectorId)
      if (saved) saved.pending = {}
      store.lastWrite = Date.parse(lastSynced)
    },
    async recordSync(report) {
      store.syncs.push(report)
    },
    fleet: {
      async stateRow(connectorId) {
        const row = store.states.get(connectorId)
        return row && { pending: row.pending, lastSynced: row.lastSynced, epoch: row.epoch }
      },
      async holdEpoch({ connectorId }) {
        // As a row lock: a fence of this connector id waits until this transaction ends.
        await hold(store.locks, connectorId)
        return store.states.get(connectorId)?.epoch
      },
      async committedLayout(name, lock) {
        if (lock) await hold(store.layoutLocks, '')
        return { layout: tables.get(name)?.layout, taken: [...tables.values()].map((t) => t.layout.name) }
      },
      async dropStates(connectorIds) {
        let last = 0
        for (const id of connectorIds) {
          const row = store.states.get(id)
          if (!row) continue
          last = Math.max(last, row.lastSynced)
          store.states.delete(id)
          undo(() => store.states.set(id, row))
        }
        return last
      },
      mar: store.mar,
    },
  }
}
