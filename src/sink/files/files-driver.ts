import { mkdir, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Batch } from '../../core/batch.js'
import { baseType, type ColumnType } from '../../core/column-type.js'
import type { ErrorRecord } from '../../core/error-record.js'
import { parseState, serializeState } from '../../core/json-state.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { WriteMode } from '../../core/table-spec.js'
import type { MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { widenStoredValue, type TableLayout } from '../layout/table-layout.js'
import type { SchemaHistoryEntry } from '../../contracts/sink.js'
import type { WarehouseDriver } from '../../warehouse/driver.js'
import { historyColumns, historyEntry } from '../../warehouse/meta-rows.js'
import { syncDirectory } from './atomic-write.js'
import { writeManifest, writeStateFile, type Committed, type Manifest, type PartEntry } from './commit-log.js'
import { FilesMar } from './files-mar.js'
import { logBatch, logMatchingDelete, logSchema } from './log-batch.js'
import { EXTENSIONS, startPart, type FileFormat, type PartWriter } from './part-writer.js'

/** The write modes a lake keeps: it is a log replayed to the latest row per key, so no SCD2 history. */
export const FILES_MODES: readonly WriteMode[] = ['upsert', 'append', 'replace']

/** When a data file is closed and a new one started. */
export interface Rotate {
  readonly rows: number
  readonly bytes: number
}

/** The files driver, with the MAR metering that commits with its manifest (see `FilesMar`). */
export interface FilesDriver extends WarehouseDriver {
  meter(args: MeterArgs): Promise<MeterResult>
  recordMarThreshold(args: { readonly month: string; readonly threshold: number; readonly rows: number }): boolean
}

/** Where and how one sync writes the lake. */
export interface FilesDriverArgs {
  readonly dir: string
  readonly format: FileFormat
  readonly rotate: Rotate
  readonly connectorId: string
  readonly syncId: string
  readonly committed: Committed
}

/**
 * A files directory as a warehouse driver. Its transaction is a commit log, not a database's:
 * rows go to the open data file of each table; a commit closes the open files (fsync, rename
 * into place), then rewrites this sync's manifest atomically (it lists the files and holds the
 * state: the commit point), then updates `_sluice_state.json`. Readers see a file only once its
 * commit is in a manifest; a rollback deletes the files written since. Truncates, match deletes,
 * errors and schema history are entries of the manifest, applied by readers (replay-log.ts).
 *
 * @example
 * ```ts
 * import { filesDriver } from './files-driver.js'
 * import { loadCommitted } from './commit-log.js'
 * const committed = await loadCommitted('lake')
 * const driver = filesDriver({ dir: 'lake', format: 'ndjson', rotate: { rows: 1_000_000, bytes: 2 ** 27 }, connectorId: 'c', syncId: 's', committed })
 * ```
 */
export function filesDriver({ dir, format, rotate, connectorId, syncId, committed }: FilesDriverArgs): FilesDriver {
  /** Tables that exist in the lake (committed, or created in this run), by source name. */
  const layouts = new Map<string, TableLayout>(Object.entries(committed.tables))
  const parts = new Map<string, { part: PartWriter; layout: TableLayout }>()
  /** Files closed since the last commit. */
  let finished: Omit<PartEntry, 'seq'>[] = []
  let errors: ErrorRecord[] = []
  let history: SchemaHistoryEntry[] = []
  const touched = new Set<string>()
  /** Largest absolute LONG value per table and column, in committed files and this run's writes. */
  const longAbsMax = new Map<string, Map<string, bigint>>()
  /** The same for the open file of each table, for its manifest entry. */
  const partLongAbsMax = new Map<string, Map<string, bigint>>()
  const mar = new FilesMar(dir, connectorId, syncId, committed)
  let seq = committed.seq
  let counter = 0
  const saved = committed.connectors[connectorId]
  /** Pending truncates and last write time as the next commit saves them. */
  let pending: Record<string, string> = saved?.pending ?? {}
  let lastSynced = saved?.lastSynced ?? new Date(0).toISOString()
  const manifest: Manifest = {
    version: 1, connectorId, syncId, startedAt: new Date().toISOString(), status: 'running', seq, checkpoints: 0,
    ...(saved ? { state: saved.state } : {}),
    pending, lastSynced, files: [], truncates: [], errors: [], history: [], tables: {},
  }

  const noteLong = (into: Map<string, Map<string, bigint>>, table: string, column: string, value: bigint) => {
    let byColumn = into.get(table)
    if (!byColumn) into.set(table, (byColumn = new Map()))
    if (value > (byColumn.get(column) ?? -1n)) byColumn.set(column, value)
  }
  for (const m of committed.manifests) {
    for (const f of m.files) for (const [column, text] of Object.entries(f.longAbsMax ?? {})) noteLong(longAbsMax, f.table, column, BigInt(text))
  }
  /** Notes the largest absolute value of each LONG column of an event batch. */
  const trackLongs = (table: string, events: Batch) => {
    for (const column of events.columns) {
      if (column.type !== 'LONG') continue
      const values = column.values as BigInt64Array
      let max = 0n
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!
        const abs = v < 0n ? -v : v
        if (abs > max) max = abs
      }
      noteLong(longAbsMax, table, column.name, max)
      noteLong(partLongAbsMax, table, column.name, max)
    }
  }
  /**
   * The lake keeps old files as written, so a widened column's old values are converted when
   * read; a LONG beyond 2^53 has no exact DOUBLE, so that widening is refused here, as the SQL
   * sinks refuse to migrate it.
   */
  const checkWidening = (layout: TableLayout, source: string, from: ColumnType, to: ColumnType) => {
    if (baseType(from) !== 'LONG' || (baseType(to) !== 'DOUBLE' && baseType(to) !== 'FLOAT')) return
    const name = layout.columns.find((c) => c.source === source)?.name
    const max = name === undefined ? undefined : longAbsMax.get(layout.table)?.get(name)
    if (max !== undefined && max > 9007199254740991n) widenStoredValue(max, from, to, { table: layout.table, column: source })
  }
  const startFile = async (layout: TableLayout) => {
    await mkdir(join(dir, layout.name), { recursive: true })
    const name = `part-${syncId}-${String(++counter).padStart(5, '0')}.${EXTENSIONS[format]}`
    const open = { part: await startPart(join(dir, layout.name, name), format, logSchema(layout)), layout }
    parts.set(layout.table, open)
    return open
  }
  const finishFile = async (table: string) => {
    const open = parts.get(table)
    if (!open) return
    parts.delete(table)
    const { part, layout } = open
    if (part.rows === 0) return part.abort()
    const bytes = await part.finish()
    const path = `${layout.name}/${basename(part.path)}`
    const longs = partLongAbsMax.get(table)
    partLongAbsMax.delete(table)
    const longMax = longs && longs.size > 0 ? Object.fromEntries([...longs].map(([c, v]) => [c, v.toString()])) : undefined
    finished.push({ table, path, rows: part.rows, bytes, format, columns: logSchema(layout), ...(longMax ? { longAbsMax: longMax } : {}) })
  }
  /** Appends events to the table's open file (rotating it when full). */
  const append = async (layout: TableLayout, events: Batch) => {
    if (events.length === 0) return
    touched.add(layout.table)
    const open = parts.get(layout.table) ?? (await startFile(layout))
    trackLongs(layout.table, events)
    await open.part.append(events)
    if (open.part.rows >= rotate.rows || open.part.bytes >= rotate.bytes) await finishFile(layout.table)
  }
  /** The layout a write names, once the table exists (a table waits for its key columns' types). */
  const existing = (layout: TableLayout): TableLayout => {
    if (!layouts.has(layout.table)) {
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `files: table ${layout.table} can't be written before it exists: its key columns have no type yet (no row carried them)`,
        context: { table: layout.table },
      })
    }
    return layout
  }
  /** Closes the open files and commits them, with `state` when given, by rewriting the manifest and then the state file. */
  const commit = async (state?: Manifest['state']) => {
    for (const table of [...parts.keys()]) await finishFile(table)
    for (const d of new Set(finished.map((f) => f.path.split('/')[0]!))) await syncDirectory(join(dir, d))
    const next = seq + 1
    const marEntries = await mar.prepare(next)
    const m = manifest
    const tables = { ...m.tables }
    for (const t of touched) tables[t] = layouts.get(t)!
    const written: Manifest = {
      ...m,
      ...(state !== undefined ? { state, checkpoints: m.checkpoints + 1 } : {}),
      seq: next,
      files: [...m.files, ...finished.map((f) => ({ ...f, seq: next }))],
      errors: [...m.errors, ...errors],
      history: [...m.history, ...history],
      tables,
      pending,
      lastSynced,
      ...(marEntries.entries.length > 0 ? { mar: [...(m.mar ?? []), ...marEntries.entries] } : {}),
      ...(marEntries.thresholds.length > 0 ? { marThresholds: [...(m.marThresholds ?? []), ...marEntries.thresholds] } : {}),
    }
    await writeManifest(dir, written)
    Object.assign(m, written)
    seq = next
    mar.committed()
    const connectors = { ...committed.connectors }
    if (m.state !== undefined) connectors[connectorId] = { state: m.state, pending: m.pending, lastSynced: m.lastSynced, seq }
    await writeStateFile(dir, { version: 1, seq, connectors, tables: Object.fromEntries(layouts) })
    finished = []
    errors = []
    history = []
    touched.clear()
  }

  return {
    name: 'files',
    capabilities: { modes: FILES_MODES },
    async load() {
      return {
        layouts: new Map(layouts),
        ...(saved ? { state: serializeState(saved.state) } : {}),
        pending,
        lastSynced: saved ? Date.parse(saved.lastSynced) : 0,
      }
    },
    async takenNames() {
      return [...layouts.values()].map((l) => l.name)
    },
    begin() {
      // A commit log has nothing to open: files start at their table's first rows.
    },
    async commit({ state }) {
      if (state) {
        pending = { ...state.pending }
        lastSynced = state.lastSynced
      }
      await commit(state ? parseState(state.state, `state of ${connectorId}`) : undefined)
      return false
    },
    async rollback() {
      for (const { part } of parts.values()) await part.abort()
      parts.clear()
      for (const f of finished) await rm(join(dir, f.path), { force: true })
      finished = []
      errors = []
      history = []
      touched.clear()
    },
    async createTable(layout) {
      layouts.set(layout.table, layout)
      touched.add(layout.table)
    },
    async alterTable({ after, changes }) {
      for (const change of changes) if (change.type === 'change_type') checkWidening(after, change.column, change.from, change.to)
      await finishFile(after.table) // a file holds one schema
      layouts.set(after.table, after)
      touched.add(after.table)
    },
    async saveLayout(layout) {
      layouts.set(layout.table, layout)
      touched.add(layout.table)
    },
    async insertHistory({ table, changes }) {
      const at = new Date().toISOString()
      for (const c of changes) history.push(historyEntry({ connector_id: connectorId, sync_id: syncId, table_name: table, ...historyColumns(c) }, at))
    },
    async write({ layout, op, batch, synced }) {
      await append(existing(layout), logBatch(layout, op, batch, synced))
    },
    async deleteMatching({ layout, column, batch, synced }) {
      // Logged for readers to apply (replay-log.ts); no row can hold a value of a column the table doesn't have.
      if (existing(layout).columns.some((c) => c.source === column)) await append(layout, logMatchingDelete(layout, column, batch, synced))
    },
    async applyTruncate({ layout, before, now }) {
      manifest.truncates.push({ table: layout.table, before, at: now, seq: seq + 1 })
    },
    async insertErrors({ errors: more }) {
      errors.push(...more)
    },
    async finishState(args) {
      pending = {}
      lastSynced = args.lastSynced
    },
    async recordSync(report) {
      manifest.report = report
      if (report.status === 'succeeded') {
        manifest.status = 'succeeded' // committed by the close's commit
        return
      }
      // The manifest keeps what earlier checkpoints committed (its seq is unchanged) and gains the report.
      manifest.status = report.status === 'stopped' ? 'stopped' : 'failed'
      await writeManifest(dir, manifest)
    },
    meter: (args) => mar.meter(args),
    recordMarThreshold: (args) => mar.recordThreshold(args),
  }
}
