import { writableCheck } from '../writable-check.js'
import { mkdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ConnectorSettings } from '../../contracts/connector-store.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { Sink, TableDescription } from '../../contracts/sink.js'
import { atomicWrite } from './atomic-write.js'
import { loadCommitted, META_DIR, removeOrphans, writeStateFile } from './commit-log.js'
import { filesLeases } from './files-lease.js'
import { readFilesMar } from './files-mar.js'
import { FILES_MODES, filesDriver, type FilesDriver, type Rotate } from './files-driver.js'
import { describeLayout, engineWriter } from '../../warehouse/engine-sink.js'
import type { FileFormat } from './part-writer.js'
import { replayTable } from './replay-log.js'
import { knownOptions } from '../../core/check-option.js'
import { requireSupportedModes } from '../layout/supported-modes.js'

/** Options of {@link files}. */
export interface FilesOptions {
  /** The lake's directory; created if missing. One writer at a time per directory. */
  readonly dir: string
  readonly format: FileFormat
  /** Start a new file of a table after this many rows or bytes (default 1_000_000 rows, 128 MiB). */
  readonly rotate?: { readonly rows?: number; readonly bytes?: number }
}

const DEFAULT_ROTATE: Rotate = { rows: 1_000_000, bytes: 128 * 2 ** 20 } // rows, bytes

/**
 * A data lake in a directory: one folder per table holding Parquet, Arrow IPC, NDJSON or CSV
 * files, rotated by rows or bytes. The lake is a log: every upsert, update and delete is an
 * event row with `_sluice_synced` (write time), `_sluice_deleted`, `_sluice_op` (`upsert`,
 * `update`, `delete`, `delete_matching`) and `_sluice_columns` (for an update, the JSON list of
 * columns it sets; for `delete_matching`, the one column it matches on); readers take the latest
 * event per key (by `_sluice_synced`), as `read()` does. A `delete_matching` event (flatten's
 * child tables: a `match: 'column'` delete) soft-deletes every row written before it, in log
 * order, whose value in that column equals the event's. Files are
 * written as `*.tmp`, fsynced and renamed; a checkpoint commits them by rewriting
 * `_sluice/manifest-<syncId>.json` (files, rows, schema, state, truncates) atomically, then
 * `_sluice_state.json`. Readers must read only files a manifest lists: nothing else is complete.
 * Use it to land data as files for a query engine or a lake; it meters MAR (`sync({ mar })`,
 * `marReport`, budgets) and backs `createConnector` (leases, pause, history) like the SQL sinks.
 *
 * MAR commits with the data: the keys (exact mode) or sketch (approximate mode) a commit adds go
 * to a segment in `_sluice/mar/`, fsynced and renamed before the manifest, which lists it with
 * the month's count, so a crash never leaves a count ahead of or behind the data. Leases live in
 * `_sluice/leases/<name>/<n>.json`, one version per change, each created by a hard link that
 * fails if another process created that version first: one sync of a connector at a time across
 * processes (the directory needs a file system with hard links). Pause flags are in
 * `_sluice/connector-<id>.json`, history in the manifests.
 *
 * @example
 * ```ts
 * import { fromIterable, marReport, sync } from 'sluice'
 * import { files } from 'sluice/files'
 * const lake = files({ dir: 'lake', format: 'parquet' })
 * await sync({ source: fromIterable('users', [{ id: 1 }], { primaryKey: ['id'] }), destination: lake, mar: {} })
 * const usage = await marReport({ destination: lake })
 * ```
 */
export function files(options: FilesOptions): Sink {
  knownOptions(options, { dir: true, format: true, rotate: true }, 'files')
  const { dir, format, rotate } = check(options)
  let driver: FilesDriver | undefined
  // The warehouse engine runs the sync; the lake's commit log is its driver (files-driver.ts).
  const writer = engineWriter('files', async ({ connectorId, syncId, tables }) => {
    // Refused before the directory is created (the engine checks again, with the same answer).
    requireSupportedModes('files', tables, FILES_MODES)
    try {
      await mkdir(dir, { recursive: true })
    } catch (cause) {
      throw new SluiceError({ code: 'DESTINATION_UNAVAILABLE', message: `files: can't create ${dir}: ${(cause as Error).message}`, cause, context: { dir } })
    }
    const committed = await loadCommitted(dir)
    await removeOrphans(dir, committed)
    const started = (driver = filesDriver({ dir, format, rotate, connectorId, syncId, committed }))
    return { driver: started, release: () => void (driver = undefined) }
  })
  /** The open sync's driver, its transaction begun: MAR counts commit with its next commit. */
  const inSync = async <T>(work: (d: FilesDriver) => Promise<T> | T): Promise<T> => {
    const run = writer.run()
    const d = driver!
    return run.inTransaction(async () => work(d))
  }

  return {
    name: 'files',
    check: () => writableCheck({ name: 'files: directory', path: dir, kind: 'directory' }),
    ...writer.methods,
    async read({ table }) {
      return replayTable(dir, await loadCommitted(dir), table)
    },
    async readErrors() {
      return (await loadCommitted(dir)).manifests.flatMap((m) => m.errors)
    },
    async schemaHistory() {
      return (await loadCommitted(dir)).manifests.flatMap((m) => m.history)
    },
    async describe() {
      const { tables } = await loadCommitted(dir)
      return Object.values(tables).map((l): TableDescription => describeLayout(l))
    },
    async history({ connectorId, limit = 20 }) {
      const reports = (await loadCommitted(dir)).manifests.flatMap((m) => (m.connectorId === connectorId && m.report ? [m.report] : []))
      return reports.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0)).slice(0, limit)
    },
    async loadConnector({ connectorId }) {
      return (await readJsonFile<ConnectorSettings>(controlPath(dir, connectorId))) ?? (await readJsonFile<Record<string, ConnectorSettings>>(join(dir, META_DIR, LEGACY_CONTROLS)))?.[connectorId]
    },
    async saveConnector({ connectorId, paused }) {
      await mkdir(join(dir, META_DIR), { recursive: true })
      const settings: ConnectorSettings = { paused, updatedAt: new Date().toISOString() }
      await atomicWrite(controlPath(dir, connectorId), `${JSON.stringify(settings)}\n`)
    },
    meter: (args) => inSync((d) => d.meter(args)),
    recordMarThreshold: (args) => inSync((d) => d.recordMarThreshold(args)),
    async readMar(filter) {
      return readFilesMar(await loadCommitted(dir), filter)
    },
    ...filesLeases(dir),
    async resetState({ connectorId }) {
      const committed = await loadCommitted(dir)
      const { [connectorId]: _removed, ...connectors } = committed.connectors
      // seq = the latest commit, so no manifest brings the removed state back.
      await writeStateFile(dir, { version: 1, seq: committed.seq, connectors, tables: committed.tables })
    },
  }
}

/**
 * A connector's pause flag: `_sluice/connector-<id>.json`, one file per connector, so two
 * processes pausing different connectors never overwrite each other's flag.
 */
function controlPath(dir: string, connectorId: string): string {
  return join(dir, META_DIR, `connector-${encodeURIComponent(connectorId).replace(/\*/g, '%2A')}.json`)
}

/** Where earlier versions kept every pause flag in one file; still read when a connector has no file of its own. */
const LEGACY_CONTROLS = 'connectors.json'

async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SluiceError({ code: 'STATE_INVALID', message: `files: can't read ${path}: ${(error as Error).message}`, cause: error, context: { path } })
  }
}

function check(options: FilesOptions): { dir: string; format: FileFormat; rotate: Rotate } {
  const fail = (message: string): never => {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `files: ${message}` })
  }
  if (typeof options?.dir !== 'string' || options.dir.trim() === '') fail(`dir must be a directory path, got ${JSON.stringify(options?.dir)}`)
  if (!['parquet', 'arrow', 'ndjson', 'csv'].includes(options.format)) fail(`format must be parquet, arrow, ndjson or csv, got ${JSON.stringify(options.format)}`)
  const rotate = { ...DEFAULT_ROTATE }
  for (const key of ['rows', 'bytes'] as const) {
    const value = options.rotate?.[key]
    if (value === undefined) continue
    if (!Number.isInteger(value) || value < 1) fail(`rotate.${key} must be a positive integer, got ${String(value)}`)
    rotate[key] = value
  }
  return { dir: resolve(options.dir), format: options.format, rotate }
}
