import type { SyncErrorRow } from '../../contracts/ops-reader.js'
import type { Row } from '../../core/batch.js'
import type { ErrorRecord } from '../../core/error-record.js'
import { baseType, type ColumnType } from '../../core/column-type.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'
import type { StoredValue, TableLayout } from '../layout/table-layout.js'
import type { SchemaHistoryEntry } from '../../contracts/sink.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { MemoryMarStorage } from '../../warehouse/mar/memory-mar-storage.js'

/** One table of the memory warehouse. */
export interface MemoryTable {
  layout: TableLayout
  /** Keyed tables: key → row; history tables: version id → version; append tables use `log`. */
  readonly rows: Map<string, Row>
  readonly log: Row[]
  /** History tables: key → id of its active version. */
  readonly active: Map<string, string>
}

/**
 * Everything the memory warehouse holds, kept by the `memory()` sink across syncs; the open
 * transaction is the undo log (`undo`), run backwards on a rollback.
 */
export interface MemoryStore {
  readonly tables: Map<string, MemoryTable>
  /** Connector state rows; `state` undefined: made by `fence`, no checkpoint yet. */
  readonly states: Map<string, { state?: string; pending: Record<string, string>; lastSynced: number; epoch: number }>
  readonly syncs: SyncReport[]
  /** `_sluice_errors`: each record with its connector, sync and time. */
  readonly errors: SyncErrorRow[]
  readonly history: SchemaHistoryEntry[]
  undo: (() => void)[]
  /** The latest write time, kept across syncs (see DeferredTruncates). */
  lastWrite: number
  /** State rows an open transaction holds (fleet `holdEpoch`), settled when it ends: a fence waits for them. */
  readonly locks: Map<string, Promise<void>>
  /** The lock on table layouts (fleet `committedLayout` with `lock`, one key: ''), held by a transaction that changes a table until it ends. */
  readonly layoutLocks: Map<string, Promise<void>>
  /** MAR buckets, in the same undo log as the data (the sink's MAR store and a completion's merge). */
  readonly mar: MemoryMarStorage
}

/** An empty memory warehouse. */
export function memoryStore(): MemoryStore {
  const store: MemoryStore = {
    tables: new Map(), states: new Map(), syncs: [], errors: [], history: [], undo: [], lastWrite: 0, locks: new Map(), layoutLocks: new Map(),
    mar: new MemoryMarStorage((step) => void store.undo.push(step)),
  }
  return store
}

/** Rows with every current column present (a column added later reads NULL in older rows). */
export function committedRows(t: MemoryTable | undefined): Row[] {
  if (!t) return []
  const blank = nulls(t.layout)
  return [...(t.layout.mode === 'append' ? t.log : t.rows.values())].map((row) => ({ ...blank, ...row }))
}

/** A row of NULLs in every column of the layout. */
export function nulls(layout: TableLayout): Row {
  const row: Row = {}
  for (const c of layout.columns) row[c.name] = null
  return row
}

/** The JS view (as `valueAt` returns it) of a value in the storage form of `type`. */
export function viewOf(stored: StoredValue, type: ColumnType): unknown {
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
export function comparable(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  return v
}
