import type { MarKeys } from '../../mar/key-hash.js'
import type { MarMode } from '../../contracts/mar-store.js'

/** A bucket's id in its storage: a row id (SQLite, Postgres, DuckDB) or a key (memory, files). */
export type BucketId = number | bigint | string

/** A MAR bucket (connector, table, month) as stored: its count and the version bumped at every write. */
export interface MarBucket {
  readonly id: BucketId
  readonly mode: MarMode
  readonly rows: number
  readonly version: number
}

/**
 * A bucket with where it belongs, as {@link MarStorage.listBuckets} lists them.
 *
 * @example
 * ```ts
 * import type { ListedBucket } from './mar-storage.js'
 * const b: ListedBucket = { id: 7, connectorId: 'orders#p0', table: 'orders', month: '2026-12', mode: 'exact', rows: 120, version: 4 }
 * ```
 */
export interface ListedBucket extends MarBucket {
  readonly connectorId: string
  readonly table: string
  readonly month: string
}

/**
 * Where a destination keeps MAR buckets, inside the sync's open transaction: the few reads and
 * writes {@link meter} is made of. One SQL implementation serves SQLite, Postgres and DuckDB
 * (`sql-mar-storage.ts`); memory keeps maps with the sink's undo log; the files lake keeps the
 * buckets of its open commit (`files-mar.ts`). A storage must bump `version` by exactly one at
 * every {@link MarStorage.updateBucket}, and a rollback must put it back: that is what tells
 * {@link meter} its memo of loaded keys is stale. `listBuckets`, `readKeysOf` and `deleteBuckets`
 * serve `mergeMar` (a fleet's completed backfill).
 *
 * @example
 * ```ts
 * import type { MarStorage } from './mar-storage.js'
 * declare const storage: MarStorage
 * const bucket = await storage.findBucket('shop', 'orders', '2026-11')
 * ```
 */
export interface MarStorage {
  findBucket(connectorId: string, table: string, month: string): Promise<MarBucket | undefined>
  /** Creates an empty bucket (rows 0, version 0) and returns its id. */
  insertBucket(connectorId: string, table: string, month: string, mode: MarMode): Promise<BucketId>
  /** Exact mode: the bucket's key blobs, oldest first. */
  readKeys(bucket: BucketId): Promise<readonly MarKeys[]>
  /** Exact mode: appends a blob of keys new to the bucket. */
  appendKeys(bucket: BucketId, keys: MarKeys): Promise<void>
  /** Exact mode: replaces every blob of the bucket with one. Absent where blobs are immutable (the files lake's segments). */
  compactKeys?(bucket: BucketId, keys: MarKeys): Promise<void>
  /** Approximate mode: the bucket's HyperLogLog bytes, null before the first merge. */
  readSketch(bucket: BucketId): Promise<Uint8Array | null>
  /** Sets the count (and the sketch, when given) and bumps the version by one. */
  updateBucket(bucket: BucketId, rows: number, sketch: Uint8Array | null): Promise<void>
  /**
   * Exact mode, one round trip: `appendKeys` and `updateBucket(rows)` together, only if the
   * bucket's version is still `version` (atomically); false when it isn't (or the bucket is gone),
   * and then nothing was written. Absent where each is its own call anyway.
   */
  appendKeysAt?(bucket: BucketId, version: number, keys: MarKeys, rows: number): Promise<boolean>
  /** Drops keys and sketches of the connector's months before `month` (their counts stay). Absent where nothing can be dropped. */
  prune?(connectorId: string, month: string): Promise<void>
  /**
   * Every bucket of these connectors (a completed backfill's partitions, whose counts merge into
   * their connector's), in one read. Absent where a fleet can't share the destination; with it come
   * `readKeysOf` and `deleteBuckets`.
   */
  listBuckets?(connectorIds: readonly string[]): Promise<readonly ListedBucket[]>
  /** Exact mode: the key blobs of these buckets, in one read: by `String(id)`, each bucket's oldest first. */
  readKeysOf?(buckets: readonly BucketId[]): Promise<ReadonlyMap<string, readonly MarKeys[]>>
  /** Deletes these buckets with their keys (after {@link mergeMar} merged them elsewhere). */
  deleteBuckets?(buckets: readonly BucketId[]): Promise<void>
  /** Marks a budget threshold as fired; false when it already was. */
  markThreshold(connectorId: string, month: string, threshold: number, rows: number): Promise<boolean>
  /** How to start a month over, for the `MAR_MODE_CHANGED` message ("delete its row from _sluice_mar"). */
  readonly restartHint?: string
}
