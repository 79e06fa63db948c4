import { mkdir, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Batch } from '../../core/batch.js'
import { baseType, type ColumnType } from '../../core/column-type.js'
import type { ErrorRecord } from '../../core/error-record.js'
import { matchColumn } from '../../core/match-column.js'
import type { RecordsMessage, SchemaChange, State } from '../../core/message.js'
import type { TableSpec, WriteMode } from '../../core/table-spec.js'
import { requireSupportedModes } from '../layout/supported-modes.js'
import type { MeterArgs, MeterResult } from '../../mar/mar-store.js'
import type { SyncReport } from '../../sync/sync-report.js'
import { DeferredTruncates } from '../layout/deferred-truncates.js'
import { addColumns, applySchemaChange, createTable, planTable, reconcile, widenStoredValue, type TableLayout } from '../layout/table-layout.js'
import type { AppliedSchemaChange, SchemaHistoryEntry, SinkMessage } from '../sink.js'
import { syncDirectory } from './atomic-write.js'
import { writeManifest, writeStateFile, type Committed, type Manifest, type PartEntry } from './commit-log.js'
import { FilesMar } from './files-mar.js'
import { logBatch, logMatchingDelete, logSchema } from './log-batch.js'
import { EXTENSIONS, startPart, type FileFormat, type PartWriter } from './part-writer.js'
import { historyColumns, historyEntry } from '../../warehouse/meta-rows.js'

/** The write modes a lake keeps: it is a log replayed to the latest row per key, so no SCD2 history. */
export const FILES_MODES: readonly WriteMode[] = ['upsert', 'append', 'replace']

/** When a data file is closed and a new one started. */
export interface Rotate {
  readonly rows: number
  readonly bytes: number
}

/**
 * One sync's work on a files directory: layouts, the open data file of each table, and the
 * commit protocol. A checkpoint closes the open files (fsync, rename into place), then commits
 * by rewriting this sync's manifest atomically (it lists the files and holds the state), then
 * updates `_sluice_state.json`: readers see a file only once its checkpoint committed.
 */
export class FilesRun {
  readonly #dir: string
  readonly #format: FileFormat
  readonly #rotate: Rotate
  readonly #connectorId: string
  readonly #syncId: string
  readonly #specs: Map<string, TableSpec>
  readonly #committed: Committed
  readonly #layouts: Map<string, TableLayout>
  /** Tables that exist in the lake (committed, or written in this run). */
  readonly #created = new Set<string>()
  readonly #declaredChecked = new Set<string>()
  readonly #parts = new Map<string, { part: PartWriter; layout: TableLayout }>()
  /** Files closed since the last commit. */
  #finished: Omit<PartEntry, 'seq'>[] = []
  #errors: ErrorRecord[] = []
  #history: SchemaHistoryEntry[] = []
  readonly #touched = new Set<string>()
  readonly #truncates: DeferredTruncates
  readonly #manifest: Manifest
  /** Largest absolute LONG value per table and column, in committed files and this run's writes. */
  readonly #longAbsMax = new Map<string, Map<string, bigint>>()
  /** The same for the open file of each table, for its manifest entry. */
  readonly #partLongAbsMax = new Map<string, Map<string, bigint>>()
  readonly #mar: FilesMar
  #seq: number
  #counter = 0
  #open = false
  #synced = ''

  constructor(dir: string, format: FileFormat, rotate: Rotate, connectorId: string, syncId: string, tables: readonly TableSpec[], committed: Committed) {
    this.#dir = dir
    this.#format = format
    this.#rotate = rotate
    this.#connectorId = connectorId
    this.#syncId = syncId
    this.#specs = new Map(tables.map((t) => [t.table, t]))
    this.#committed = committed
    this.#seq = committed.seq
    this.#mar = new FilesMar(dir, connectorId, syncId, committed)
    this.#layouts = new Map(Object.entries(committed.tables))
    for (const t of this.#layouts.keys()) this.#created.add(t)
    for (const m of committed.manifests) {
      for (const f of m.files) for (const [column, text] of Object.entries(f.longAbsMax ?? {})) this.#noteLong(this.#longAbsMax, f.table, column, BigInt(text))
    }
    const saved = committed.connectors[connectorId]
    this.#truncates = new DeferredTruncates(saved?.pending ?? {}, saved ? Date.parse(saved.lastSynced) : 0)
    for (const spec of tables) {
      if (!this.#layouts.has(spec.table)) this.#layouts.set(spec.table, planTable(spec, this.#takenNames()))
      if (spec.mode === 'replace') this.#truncates.replace(spec.table)
    }
    this.#manifest = {
      version: 1, connectorId, syncId, startedAt: new Date().toISOString(), status: 'running', seq: this.#seq, checkpoints: 0,
      ...(saved ? { state: saved.state } : {}),
      pending: this.#truncates.toJSON(), lastSynced: new Date(this.#truncates.current).toISOString(),
      files: [], truncates: [], errors: [], history: [], tables: {},
    }
  }

  async write(message: SinkMessage): Promise<AppliedSchemaChange[]> {
    this.#begin()
    if (message.kind === 'errors') {
      this.recordErrors(message.errors)
      return []
    }
    const table = message.table
    if (message.kind === 'truncate') {
      this.#truncates.truncate(table)
      this.#synced = new Date(this.#truncates.current).toISOString()
      return []
    }
    const matching = matchColumn(message)
    if (matching !== undefined) {
      // Finds rows, never creates a table or a column: logged for readers to apply (replay-log.ts).
      const layout = this.#layouts.get(table)
      if (layout && this.#created.has(table) && layout.columns.some((c) => c.source === matching)) {
        await this.#append(layout, logMatchingDelete(layout, matching, (message as RecordsMessage).batch, this.#synced))
      }
      return []
    }
    // A table's first `create_table` message (e.g. a child table from `flatten`) may set its key and mode.
    const announced = message.kind === 'schema' && message.change.type === 'create_table' ? { ...message.change.spec, table } : undefined
    if (announced && !this.#layouts.has(table)) requireSupportedModes('files', [announced], FILES_MODES)
    const before = this.#layouts.get(table) ?? planTable(announced ?? { table, ...(this.#specs.get(table) ?? {}) }, this.#takenNames())
    const declared = this.#declaredColumns(before)
    const { layout, changes } = message.kind === 'records' ? reconcile(declared.layout, message.batch) : applySchemaChange(declared.layout, message.change)
    for (const change of changes) if (change.type === 'change_type') this.#checkWidening(layout, change.column, change.from, change.to)
    const isNew = !this.#created.has(table)
    const applied: SchemaChange[] = isNew ? [createTable(layout)] : [...declared.changes, ...changes]
    this.#layouts.set(table, layout)
    if (applied.length > 0) {
      this.#created.add(table)
      this.#touched.add(table)
      await this.#finishPart(table) // a file holds one schema
      const at = new Date().toISOString()
      for (const c of applied) this.#history.push(historyEntry({ connector_id: this.#connectorId, sync_id: this.#syncId, table_name: table, ...historyColumns(c) }, at))
    }
    if (message.kind === 'records') await this.#append(layout, logBatch(layout, message.op, message.batch, this.#synced))
    return applied.map((change) => ({ table, change }))
  }

  /** Appends events to the table's open file (rotating it when full). */
  async #append(layout: TableLayout, events: Batch): Promise<void> {
    if (events.length === 0) return
    const table = layout.table
    this.#touched.add(table)
    const open = this.#parts.get(table) ?? (await this.#startPart(layout))
    this.#trackLongs(table, events)
    await open.part.append(events)
    if (open.part.rows >= this.#rotate.rows || open.part.bytes >= this.#rotate.bytes) await this.#finishPart(table)
  }

  recordErrors(errors: readonly ErrorRecord[]): void {
    this.#begin()
    this.#errors.push(...errors)
  }

  async checkpoint(state: State): Promise<void> {
    this.#begin()
    await this.#commit(state)
  }

  /** Counts MAR keys (or merges a sketch) in the open commit; see `FilesMar`. */
  meter(args: MeterArgs): Promise<MeterResult> {
    return this.#mar.meter(args)
  }

  /** Marks a MAR budget threshold as fired in the open commit; false when it already was. */
  recordMarThreshold(args: { readonly month: string; readonly threshold: number; readonly rows: number }): boolean {
    return this.#mar.recordThreshold(args)
  }

  /** On success: commits what is left and applies pending truncates; otherwise drops everything since the last checkpoint. */
  async close(succeeded: boolean, report: SyncReport): Promise<void> {
    if (!succeeded) {
      for (const { part } of this.#parts.values()) await part.abort()
      this.#parts.clear()
      for (const f of this.#finished) await rm(join(this.#dir, f.path), { force: true })
      this.#finished = []
      // The manifest keeps what earlier checkpoints committed (its seq is unchanged) and gains the report.
      this.#manifest.status = report.status === 'stopped' ? 'stopped' : 'failed'
      this.#manifest.report = report
      await writeManifest(this.#dir, this.#manifest)
      return
    }
    this.#begin()
    const at = new Date(this.#truncates.tick()).toISOString()
    const seq = this.#seq + 1
    for (const [table, before] of this.#truncates.entries()) {
      if (this.#created.has(table)) this.#manifest.truncates.push({ table, before, at, seq })
    }
    this.#truncates.clear()
    this.#manifest.status = 'succeeded'
    this.#manifest.report = report
    await this.#commit()
  }

  /**
   * Closes every open file, then commits them with the state: data files and MAR segments first
   * (each fsynced and renamed), then the manifest (the commit point), then the state file. The
   * manifest in memory changes only once its new version is durable, so a failed commit leaves
   * nothing of itself in the manifest `close` writes afterwards.
   */
  async #commit(state?: State): Promise<void> {
    for (const table of [...this.#parts.keys()]) await this.#finishPart(table)
    const dirs = new Set(this.#finished.map((f) => f.path.split('/')[0]!))
    for (const d of dirs) await syncDirectory(join(this.#dir, d))
    const seq = this.#seq + 1
    const mar = await this.#mar.prepare(seq)
    const m = this.#manifest
    const tables = { ...m.tables }
    for (const t of this.#touched) tables[t] = this.#layouts.get(t)!
    const next: Manifest = {
      ...m,
      ...(state !== undefined ? { state, checkpoints: m.checkpoints + 1 } : {}),
      seq,
      files: [...m.files, ...this.#finished.map((f) => ({ ...f, seq }))],
      errors: [...m.errors, ...this.#errors],
      history: [...m.history, ...this.#history],
      tables,
      pending: this.#truncates.toJSON(),
      lastSynced: new Date(this.#truncates.current).toISOString(),
      ...(mar.entries.length > 0 ? { mar: [...(m.mar ?? []), ...mar.entries] } : {}),
      ...(mar.thresholds.length > 0 ? { marThresholds: [...(m.marThresholds ?? []), ...mar.thresholds] } : {}),
    }
    await writeManifest(this.#dir, next)
    Object.assign(m, next)
    this.#seq = seq
    this.#mar.committed()
    const connectors = { ...this.#committed.connectors }
    if (m.state !== undefined) connectors[this.#connectorId] = { state: m.state, pending: m.pending, lastSynced: m.lastSynced, seq }
    const layouts: Record<string, TableLayout> = {}
    for (const [t, layout] of this.#layouts) if (this.#created.has(t)) layouts[t] = layout
    await writeStateFile(this.#dir, { version: 1, seq, connectors, tables: layouts })
    this.#finished = []
    this.#errors = []
    this.#history = []
    this.#touched.clear()
    this.#open = false
  }

  async #startPart(layout: TableLayout): Promise<{ part: PartWriter; layout: TableLayout }> {
    await mkdir(join(this.#dir, layout.name), { recursive: true })
    const name = `part-${this.#syncId}-${String(++this.#counter).padStart(5, '0')}.${EXTENSIONS[this.#format]}`
    const part = await startPart(join(this.#dir, layout.name, name), this.#format, logSchema(layout))
    const open = { part, layout }
    this.#parts.set(layout.table, open)
    return open
  }

  async #finishPart(table: string): Promise<void> {
    const open = this.#parts.get(table)
    if (!open) return
    this.#parts.delete(table)
    const { part, layout } = open
    if (part.rows === 0) return part.abort()
    const bytes = await part.finish()
    const path = `${layout.name}/${basename(part.path)}`
    const longs = this.#partLongAbsMax.get(table)
    this.#partLongAbsMax.delete(table)
    const longAbsMax = longs && longs.size > 0 ? Object.fromEntries([...longs].map(([c, v]) => [c, v.toString()])) : undefined
    this.#finished.push({ table, path, rows: part.rows, bytes, format: this.#format, columns: logSchema(layout), ...(longAbsMax ? { longAbsMax } : {}) })
  }

  /**
   * The lake keeps old files as written, so a widened column's old values are converted when
   * read; a LONG beyond 2^53 has no exact DOUBLE, so that widening is refused here, as the SQL
   * sinks refuse to migrate it.
   */
  #checkWidening(layout: TableLayout, source: string, from: ColumnType, to: ColumnType): void {
    if (baseType(from) !== 'LONG' || (baseType(to) !== 'DOUBLE' && baseType(to) !== 'FLOAT')) return
    const name = layout.columns.find((c) => c.source === source)?.name
    const max = name === undefined ? undefined : this.#longAbsMax.get(layout.table)?.get(name)
    if (max !== undefined && max > 9007199254740991n) widenStoredValue(max, from, to, { table: layout.table, column: source })
  }

  /** Notes the largest absolute value of each LONG column of an event batch. */
  #trackLongs(table: string, events: Batch): void {
    for (const column of events.columns) {
      if (column.type !== 'LONG') continue
      const values = column.values as BigInt64Array
      let max = 0n
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!
        const abs = v < 0n ? -v : v
        if (abs > max) max = abs
      }
      this.#noteLong(this.#longAbsMax, table, column.name, max)
      this.#noteLong(this.#partLongAbsMax, table, column.name, max)
    }
  }

  #noteLong(into: Map<string, Map<string, bigint>>, table: string, column: string, value: bigint): void {
    let byColumn = into.get(table)
    if (!byColumn) into.set(table, (byColumn = new Map()))
    if (value > (byColumn.get(column) ?? -1n)) byColumn.set(column, value)
  }

  /** On the first write of a run to an existing table, the columns its spec declares that the table lacks. */
  #declaredColumns(layout: TableLayout): { layout: TableLayout; changes: SchemaChange[] } {
    const table = layout.table
    if (this.#declaredChecked.has(table) || !this.#created.has(table)) return { layout, changes: [] }
    this.#declaredChecked.add(table)
    return addColumns(layout, Object.entries(this.#specs.get(table)?.columns ?? {}))
  }

  #takenNames(): Set<string> {
    return new Set([...this.#layouts.values()].map((l) => l.name))
  }

  #begin(): void {
    if (this.#open) return
    this.#open = true
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }
}
