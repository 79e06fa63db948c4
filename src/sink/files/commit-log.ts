import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ErrorRecord } from '../../core/error-record.js'
import type { State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { TableLayout } from '../layout/table-layout.js'
import type { SchemaHistoryEntry } from '../../contracts/sink.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { atomicWrite } from './atomic-write.js'
import { MAR_DIR, type MarEntry, type MarThresholdEntry } from './mar-entry.js'

/** One data file of the lake, as a manifest lists it (paths are relative to the sink's directory, `/`-separated). */
export interface PartEntry {
  readonly table: string
  readonly path: string
  readonly rows: number
  readonly bytes: number
  readonly format: string
  /** The file's columns: destination names and sluice types, system columns included. */
  readonly columns: readonly { readonly name: string; readonly type: string }[]
  /** Commit sequence number of the checkpoint that made it visible. */
  readonly seq: number
  /** Largest absolute value of each LONG column (decimal text): whether a later widening to DOUBLE would lose digits. */
  readonly longAbsMax?: Readonly<Record<string, string>>
}

/** A truncate (or the end of a replace-mode refresh) applied when a sync succeeded. */
export interface TruncateEntry {
  readonly table: string
  /** Rows whose `_sluice_synced` is before this are soft-deleted… */
  readonly before: string
  /** …with this write time. */
  readonly at: string
  readonly seq: number
}

/**
 * `_sluice/manifest-<syncId>.json`: everything a sync committed, rewritten atomically at each
 * checkpoint. A reader sees only the files a manifest lists, so never a partial file. It also
 * holds the state of its last checkpoint: the manifest is the commit point, and
 * `_sluice_state.json` a summary written after it (see {@link loadCommitted}).
 */
export interface Manifest {
  readonly version: 1
  readonly connectorId: string
  readonly syncId: string
  readonly startedAt: string
  status: 'running' | 'succeeded' | 'failed' | 'stopped'
  /** Commit sequence number of the latest commit of this manifest (global across syncs). */
  seq: number
  checkpoints: number
  state?: State
  pending: Record<string, string>
  lastSynced: string
  files: PartEntry[]
  truncates: TruncateEntry[]
  errors: ErrorRecord[]
  history: SchemaHistoryEntry[]
  /** Layouts of the tables this sync wrote, as of its latest commit. */
  tables: Record<string, TableLayout>
  /** The sync's report, once it ended (every sync ends with its manifest written, failed ones too). */
  report?: SyncReport
  /** MAR buckets this sync committed (metered syncs only), one entry per bucket and commit. */
  mar?: MarEntry[]
  /** MAR budget thresholds this sync marked as fired. */
  marThresholds?: MarThresholdEntry[]
}

/** `_sluice_state.json`: the latest committed state of each connector and every table layout. */
export interface StateFile {
  readonly version: 1
  seq: number
  connectors: Record<string, { state: State; pending: Record<string, string>; lastSynced: string; seq: number }>
  tables: Record<string, TableLayout>
}

/** Everything committed in a directory. */
export interface Committed {
  readonly seq: number
  readonly connectors: StateFile['connectors']
  readonly tables: Record<string, TableLayout>
  /** Every manifest, oldest commit first. */
  readonly manifests: readonly Manifest[]
}

export const META_DIR = '_sluice'
export const STATE_FILE = '_sluice_state.json'

export function manifestPath(dir: string, syncId: string): string {
  return join(dir, META_DIR, `manifest-${syncId}.json`)
}

/**
 * Reads what is committed: the state file, then every manifest. A manifest committed after the
 * state file was last written (a crash between the two) wins for its connector, so the state
 * always matches the files readers can see: exactly once, even for append tables.
 */
export async function loadCommitted(dir: string): Promise<Committed> {
  const stateFile = await readJson<StateFile>(join(dir, STATE_FILE))
  const manifests: Manifest[] = []
  let names: string[] = []
  try {
    names = await readdir(join(dir, META_DIR))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  for (const name of names) {
    if (!/^manifest-.+\.json$/.test(name)) continue
    const manifest = await readJson<Manifest>(join(dir, META_DIR, name))
    if (manifest) manifests.push(manifest)
  }
  manifests.sort((a, b) => a.seq - b.seq)
  const base = stateFile?.seq ?? 0
  const connectors = { ...(stateFile?.connectors ?? {}) }
  const tables = { ...(stateFile?.tables ?? {}) }
  let seq = base
  for (const m of manifests) {
    seq = Math.max(seq, m.seq)
    if (m.seq <= base) continue
    Object.assign(tables, m.tables)
    const known = connectors[m.connectorId]
    if (m.state !== undefined && (!known || known.seq < m.seq)) {
      connectors[m.connectorId] = { state: m.state, pending: m.pending, lastSynced: m.lastSynced, seq: m.seq }
    }
  }
  return { seq, connectors, tables, manifests }
}

/** Writes a manifest atomically (the commit point of a checkpoint). */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await mkdir(join(dir, META_DIR), { recursive: true })
  await atomicWrite(manifestPath(dir, manifest.syncId), `${JSON.stringify(manifest, null, 1)}\n`)
}

/** Writes the state file atomically. */
export async function writeStateFile(dir: string, state: StateFile): Promise<void> {
  await atomicWrite(join(dir, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`)
}

/**
 * Deletes what a crashed or failed sync left behind: `*.tmp` files, and data files and MAR
 * segments no manifest lists, so that even a reader that globs the table directories sees only
 * committed data.
 */
export async function removeOrphans(dir: string, committed: Committed): Promise<void> {
  const listed = new Set(committed.manifests.flatMap((m) => m.files.map((f) => f.path)))
  const tables = new Set(Object.values(committed.tables).map((t) => t.name))
  for (const m of committed.manifests) for (const f of m.files) tables.add(f.path.split('/')[0]!)
  for (const table of tables) {
    let names: string[]
    try {
      names = await readdir(join(dir, table))
    } catch {
      continue
    }
    for (const name of names) {
      if (!name.startsWith('part-') || listed.has(`${table}/${name}`)) continue
      await rm(join(dir, table, name), { force: true })
    }
  }
  for (const name of await readdir(join(dir, META_DIR)).catch(() => [] as string[])) {
    if (name.endsWith('.tmp')) await rm(join(dir, META_DIR, name), { force: true })
  }
  const segments = new Set(committed.manifests.flatMap((m) => (m.mar ?? []).map((e) => e.path)))
  for (const name of await readdir(join(dir, MAR_DIR)).catch(() => [] as string[])) {
    if (!segments.has(`${MAR_DIR}/${name}`)) await rm(join(dir, MAR_DIR, name), { force: true })
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SluiceError({ code: 'STATE_INVALID', message: `files: can't read ${path}: ${(error as Error).message}`, cause: error, context: { path } })
  }
  try {
    return JSON.parse(text) as T
  } catch (cause) {
    throw new SluiceError({ code: 'STATE_INVALID', message: `files: ${path} is not valid JSON; it was not written by sluice or was edited`, cause, context: { path } })
  }
}
