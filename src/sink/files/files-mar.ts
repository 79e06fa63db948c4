import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SluiceError } from '../../core/sluice-error.js'
import { HyperLogLog } from '../../mar/hyperloglog.js'
import type { MarKeys } from '../../mar/key-hash.js'
import { KeySet } from '../../mar/key-set.js'
import type { MarFilter, MarMode, MarUsage, MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { atomicWrite } from './atomic-write.js'
import type { Committed } from './commit-log.js'
import { MAR_DIR, type MarEntry, type MarThresholdEntry } from './mar-entry.js'

interface Bucket {
  readonly table: string
  readonly month: string
  readonly mode: MarMode
  rows: number
  keys?: KeySet
  sketch?: HyperLogLog
  /** Exact mode: keys new since the last commit. */
  fresh: MarKeys[]
  /** Metered since the last commit. */
  dirty: boolean
}

/**
 * The MAR of one sync on a files directory (see `MarStore`): `meter` counts against the month's
 * committed keys (loaded once per bucket from its segments) in memory; `prepare` writes a segment
 * per bucket metered since the last commit and returns the entries the manifest then commits;
 * `committed` forgets them once the manifest is durable. Nothing metered after the last commit
 * survives a failure or a crash, exactly like the rows it counts.
 */
export class FilesMar {
  readonly #dir: string
  readonly #connectorId: string
  readonly #syncId: string
  readonly #committed: Committed
  readonly #buckets = new Map<string, Bucket>()
  readonly #fired: Set<string>
  #thresholds: MarThresholdEntry[] = []
  #counter = 0

  constructor(dir: string, connectorId: string, syncId: string, committed: Committed) {
    this.#dir = dir
    this.#connectorId = connectorId
    this.#syncId = syncId
    this.#committed = committed
    this.#fired = new Set(
      committed.manifests.flatMap((m) => (m.connectorId === connectorId ? (m.marThresholds ?? []).map((t) => `${t.month}|${t.threshold}`) : [])),
    )
  }

  async meter(args: MeterArgs): Promise<MeterResult> {
    const b = await this.#bucket(args.table, args.month, args.sketch ? 'approximate' : 'exact')
    const before = b.rows
    if (args.sketch) {
      const delta = HyperLogLog.fromBytes(args.sketch)
      b.sketch ??= new HyperLogLog(delta.p)
      b.rows = Math.round(b.sketch.merge(delta).estimate())
      b.dirty = true
      return { added: Math.max(0, b.rows - before), total: b.rows }
    }
    const fresh = b.keys!.addAll(args.keys ?? new Uint32Array(0))
    if (fresh.length === 0) return { added: 0, total: b.rows }
    b.fresh.push(fresh)
    b.rows += fresh.length / 2
    b.dirty = true
    return { added: b.rows - before, total: b.rows }
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
    for (const b of this.#buckets.values()) {
      if (!b.dirty) continue
      if (entries.length === 0) await mkdir(join(this.#dir, MAR_DIR), { recursive: true })
      const path = `${MAR_DIR}/${this.#syncId}-${seq}-${++this.#counter}.${b.mode === 'exact' ? 'keys' : 'hll'}`
      const keys = b.mode === 'exact' ? concat(b.fresh) : undefined
      await atomicWrite(join(this.#dir, path), keys ? new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength) : b.sketch!.toBytes())
      entries.push({ table: b.table, month: b.month, mode: b.mode, rows: b.rows, seq, path, ...(keys ? { keys: keys.length / 2 } : {}) })
    }
    return { entries, thresholds: [...this.#thresholds] }
  }

  /** The manifest listing the prepared entries is durable: they are committed. */
  committed(): void {
    for (const b of this.#buckets.values()) {
      b.dirty = false
      b.fresh = []
    }
    this.#thresholds = []
  }

  async #bucket(table: string, month: string, mode: MarMode): Promise<Bucket> {
    const id = `${table}\u0000${month}`
    const known = this.#buckets.get(id)
    if (known) return checkMode(known, mode, this.#connectorId)
    const entries = this.#committed.manifests
      .flatMap((m) => (m.connectorId === this.#connectorId ? (m.mar ?? []) : []))
      .filter((e) => e.table === table && e.month === month)
      .sort((a, b) => a.seq - b.seq)
    const last = entries.at(-1)
    const b: Bucket = { table, month, mode: last?.mode ?? mode, rows: last?.rows ?? 0, fresh: [], dirty: false }
    checkMode(b, mode, this.#connectorId)
    if (mode === 'exact') {
      b.keys = new KeySet(b.rows)
      for (const e of entries) b.keys.addAll(asKeys(await readSegment(this.#dir, e)))
    } else if (last) {
      b.sketch = HyperLogLog.fromBytes(await readSegment(this.#dir, last))
    }
    this.#buckets.set(id, b)
    return b
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

function checkMode(b: Bucket, mode: MarMode, connectorId: string): Bucket {
  if (b.mode === mode) return b
  throw new SluiceError({
    code: 'MAR_MODE_CHANGED',
    message: `MAR of table ${b.table} (connector ${connectorId}) is counted in ${b.mode} mode for ${b.month}; switch mar.mode at the start of a month, or remove the month's entries from the manifests' "mar" lists to start the month over`,
    context: { connectorId, table: b.table, month: b.month, mode: b.mode },
  })
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

/** Segment bytes as keys: 32-bit words, little-endian as written (every platform Node runs on). */
function asKeys(bytes: Uint8Array): MarKeys {
  const words = new Uint32Array(bytes.byteLength >>> 2)
  new Uint8Array(words.buffer).set(bytes.subarray(0, words.byteLength))
  return words
}

function concat(parts: readonly MarKeys[]): MarKeys {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) (out.set(p, at), (at += p.length))
  return out
}
