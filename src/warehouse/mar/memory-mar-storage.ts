import type { MarThresholdFired } from '../../contracts/ops-reader.js'
import type { MarKeys } from '../../mar/key-hash.js'
import type { MarFilter, MarMode, MarUsage } from '../../contracts/mar-store.js'
import type { ListedBucket, MarStorage } from './mar-storage.js'

interface Stored {
  readonly connectorId: string
  readonly table: string
  readonly month: string
  readonly mode: MarMode
  rows: number
  version: number
  /** Exact mode: the month's keys as appended (or compacted). */
  segments: MarKeys[]
  sketch: Uint8Array | null
}

/**
 * {@link MarStorage} over maps, for the memory sink: every change registers its undo step with
 * the sink's transaction, so a rollback puts the buckets (and their versions) back.
 *
 * @example
 * ```ts
 * import { MemoryMarStorage } from './memory-mar-storage.js'
 * const storage = new MemoryMarStorage((undo) => undefined)
 * ```
 */
export class MemoryMarStorage implements MarStorage {
  readonly #onUndo: (step: () => void) => void
  readonly #buckets = new Map<string, Stored>()
  readonly #thresholds = new Map<string, MarThresholdFired>()

  constructor(onUndo: (step: () => void) => void) {
    this.#onUndo = onUndo
  }

  async findBucket(connectorId: string, table: string, month: string) {
    const id = JSON.stringify([connectorId, table, month])
    const b = this.#buckets.get(id)
    return b && { id, mode: b.mode, rows: b.rows, version: b.version }
  }

  async insertBucket(connectorId: string, table: string, month: string, mode: MarMode) {
    const id = JSON.stringify([connectorId, table, month])
    this.#buckets.set(id, { connectorId, table, month, mode, rows: 0, version: 0, segments: [], sketch: null })
    this.#onUndo(() => this.#buckets.delete(id))
    return id
  }

  async readKeys(bucket: string | number | bigint) {
    return this.#get(bucket).segments
  }

  async appendKeys(bucket: string | number | bigint, keys: MarKeys) {
    const b = this.#get(bucket)
    b.segments.push(keys)
    this.#onUndo(() => void b.segments.pop())
  }

  async compactKeys(bucket: string | number | bigint, keys: MarKeys) {
    const b = this.#get(bucket)
    const before = b.segments
    b.segments = [keys]
    this.#onUndo(() => void (b.segments = before))
  }

  async readSketch(bucket: string | number | bigint) {
    return this.#get(bucket).sketch
  }

  async updateBucket(bucket: string | number | bigint, rows: number, sketch: Uint8Array | null) {
    const b = this.#get(bucket)
    const before = { rows: b.rows, version: b.version, sketch: b.sketch }
    b.rows = rows
    b.version++
    if (sketch) b.sketch = sketch
    this.#onUndo(() => Object.assign(b, before))
  }

  async prune(connectorId: string, month: string) {
    for (const b of this.#buckets.values()) {
      if (b.connectorId !== connectorId || b.month >= month || (b.segments.length === 0 && !b.sketch)) continue
      const before = { segments: b.segments, sketch: b.sketch }
      b.segments = []
      b.sketch = null
      this.#onUndo(() => Object.assign(b, before))
    }
  }

  async listBuckets(connectorIds: readonly string[]) {
    const wanted = new Set(connectorIds)
    const out: ListedBucket[] = []
    for (const [id, b] of this.#buckets) if (wanted.has(b.connectorId)) out.push({ id, connectorId: b.connectorId, table: b.table, month: b.month, mode: b.mode, rows: b.rows, version: b.version })
    return out
  }

  async readKeysOf(buckets: readonly (string | number | bigint)[]) {
    const out = new Map<string, readonly MarKeys[]>()
    for (const bucket of buckets) {
      const b = this.#buckets.get(String(bucket))
      if (b) out.set(String(bucket), b.segments)
    }
    return out
  }

  async deleteBuckets(buckets: readonly (string | number | bigint)[]) {
    for (const bucket of buckets) {
      const id = String(bucket)
      const b = this.#buckets.get(id)
      if (!b) continue
      this.#buckets.delete(id)
      this.#onUndo(() => this.#buckets.set(id, b))
    }
  }

  async markThreshold(connectorId: string, month: string, threshold: number, rows: number) {
    const id = JSON.stringify([connectorId, month, threshold])
    if (this.#thresholds.has(id)) return false
    this.#thresholds.set(id, { connectorId, month, threshold, rows, firedAt: new Date().toISOString() })
    this.#onUndo(() => this.#thresholds.delete(id))
    return true
  }

  /** Thresholds fired, matching the filter, by month and threshold. */
  thresholds({ connectorId, month }: MarFilter): MarThresholdFired[] {
    return [...this.#thresholds.values()]
      .filter((t) => (connectorId === undefined || t.connectorId === connectorId) && (month === undefined || t.month === month))
      .sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : a.threshold - b.threshold))
  }

  /** Counts matching the filter, ordered by month, connector and table. */
  usage({ connectorId, month, table }: MarFilter): MarUsage[] {
    const out: MarUsage[] = []
    for (const b of this.#buckets.values()) {
      if ((connectorId !== undefined && b.connectorId !== connectorId) || (month !== undefined && b.month !== month) || (table !== undefined && b.table !== table)) continue
      out.push({ connectorId: b.connectorId, table: b.table, month: b.month, rows: b.rows, approximate: b.mode === 'approximate' })
    }
    const order = (u: MarUsage) => `${u.month}\u0000${u.connectorId}\u0000${u.table}`
    return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
  }

  #get(bucket: string | number | bigint): Stored {
    return this.#buckets.get(String(bucket))!
  }
}
