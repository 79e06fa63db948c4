import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SluiceError } from '../../core/sluice-error.js'
import type { MarKeys } from '../../mar/key-hash.js'
import type { MarFilter, MarMode, MarUsage, MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { keysFromBytes, keysToBytes } from '../../warehouse/mar/key-blob.js'
import type { BucketId, MarStorage } from '../../warehouse/mar/mar-storage.js'
import { meter } from '../../warehouse/mar/meter.js'
import { atomicWrite } from './atomic-write.js'
import type { Committed } from './commit-log.js'
import { MAR_DIR, type MarEntry, type MarThresholdEntry } from './mar-entry.js'

/** A bucket as the open commit sees it: the count and sketch so far, the keys new since the last commit. */
interface Pending {
  readonly table: string
  readonly month: string
  readonly mode: MarMode
  rows: number
  version: number
  /** Approximate mode: the merged sketch, once metered in this sync. */
  sketch?: Uint8Array
  /** Exact mode: keys new since the last commit. */
  fresh: MarKeys[]
  /** Metered since the last commit. */
  dirty: boolean
}

/**
 * The MAR of one sync on a files directory (see `MarStore`): `meter` is the shared one
 * (`warehouse/mar/meter.ts`) over this log's storage — buckets as the manifests left them plus
 * what this sync metered since its last commit; `prepare` writes a segment per bucket metered
 * since the last commit and returns the entries the manifest then commits; `committed` forgets
 * them once the manifest is durable. Nothing metered after the last commit survives a failure
 * or a crash, exactly like the rows it counts.
 */
export class FilesMar {
  readonly #dir: string
  readonly #connectorId: string
  readonly #syncId: string
  /** This connector's committed entries: the manifests' at open, then this sync's own commits. */
  readonly #entries: MarEntry[]
  readonly #pending = new Map<string, Pending>()
  readonly #fired: Set<string>
  readonly #storage: MarStorage
  #prepared: MarEntry[] = []
  #thresholds: MarThresholdEntry[] = []
  #counter = 0

  constructor(dir: string, connectorId: string, syncId: string, committed: Committed) {
    this.#dir = dir
    this.#connectorId = connectorId
    this.#syncId = syncId
    this.#entries = committed.manifests.flatMap((m) => (m.connectorId === connectorId ? (m.mar ?? []) : []))
    this.#fired = new Set(
      committed.manifests.flatMap((m) => (m.connectorId === connectorId ? (m.marThresholds ?? []).map((t) => `${t.month}|${t.threshold}`) : [])),
    )
    this.#storage = this.#logStorage()
  }

  meter(args: MeterArgs): Promise<MeterResult> {
    return meter(this.#storage, this.#connectorId, args)
  }

  /** Marks a threshold as fired in this commit; false when it already fired (committed or pending). */
  recordThreshold(args: { readonly month: string; readonly threshold: number; readonly rows: number }): boolean {
    const id = `${args.month}|${args.threshold}`
    if (this.#fired.has(id)) return false
    this.#fired.add(id)
    this.#thresholds.push({ month: args.month, threshold: args.threshold, rows: args.rows, firedAt: new Date().toISOString() })
    return true
  }

  /** Makes the segments of commit `seq` durable (each fsynced and renamed) and returns what the manifest must list. */
  async prepare(seq: number): Promise<{ entries: MarEntry[]; thresholds: MarThresholdEntry[] }> {
    const entries: MarEntry[] = []
    for (const b of this.#pending.values()) {
      if (!b.dirty) continue
      if (entries.length === 0) await mkdir(join(this.#dir, MAR_DIR), { recursive: true })
      const path = `${MAR_DIR}/${this.#syncId}-${seq}-${++this.#counter}.${b.mode === 'exact' ? 'keys' : 'hll'}`
      const keys = b.mode === 'exact' ? concat(b.fresh) : undefined
      await atomicWrite(join(this.#dir, path), keys ? keysToBytes(keys) : b.sketch!)
      entries.push({ table: b.table, month: b.month, mode: b.mode, rows: b.rows, seq, path, ...(keys ? { keys: keys.length / 2 } : {}) })
    }
    this.#prepared = entries
    return { entries, thresholds: [...this.#thresholds] }
  }

  /** The manifest listing the prepared entries is durable: they are committed. */
  committed(): void {
    this.#entries.push(...this.#prepared)
    this.#prepared = []
    for (const b of this.#pending.values()) {
      b.dirty = false
      b.fresh = []
    }
    this.#thresholds = []
  }

  /** The committed entries of a bucket, oldest first. */
  #entriesOf(table: string, month: string): MarEntry[] {
    return this.#entries.filter((e) => e.table === table && e.month === month).sort((a, b) => a.seq - b.seq)
  }

  /**
   * The log as a {@link MarStorage}. Segments are immutable once a manifest lists them, so it
   * neither compacts nor prunes (`compactKeys`, `prune` absent), and a sync that fails drops its
   * pending buckets with it, so versions only ever grow.
   */
  #logStorage(): MarStorage {
    const pending = (id: BucketId): Pending => this.#pending.get(String(id))!
    return {
      restartHint: `remove the month's entries from the manifests' "mar" lists`,
      findBucket: async (_connectorId, table, month) => {
        const id = `${table}\u0000${month}`
        let b = this.#pending.get(id)
        if (!b) {
          const last = this.#entriesOf(table, month).at(-1)
          if (!last) return undefined
          this.#pending.set(id, (b = { table, month, mode: last.mode, rows: last.rows, version: 0, fresh: [], dirty: false }))
        }
        return { id, mode: b.mode, rows: b.rows, version: b.version }
      },
      insertBucket: async (_connectorId, table, month, mode) => {
        const id = `${table}\u0000${month}`
        this.#pending.set(id, { table, month, mode, rows: 0, version: 0, fresh: [], dirty: false })
        return id
      },
      readKeys: async (id) => {
        const b = pending(id)
        const stored = await Promise.all(this.#entriesOf(b.table, b.month).map(async (e) => keysFromBytes(await readSegment(this.#dir, e))))
        return [...stored, ...b.fresh]
      },
      appendKeys: async (id, keys) => void pending(id).fresh.push(keys),
      readSketch: async (id) => {
        const b = pending(id)
        const last = this.#entriesOf(b.table, b.month).at(-1)
        return b.sketch ?? (last ? readSegment(this.#dir, last) : null)
      },
      updateBucket: async (id, rows, sketch) => {
        const b = pending(id)
        b.rows = rows
        b.version++
        if (sketch) b.sketch = sketch
        b.dirty = true
      },
      markThreshold: async (_connectorId, month, threshold, rows) => this.recordThreshold({ month, threshold, rows }),
    }
  }
}

/**
 * The committed MAR of a files directory: per connector, table and month the count of its latest
 * commit, ordered by month, connector and table. Reads only manifests, never segments.
 */
export function readFilesMar(committed: Committed, filter: MarFilter): MarUsage[] {
  const latest = new Map<string, { connectorId: string; entry: MarEntry }>()
  for (const m of committed.manifests) {
    if (filter.connectorId !== undefined && m.connectorId !== filter.connectorId) continue
    for (const e of m.mar ?? []) {
      if ((filter.month !== undefined && e.month !== filter.month) || (filter.table !== undefined && e.table !== filter.table)) continue
      const id = `${e.month}\u0000${m.connectorId}\u0000${e.table}`
      const seen = latest.get(id)
      if (!seen || seen.entry.seq < e.seq) latest.set(id, { connectorId: m.connectorId, entry: e })
    }
  }
  return [...latest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { connectorId, entry }]) => ({ connectorId, table: entry.table, month: entry.month, rows: entry.rows, approximate: entry.mode === 'approximate' }))
}

/** A segment's bytes; a missing or damaged one is STATE_INVALID. */
async function readSegment(dir: string, entry: MarEntry): Promise<Uint8Array> {
  let bytes: Buffer
  try {
    bytes = await readFile(join(dir, entry.path))
  } catch (cause) {
    throw new SluiceError({ code: 'STATE_INVALID', message: `files: MAR segment ${entry.path} a manifest lists can't be read: ${(cause as Error).message}`, cause, context: { path: entry.path } })
  }
  if (entry.keys !== undefined && bytes.byteLength !== entry.keys * 8) {
    throw new SluiceError({
      code: 'STATE_INVALID',
      message: `files: MAR segment ${entry.path} holds ${bytes.byteLength} bytes, its manifest says ${entry.keys} keys (${entry.keys * 8} bytes); it was truncated or edited`,
      context: { path: entry.path },
    })
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function concat(parts: readonly MarKeys[]): MarKeys {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) (out.set(p, at), (at += p.length))
  return out
}
