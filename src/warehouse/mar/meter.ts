import { HyperLogLog } from '../../mar/hyperloglog.js'
import { joinKeys, type MarKeys } from '../../mar/key-hash.js'
import { KeySet } from '../../mar/key-set.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { MarMode, MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { marModeChanged } from './mar-mode-changed.js'
import type { ListedBucket, MarBucket, MarStorage } from './mar-storage.js'

/** Key blobs of a bucket beyond this many are merged into one when the bucket is next loaded. */
export const COMPACT_AT = 32

/** What a storage remembers of a bucket between batches; trusted only while `version` matches the stored one (a rollback puts that back). */
type Loaded = { version: number; keys?: KeySet; sketch?: HyperLogLog }
const memos = new WeakMap<MarStorage, Map<string, Loaded>>()
/**
 * Exact mode with `appendKeysAt`: the bucket of a connector, table and month this process metered
 * last, and its count then; its version is the memo's (see `meterKnown`).
 */
const written = new WeakMap<MarStorage, Map<string, { readonly id: MarBucket['id']; readonly rows: number }>>()

/**
 * Counts keys (exact mode) or merges a sketch (approximate mode) for a connector, table and
 * month, through `storage` inside the caller's transaction: the bucket is found or created,
 * its mode checked, its keys (or sketch) loaded once and then kept in memory while the stored
 * version matches, and only what is new is written back. See `MarStore.meter`.
 *
 * @example
 * ```ts
 * import { meter } from './meter.js'
 * import type { MarStorage } from './mar-storage.js'
 * declare const storage: MarStorage
 * const { added } = await meter(storage, 'shop', { table: 'orders', month: '2026-11', keys: new Uint32Array([0, 42]) })
 * ```
 */
export async function meter(storage: MarStorage, connectorId: string, args: MeterArgs): Promise<MeterResult> {
  let byBucket = memos.get(storage)
  if (!byBucket) memos.set(storage, (byBucket = new Map()))
  const known = args.sketch ? undefined : await meterKnown(storage, byBucket, connectorId, args)
  if (known) return known
  const mode: MarMode = args.sketch ? 'approximate' : 'exact'
  const bucket = await bucketOf(storage, connectorId, args.table, args.month, mode)
  const id = String(bucket.id)
  try {
    const result = args.sketch ? await meterSketch(storage, bucket, byBucket, id, args.sketch) : await meterKeys(storage, bucket, byBucket, id, args.keys ?? new Uint32Array(0))
    if (storage.appendKeysAt && !args.sketch) rememberWritten(storage, connectorId, args, bucket.id, result.total)
    return result
  } catch (error) {
    // The memo may hold keys that were never written: load them again next time.
    byBucket.delete(id)
    throw error
  }
}

/**
 * Exact mode in one round trip, when the storage has `appendKeysAt` and this process wrote the
 * bucket last: the new keys are found against the memo as it was written, and appended with the
 * count only if the bucket's version is still the one written — a rollback (which puts the version
 * back) or another writer since makes it refuse, and the memo is loaded again by the full path.
 * `undefined` sends the call down that path (nothing known, no new key, or refused).
 */
async function meterKnown(storage: MarStorage, byBucket: Map<string, Loaded>, connectorId: string, args: MeterArgs): Promise<MeterResult | undefined> {
  if (!storage.appendKeysAt) return undefined
  const key = writtenKey(connectorId, args)
  const bucket = written.get(storage)?.get(key)
  if (!bucket) return undefined
  const id = String(bucket.id)
  const state = byBucket.get(id)
  if (!state?.keys) return undefined
  const fresh = state.keys.addAll(args.keys ?? new Uint32Array(0))
  const added = fresh.length / 2
  // No new key: the full path checks the stored version before trusting the memo (a rollback since?).
  if (added === 0) return undefined
  let ok = false
  try {
    ok = await storage.appendKeysAt(bucket.id, state.version, fresh, bucket.rows + added)
  } finally {
    if (!ok) {
      // The memo now holds keys that were not written: loaded again by the full path.
      byBucket.delete(id)
      written.get(storage)?.delete(key)
    }
  }
  if (!ok) return undefined
  state.version++
  rememberWritten(storage, connectorId, args, bucket.id, bucket.rows + added)
  return { added, total: bucket.rows + added }
}

function writtenKey(connectorId: string, args: MeterArgs): string {
  return `${connectorId}\u0000${args.table}\u0000${args.month}`
}

function rememberWritten(storage: MarStorage, connectorId: string, args: MeterArgs, id: MarBucket['id'], rows: number): void {
  let map = written.get(storage)
  if (!map) written.set(storage, (map = new Map()))
  map.set(writtenKey(connectorId, args), { id, rows })
}

/** A bucket found or created for a meter; `created`: inserted by this call, in the caller's transaction, so it holds no keys or sketch yet. */
type FoundBucket = MarBucket & { readonly created?: true }

async function bucketOf(storage: MarStorage, connectorId: string, table: string, month: string, mode: MarMode): Promise<FoundBucket> {
  const found = await storage.findBucket(connectorId, table, month)
  if (found) {
    if (found.mode !== mode) throw marModeChanged({ connectorId, table, month, mode: found.mode, ...(storage.restartHint ? { restartHint: storage.restartHint } : {}) })
    return found
  }
  const id = await storage.insertBucket(connectorId, table, month, mode)
  // A new month began: keys and sketches of months before the previous one are no longer needed
  // (their counts stay). The previous month is kept so that a clock stepping back doesn't recount.
  await storage.prune?.(connectorId, monthBefore(month))
  return { id, mode, rows: 0, version: 0, created: true }
}

async function meterKeys(storage: MarStorage, b: FoundBucket, byBucket: Map<string, Loaded>, id: string, keys: MarKeys): Promise<MeterResult> {
  let state = byBucket.get(id)
  if (b.created) {
    // Inserted just now in this transaction: nothing to read (a memo under a reused id is stale).
    state = { version: 0, keys: new KeySet() }
    byBucket.set(id, state)
  } else if (!state?.keys || state.version !== b.version) {
    state = { version: b.version, keys: await loadKeys(storage, b) }
    byBucket.set(id, state)
  }
  const fresh = state.keys!.addAll(keys)
  const added = fresh.length / 2
  if (added === 0) return { added, total: b.rows }
  // A bucket created in this transaction is at version 0 for certain: keys and count in one statement.
  if (!(b.created && storage.appendKeysAt && (await storage.appendKeysAt(b.id, 0, fresh, added)))) {
    await storage.appendKeys(b.id, fresh)
    await storage.updateBucket(b.id, b.rows + added, null)
  }
  state.version = b.version + 1
  return { added, total: b.rows + added }
}

/** The month's keys of a bucket; merges many small blobs into one (inside the caller's transaction). */
async function loadKeys(storage: MarStorage, b: MarBucket): Promise<KeySet> {
  const blobs = await storage.readKeys(b.id)
  const set = new KeySet(b.rows)
  for (const blob of blobs) set.addAll(blob)
  if (blobs.length > COMPACT_AT) await storage.compactKeys?.(b.id, set.toKeys())
  return set
}

async function meterSketch(storage: MarStorage, b: FoundBucket, byBucket: Map<string, Loaded>, id: string, bytes: Uint8Array): Promise<MeterResult> {
  const delta = HyperLogLog.fromBytes(bytes)
  let state = byBucket.get(id)
  if (b.created || !state?.sketch || state.version !== b.version) {
    const stored = b.created ? null : await storage.readSketch(b.id)
    state = { version: b.version, sketch: stored ? HyperLogLog.fromBytes(stored) : new HyperLogLog(delta.p) }
    byBucket.set(id, state)
  }
  const total = Math.round(state.sketch!.merge(delta).estimate())
  await storage.updateBucket(b.id, total, state.sketch!.toBytes())
  state.version = b.version + 1
  return { added: Math.max(0, total - b.rows), total }
}

/** `'YYYY-MM'` of the month before `month`. */
function monthBefore(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7)
}

/** A merge reads the partitions' keys this many at most at a time (8 bytes each), in as few reads as that allows (`limits.readKeys`; the storage splits long id lists itself). */
const MERGE_READ_KEYS = 1 << 20

/**
 * Merges the MAR of other connector ids (a completed backfill's partitions) into `connectorId`'s,
 * through `storage` inside the caller's transaction, then deletes their buckets: exact mode
 * unions the key sets (a key metered by two partitions, or already by the connector, counts
 * once), approximate mode merges the HyperLogLog sketches. A partition bucket in another mode
 * than the connector's bucket of that table and month fails with `MAR_MODE_CHANGED`. Running it
 * again after it committed changes nothing (the partitions have no buckets left).
 *
 * The partitions' buckets are listed in one read, their keys read a batch of buckets at a time,
 * and each of the connector's buckets gets one append and one update: a handful of statements
 * for a backfill of 64 partitions, not several per partition.
 *
 * @example
 * ```ts
 * import { mergeMar } from './meter.js'
 * import type { MarStorage } from './mar-storage.js'
 * declare const storage: MarStorage
 * await mergeMar(storage, 'orders', ['orders#p0', 'orders#p1'])
 * ```
 */
export async function mergeMar(storage: MarStorage, connectorId: string, from: readonly string[], limits: { readonly readKeys?: number } = {}): Promise<void> {
  if (!storage.listBuckets || !storage.readKeysOf || !storage.deleteBuckets) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `this destination's MAR storage can't merge the MAR of partitions ${from.join(', ')} into connector ${connectorId}`, context: { connectorId } })
  }
  if (from.length === 0) return
  const parts = await storage.listBuckets(from)
  if (parts.length === 0) return
  // By table and month, in the order listed: each group merges into one bucket of the connector.
  const groups = new Map<string, ListedBucket[]>()
  for (const b of parts) {
    const key = `${b.table}\u0000${b.month}`
    const list = groups.get(key)
    if (list) list.push(b)
    else groups.set(key, [b])
  }
  const memo = memos.get(storage)
  for (const list of groups.values()) {
    const { table, month } = list[0]!
    const into = await bucketOf(storage, connectorId, table, month, list[0]!.mode)
    const other = list.find((b) => b.mode !== into.mode)
    if (other) throw marModeChanged({ connectorId, table, month, mode: into.mode, ...(storage.restartHint ? { restartHint: storage.restartHint } : {}) })
    if (into.mode === 'exact') await mergeKeys(storage, into, list, limits.readKeys ?? MERGE_READ_KEYS)
    else await mergeSketches(storage, into, list)
    // The connector's bucket changed under its memo.
    memo?.delete(String(into.id))
  }
  await storage.deleteBuckets(parts.map((b) => b.id))
  // The partitions' memos: their buckets are gone (an id a storage may reuse).
  for (const b of parts) memo?.delete(String(b.id))
}

async function mergeKeys(storage: MarStorage, into: FoundBucket, list: readonly ListedBucket[], readKeys: number): Promise<void> {
  const keys = into.created ? new KeySet() : await loadKeys(storage, into)
  let fresh = 0
  for (let at = 0; at < list.length; ) {
    // A batch: as many buckets as fit `readKeys` keys (at least one).
    let end = at + 1
    for (let n = list[at]!.rows; end < list.length && n + list[end]!.rows <= readKeys; end++) n += list[end]!.rows
    const batch = list.slice(at, end)
    at = end
    const blobs = await storage.readKeysOf!(batch.map((b) => b.id))
    const added: MarKeys[] = []
    let words = 0
    for (const b of batch) {
      for (const blob of blobs.get(String(b.id)) ?? []) {
        const a = keys.addAll(blob)
        if (a.length === 0) continue
        added.push(a)
        words += a.length
      }
    }
    if (words === 0) continue
    await storage.appendKeys(into.id, added.length === 1 ? added[0]! : joinKeys(added, words))
    fresh += words / 2
  }
  if (fresh > 0) await storage.updateBucket(into.id, into.rows + fresh, null)
}

async function mergeSketches(storage: MarStorage, into: FoundBucket, list: readonly ListedBucket[]): Promise<void> {
  const ours = into.created ? null : await storage.readSketch(into.id)
  let merged = ours ? HyperLogLog.fromBytes(ours) : undefined
  let changed = false
  for (const b of list) {
    const theirs = await storage.readSketch(b.id)
    if (!theirs) continue
    merged = merged ? merged.merge(HyperLogLog.fromBytes(theirs)) : HyperLogLog.fromBytes(theirs)
    changed = true
  }
  if (changed) await storage.updateBucket(into.id, Math.round(merged!.estimate()), merged!.toBytes())
}
