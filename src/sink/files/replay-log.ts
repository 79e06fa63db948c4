import { tableFromIPC } from 'apache-arrow'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Row } from '../../core/batch.js'
import { baseType, type ColumnType } from '../../core/column-type.js'
import { parseUtcMicros } from '../../core/temporal.js'
import { CsvParser } from '../../codec/csv-parser.js'
import { parquetRows } from '../../codec/parquet-rows.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'
import { SYSTEM, widenStoredValue, type TableLayout } from '../layout/table-layout.js'
import { arrowColumnValues } from '../../codec/arrow-values.js'
import type { Committed, PartEntry, TruncateEntry } from './commit-log.js'
import { LOG_COLUMNS } from './log-batch.js'

const MAX_SAFE = 9007199254740991n

/**
 * A table of the lake as a warehouse table would hold it, by replaying its log the way a reader
 * should: committed files in commit order; per key (`_sluice_id` for a keyless table) an upsert
 * replaces the row, an update sets the columns its `_sluice_columns` lists, a delete sets
 * `_sluice_deleted` and keeps the last values, a `delete_matching` does so for every live row whose
 * value in the column its `_sluice_columns` names equals its own; an append table keeps every row; a truncate in a
 * manifest soft-deletes rows written before it. Rows come back with the current columns
 * (NULL where a file predates a column) and the system columns, as the SQL sinks' `read()`.
 */
export async function replayTable(dir: string, committed: Committed, table: string): Promise<Row[]> {
  const layout = committed.tables[table]
  if (!layout) return []
  const events: ({ file: PartEntry } | { truncate: TruncateEntry })[] = []
  for (const m of committed.manifests) {
    for (const file of m.files) if (file.table === table) events.push({ file })
    for (const truncate of m.truncates) if (truncate.table === table) events.push({ truncate })
  }
  // Files before truncates of the same commit: a truncate applies to everything written before it.
  events.sort((a, b) => seqOf(a) - seqOf(b) || ('file' in a ? 0 : 1) - ('file' in b ? 0 : 1))
  const keyed = layout.mode !== 'append'
  const rows = new Map<string, Row>()
  const log: Row[] = []
  const keyOf = keyFunction(layout)
  for (const event of events) {
    if ('truncate' in event) {
      const before = micros(event.truncate.before)
      for (const row of keyed ? rows.values() : log) {
        if (!row[SYSTEM.deleted] && micros(row[SYSTEM.synced] as string) < before) {
          row[SYSTEM.deleted] = true
          row[SYSTEM.synced] = event.truncate.at
        }
      }
      continue
    }
    for (const change of widened(await readPart(dir, event.file), event.file, layout)) {
      const op = change[LOG_COLUMNS.op]
      if (op === 'delete_matching') {
        const [name] = JSON.parse(change[LOG_COLUMNS.columns] as string) as string[]
        const value = comparable(change[name!])
        if (value === undefined) continue
        for (const row of keyed ? rows.values() : log) {
          if (!row[SYSTEM.deleted] && comparable(row[name!]) === value) Object.assign(row, { [SYSTEM.deleted]: true, [SYSTEM.synced]: change[SYSTEM.synced] })
        }
        continue
      }
      const key = keyOf(change)
      if (op === 'delete') {
        const targets = keyed ? [rows.get(key)] : log.filter((r) => keyOf(r) === key)
        for (const row of targets) if (row) Object.assign(row, { [SYSTEM.deleted]: true, [SYSTEM.synced]: change[SYSTEM.synced] })
        continue
      }
      const row: Row = op === 'update' && keyed ? { ...(rows.get(key) ?? blank(layout)) } : blank(layout)
      const set = op === 'update' ? (JSON.parse(change[LOG_COLUMNS.columns] as string) as string[]) : layout.columns.map((c) => c.name)
      for (const name of set) if (name in change) row[name] = change[name]
      row[SYSTEM.synced] = change[SYSTEM.synced]
      row[SYSTEM.deleted] = false
      if (layout.primaryKey.length === 0) row[SYSTEM.id] = change[SYSTEM.id]
      if (keyed) rows.set(key, row) // a key keeps its first position, as a row updated in place in a SQL table
      else log.push(row)
    }
  }
  return keyed ? [...rows.values()] : log
}

/**
 * Rows of a file written before a column widened, with that column's values as a fresh write of
 * the current type stores them: readers of the lake must do the same (the file keeps its type).
 */
function widened(rows: Row[], file: PartEntry, layout: TableLayout): Row[] {
  const current = new Map(layout.columns.map((c) => [c.name, c]))
  const stale = file.columns.flatMap((c) => {
    const now = current.get(c.name)
    return now && now.type !== c.type ? [{ name: c.name, source: now.source, from: c.type as ColumnType, to: now.type }] : []
  })
  if (stale.length === 0) return rows
  for (const row of rows) {
    for (const c of stale) {
      const v = row[c.name]
      if (v !== null && v !== undefined) row[c.name] = viewOf(widenStoredValue(v, c.from, c.to, { table: layout.table, column: c.source }), c.to)
    }
  }
  return rows
}

/** The JS view (as `valueAt` gives it) of a value in the storage form of `type`. */
function viewOf(stored: unknown, type: ColumnType): unknown {
  switch (baseType(type)) {
    case 'BOOLEAN':
      return stored === 1
    case 'LONG':
      return typeof stored === 'bigint' && stored >= -MAX_SAFE && stored <= MAX_SAFE ? Number(stored) : stored
    case 'JSON':
      return parseJsonExact(stored as string)
    default:
      return stored
  }
}

function seqOf(event: { file: PartEntry } | { truncate: TruncateEntry }): number {
  return 'file' in event ? event.file.seq : event.truncate.seq
}

function blank(layout: TableLayout): Row {
  const row: Row = {}
  for (const c of layout.columns) row[c.name] = null
  return row
}

function keyFunction(layout: TableLayout): (row: Row) => string {
  if (layout.primaryKey.length === 0) return (row) => String(row[SYSTEM.id])
  const names = layout.primaryKey.map((k) => layout.columns.find((c) => c.source === k)!.name)
  return (row) => JSON.stringify(names.map((n) => row[n]), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}

function micros(iso: string): number {
  return parseUtcMicros(iso) ?? Number.NaN
}

/** The rows of one data file, values decoded to their JS view by the column types the manifest lists. */
export async function readPart(dir: string, file: PartEntry): Promise<Row[]> {
  const columns = file.columns.map((c) => ({ name: c.name, type: c.type as ColumnType }))
  if (file.format === 'parquet') {
    const out: Row[] = []
    for await (const part of parquetRows(join(dir, file.path), new AbortController().signal)) {
      if (!('rows' in part)) continue
      for (const raw of part.rows) {
        const row: Row = {}
        for (const c of columns) row[c.name] = fromJson(raw[c.name], c.type)
        out.push(row)
      }
    }
    return out
  }
  const data = await readFile(join(dir, file.path))
  if (file.format === 'arrow') {
    const table = tableFromIPC(data)
    const values = columns.map((c) => arrowColumnValues(table, c.name, c.type))
    const out: Row[] = new Array(table.numRows)
    for (let i = 0; i < table.numRows; i++) {
      const row: Row = {}
      columns.forEach((c, k) => (row[c.name] = values[k]![i]))
      out[i] = row
    }
    return out
  }
  const text = data.toString('utf8')
  if (file.format === 'ndjson') {
    return text.split('\n').filter((l) => l !== '').map((line) => {
      const raw = parseJsonExact(line) as Row
      const row: Row = {}
      for (const c of columns) row[c.name] = fromJson(raw[c.name], c.type)
      return row
    })
  }
  const parser = new CsvParser()
  const [header, ...records] = [...parser.push(text), ...parser.end()]
  const at = new Map((header ?? []).map((name, i) => [name, i]))
  return records.map((record) => {
    const row: Row = {}
    for (const c of columns) {
      const i = at.get(c.name)
      row[c.name] = i === undefined ? null : fromText(record[i] ?? null, c.type)
    }
    return row
  })
}

/** An NDJSON (or Parquet, as `parquetRows` reads it) value back to its JS view (see `ndjsonLines` for how each type is written). */
function fromJson(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null
  switch (baseType(type)) {
    case 'LONG':
      return typeof value === 'bigint' && value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value
    case 'FLOAT':
    case 'DOUBLE':
      return typeof value === 'string' ? Number(value) : value
    case 'BINARY':
      return new Uint8Array(Buffer.from(value as string, 'base64'))
    default:
      return value
  }
}

/** A CSV field back to its JS view (see `csvLines`). */
function fromText(text: string | null, type: ColumnType): unknown {
  if (text === null) return null
  switch (baseType(type)) {
    case 'BOOLEAN':
      return text === 'true'
    case 'SHORT':
    case 'INT':
    case 'FLOAT':
    case 'DOUBLE':
      return Number(text)
    case 'LONG': {
      const v = BigInt(text)
      return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v
    }
    case 'JSON':
      return parseJsonExact(text)
    case 'BINARY':
      return new Uint8Array(Buffer.from(text, 'base64'))
    default:
      return text
  }
}

/** A value as `===` should compare it (values of one column, as files give them back). */
function comparable(v: unknown): unknown {
  if (v === undefined || v === null) return undefined // NULL matches nothing
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  return v
}
