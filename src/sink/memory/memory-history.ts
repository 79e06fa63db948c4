import type { Row } from '../../core/batch.js'
import { jsonText } from '../../core/json-text.js'
import type { RecordOp } from '../../core/message.js'
import { END_OF_TIME, endBefore, HISTORY } from '../layout/history-columns.js'
import { keyNames, SYSTEM, type TableLayout } from '../layout/table-layout.js'

/** A history-mode table in memory: every version by version id, and the active version's id per key. */
export interface VersionStore {
  readonly rows: Map<string, Row>
  readonly active: Map<string, string>
}

/** How history writes join the memory sink's transaction: every change registers its undo. */
export interface VersionJournal {
  put(key: string, row: Row): void
  setActive(key: string, version: string | undefined): void
}

/** One row of a records batch: its key and the columns it gives (destination names, `_sluice_id` for a keyless table). */
export interface GivenRow {
  readonly key: string
  readonly given: Row
}

/**
 * History mode (SCD2) in memory, as the SQL sinks keep it (see `SqliteHistoryWriter`): per key
 * (the last row of a batch that repeats it), a change closes the active version 1 ms before
 * `synced` and starts a new one at `synced`; an unchanged row only refreshes `_sluice_synced`; an
 * update carries the replaced version's other columns, an upsert sets them to NULL; a delete
 * closes the active version at `synced` and marks it deleted.
 */
export function writeVersions(t: VersionStore, layout: TableLayout, op: RecordOp, rows: readonly GivenRow[], synced: string, journal: VersionJournal): void {
  const last = new Map<string, Row>()
  for (const r of rows) {
    last.delete(r.key) // re-inserted: a repeated key takes the place of its last row, in batch order
    last.set(r.key, r.given)
  }
  const keys = new Set(keyNames(layout))
  const all = [...layout.columns.map((c) => c.name), ...(layout.primaryKey.length === 0 ? [SYSTEM.id] : [])]
  const closedAt = endBefore(synced)
  for (const [key, given] of last) {
    const activeId = t.active.get(key)
    const current = activeId === undefined ? undefined : t.rows.get(activeId)
    if (op === 'delete') {
      if (current) close(journal, key, activeId!, { ...current, [HISTORY.end]: synced, [SYSTEM.deleted]: true, [SYSTEM.synced]: synced })
      continue
    }
    const value = (c: string, previous: Row | undefined) => (c in given ? given[c] : op === 'update' ? (previous?.[c] ?? null) : null)
    if (current) {
      const differs = all.some((c) => !keys.has(c) && (op === 'upsert' || c in given) && !sameValue(current[c], value(c, current)))
      if (!differs) {
        journal.put(activeId!, { ...current, [SYSTEM.synced]: synced })
        continue
      }
      close(journal, key, activeId!, { ...current, [HISTORY.end]: closedAt, [SYSTEM.synced]: synced })
    }
    const version: Row = {}
    for (const c of all) version[c] = value(c, current)
    Object.assign(version, { [SYSTEM.synced]: synced, [SYSTEM.deleted]: false, [HISTORY.start]: synced, [HISTORY.end]: END_OF_TIME, [HISTORY.active]: true })
    const id = `${key}\u0001${synced}`
    journal.put(id, version)
    journal.setActive(key, id)
  }
}

/**
 * Closes the active versions `hit` selects at `at` and marks them deleted: a `match: 'column'`
 * delete, or a truncate applied when the sync succeeded.
 */
export function closeVersions(t: VersionStore, journal: VersionJournal, at: string, hit: (row: Row) => boolean): void {
  for (const [key, id] of [...t.active]) {
    const row = t.rows.get(id)!
    if (hit(row)) close(journal, key, id, { ...row, [HISTORY.end]: at, [SYSTEM.deleted]: true, [SYSTEM.synced]: at })
  }
}

function close(journal: VersionJournal, key: string, id: string, row: Row): void {
  journal.put(id, { ...row, [HISTORY.active]: false })
  journal.setActive(key, undefined)
}

/** Equal as a SQL sink compares stored values: NULL is NULL, bytes by content, numbers by value, JSON by text. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null)
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return a == b // loose on purpose: a LONG is a number or a bigint, and 1n == 1
  if (typeof a === 'object' || typeof b === 'object') return jsonText(a) === jsonText(b)
  return a === b
}
