import { valueAt, type Row } from '../../core/batch.js'
import { jsonText } from '../../core/json-text.js'
import { baseType, type ColumnType } from '../../core/column-type.js'
import type { ErrorRecord } from '../../core/error-record.js'
import { parseState, serializeState } from '../../core/json-state.js'
import { matchColumn } from '../../core/match-column.js'
import type { RecordsMessage, SchemaChange, State } from '../../core/message.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'
import type { TableSpec } from '../../core/table-spec.js'
import { columnAsType } from '../files/column-as-type.js'
import { DeferredTruncates } from '../layout/deferred-truncates.js'
import { addColumns, applySchemaChange, createTable, planTable, reconcile, SYSTEM, widenStoredValue, type StoredValue, type TableLayout } from '../layout/table-layout.js'
import { rowHashes } from '../layout/row-hash.js'
import type { AppliedSchemaChange, SchemaHistoryEntry, Sink } from '../sink.js'
import type { SyncReport } from '../../sync/sync-report.js'
import { closeVersions, writeVersions, type GivenRow, type VersionJournal } from './memory-history.js'
import { memoryStores } from './memory-stores.js'

interface MemoryTable {
  layout: TableLayout
  /** Keyed tables: key → row; history tables: version id → version; append tables use `log`. */
  readonly rows: Map<string, Row>
  readonly log: Row[]
  /** History tables: key → id of its active version. */
  readonly active: Map<string, string>
}

type Undo = () => void

/** A sink that also exposes what it holds, for tests. */
export interface MemorySink extends Sink {
  /** Committed rows of a table (destination column names, system columns included). */
  rows(table: string): Row[]
  /** Finished syncs, oldest first. */
  readonly syncs: readonly SyncReport[]
}

/**
 * The reference sink: a warehouse in process memory with the same layout, modes, transactions
 * and deferred truncates as the SQL sinks, so tests and examples run without a file. Writes are
 * applied at once with an undo log; a failed or stopped sync rolls back to the last checkpoint.
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
  const tables = new Map<string, MemoryTable>()
  const states = new Map<string, { state: string; pending: Record<string, string> }>()
  const syncs: SyncReport[] = []
  const errors: ErrorRecord[] = []
  const history: SchemaHistoryEntry[] = []
  let undo: Undo[] = []
  let connector = ''
  let syncId = ''
  let declaredChecked = new Set<string>()
  let specs = new Map<string, TableSpec>()
  let truncates = new DeferredTruncates()
  let lastWrite = 0 // kept across syncs: see DeferredTruncates
  let synced = ''
  let open = false

  const begin = () => {
    if (!open) {
      open = true
      synced = new Date(truncates.tick()).toISOString()
    }
  }
  const tableOf = (name: string, announced?: TableSpec): MemoryTable => {
    let t = tables.get(name)
    if (!t) {
      const taken = new Set([...tables.values()].map((x) => x.layout.name))
      // A declared spec wins over the `create_table` message that may announce a table (e.g. a `flatten` child).
      const spec = specs.get(name) ?? (announced ? { ...announced, table: name } : { table: name })
      t = { layout: planTable(spec, taken), rows: new Map(), log: [], active: new Map() }
      const created = t
      tables.set(name, t)
      undo.push(() => tables.delete(name) && void created)
    }
    return t
  }
  const setLayout = (t: MemoryTable, next: TableLayout) => {
    const prev = t.layout
    t.layout = next
    undo.push(() => (t.layout = prev))
  }
  const put = (t: MemoryTable, key: string, row: Row) => {
    const prev = t.rows.get(key)
    t.rows.set(key, row)
    undo.push(() => (prev === undefined ? t.rows.delete(key) : t.rows.set(key, prev)))
  }
  const journal = (t: MemoryTable): VersionJournal => ({
    put: (key, row) => put(t, key, row),
    setActive: (key, version) => {
      const prev = t.active.get(key)
      if (version === undefined) t.active.delete(key)
      else t.active.set(key, version)
      undo.push(() => (prev === undefined ? t.active.delete(key) : t.active.set(key, prev)))
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
      t.log.forEach((row, i) => {
        const prev = t.log[i]!
        t.log[i] = convert(row)
        undo.push(() => (t.log[i] = prev))
      })
    }
  }
  const recordHistory = (table: string, changes: readonly SchemaChange[]) => {
    const at = new Date().toISOString()
    for (const c of changes) {
      history.push({
        connectorId: connector, syncId, table, at, change: c.type,
        column: c.type === 'create_table' ? null : c.column,
        oldType: c.type === 'change_type' ? c.from : null,
        newType: c.type === 'change_type' ? c.to : c.type === 'add_column' ? c.columnType : null,
      })
    }
    undo.push(() => history.splice(history.length - changes.length, changes.length))
  }
  /** `synced`: the write time of the batch's rows (history tables: a time of the batch's own). */
  const writeRecords = (t: MemoryTable, message: RecordsMessage, synced: string) => {
    const { batch, op } = message
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
          undo.push(() => t.log.pop())
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
        if (!deletedKeys.has(keyOf(row))) return
        t.log[i] = { ...row, [SYSTEM.synced]: synced, [SYSTEM.deleted]: true }
        undo.push(() => (t.log[i] = row))
      })
    }
  }

  /** A `match: 'column'` delete: soft-deletes the live rows whose `column` holds one of the batch's values. */
  const deleteMatching = (t: MemoryTable, message: RecordsMessage, column: string) => {
    const name = t.layout.columns.find((c) => c.source === column)?.name
    if (name === undefined) return // no row can hold a value of a column the table doesn't have
    const source = message.batch.column(column)!
    const wanted = new Set<unknown>()
    for (let i = 0; i < message.batch.length; i++) wanted.add(comparable(valueAt(source, i)))
    const hit = (row: Row) => !row[SYSTEM.deleted] && wanted.has(comparable(row[name]))
    if (t.layout.mode === 'history') return closeVersions(t, journal(t), synced, hit)
    for (const [key, row] of t.rows) if (hit(row)) put(t, key, { ...row, [SYSTEM.synced]: synced, [SYSTEM.deleted]: true })
    t.log.forEach((row, i) => {
      if (!hit(row)) return
      t.log[i] = { ...row, [SYSTEM.synced]: synced, [SYSTEM.deleted]: true }
      undo.push(() => (t.log[i] = row))
    })
  }

  return {
    name: 'memory',
    syncs,
    rows: (table) => committedRows(tables.get(table)),
    // MAR metering and connector operations, in the same transaction/undo log (memory-stores.ts).
    ...memoryStores({ begin: () => (begin(), connector), onUndo: (step) => void undo.push(step), syncs }),
    async open({ connectorId, syncId: id, tables: declared }) {
      connector = connectorId
      syncId = id
      declaredChecked = new Set()
      specs = new Map(declared.map((s) => [s.table, s]))
      const saved = states.get(connectorId)
      truncates = new DeferredTruncates(saved?.pending ?? {}, lastWrite)
      // An existing table gets newly declared columns at its first write, as a recorded change.
      for (const spec of declared) if (spec.mode === 'replace') truncates.replace(spec.table)
      undo = []
      open = false
      return saved ? { state: parseState(saved.state, `state of ${connectorId}`) } : {}
    },
    async write({ message }) {
      begin()
      if (message.kind === 'truncate') {
        truncates.truncate(message.table)
        synced = new Date(truncates.current).toISOString()
        return []
      }
      const matching = matchColumn(message)
      if (matching !== undefined) {
        // Finds rows, never creates a table or a column.
        const t = tables.get(message.table)
        if (t) deleteMatching(t, message as RecordsMessage, matching)
        return []
      }
      const isNew = !tables.has(message.table)
      const t = tableOf(message.table, message.kind === 'schema' && message.change.type === 'create_table' ? message.change.spec : undefined)
      let declared: { layout: TableLayout; changes: SchemaChange[] } = { layout: t.layout, changes: [] }
      if (!isNew && !declaredChecked.has(message.table)) {
        declaredChecked.add(message.table)
        declared = addColumns(t.layout, Object.entries(specs.get(message.table)?.columns ?? {}))
      }
      const { layout, changes } = message.kind === 'records' ? reconcile(declared.layout, message.batch) : applySchemaChange(declared.layout, message.change)
      if (!isNew) migrate(t, changes)
      if (layout !== t.layout) setLayout(t, layout)
      // History versions need a start time of their own per batch: two batches of one key in one transaction are two versions.
      if (message.kind === 'records') writeRecords(t, message, layout.mode === 'history' ? new Date(truncates.tick()).toISOString() : synced)
      const applied: SchemaChange[] = isNew ? [createTable(layout)] : [...declared.changes, ...changes]
      if (applied.length > 0) recordHistory(message.table, applied)
      return applied.map((change): AppliedSchemaChange => ({ table: message.table, change }))
    },
    async recordErrors({ errors: more }) {
      begin()
      errors.push(...more)
      undo.push(() => errors.splice(errors.length - more.length, more.length))
    },
    async readErrors() {
      return [...errors]
    },
    async checkpoint({ state }: { state: State }) {
      states.set(connector, { state: serializeState(state), pending: truncates.toJSON() })
      undo = []
      open = false
    },
    async close({ status, report }) {
      if (status !== 'succeeded') {
        for (const step of undo.reverse()) step()
      } else {
        begin()
        for (const [table, before] of truncates.entries()) {
          const t = tables.get(table)
          if (!t) continue
          // History tables: the active versions written before the truncate are closed (no undo: the sync succeeded).
          if (t.layout.mode === 'history') {
            const direct: VersionJournal = { put: (key, row) => t.rows.set(key, row), setActive: (key, id) => (id === undefined ? t.active.delete(key) : t.active.set(key, id)) }
            closeVersions(t, direct, synced, (row) => (row[SYSTEM.synced] as string) < before)
            continue
          }
          for (const [key, row] of t.rows) if ((row[SYSTEM.synced] as string) < before && !row[SYSTEM.deleted]) t.rows.set(key, { ...row, [SYSTEM.deleted]: true, [SYSTEM.synced]: synced })
        }
        truncates.clear()
        const saved = states.get(connector)
        if (saved) saved.pending = {}
      }
      undo = []
      open = false
      lastWrite = truncates.current
      syncs.push(report)
    },
    async read({ table }) {
      return committedRows(tables.get(table))
    },
    async describe() {
      return [...tables.values()].map(({ layout }) => ({ ...layout }))
    },
    async schemaHistory() {
      return [...history]
    },
    async resetState({ connectorId }) {
      states.delete(connectorId)
    },
  }
}

/** Rows with every current column present (a column added later reads NULL in older rows). */
function committedRows(t: MemoryTable | undefined): Row[] {
  if (!t) return []
  const blank = nulls(t.layout)
  return [...(t.layout.mode === 'append' ? t.log : t.rows.values())].map((row) => ({ ...blank, ...row }))
}

function nulls(layout: TableLayout): Row {
  const row: Row = {}
  for (const c of layout.columns) row[c.name] = null
  return row
}

/** The JS view (as `valueAt` returns it) of a value in the storage form of `type`. */
function viewOf(stored: StoredValue, type: ColumnType): unknown {
  switch (baseType(type)) {
    case 'BOOLEAN':
      return stored === 1
    case 'LONG':
      return typeof stored === 'bigint' && stored >= -9007199254740991n && stored <= 9007199254740991n ? Number(stored) : stored
    case 'JSON':
      return parseJsonExact(stored as string) // JSON.parse would round numbers beyond a double
    default:
      return stored
  }
}

/** A stored value as a Set compares it: by value for big integers, instants and bytes too. */
function comparable(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  return v
}
