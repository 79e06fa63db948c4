import type { Database, Statement } from 'better-sqlite3'
import { quoteIdent } from '../../core/normalize-name.js'
import { SYSTEM } from '../layout/table-layout.js'
import { KeyBloom } from './key-bloom.js'
import { hashKeys, lowKey, RowHashMap, rowKey, type HashKeys } from './row-hash-map.js'

export { rowKey }

/**
 * Where a keyless table's rows are found by `_sluice_id`, and why not with a UNIQUE index on it.
 *
 * `_sluice_id` is a SHA-256: rows arrive in random key order, and an index on it takes every
 * insert on a random page. A transaction (one per checkpoint, 10k rows in the bench) then dirties
 * about one index page per row, and commits write them all: measured at 1M rows, 5.9–8.4 KB
 * written per row against 0.38 KB for a keyed table, whatever the cache or key width (a 64-bit
 * key wrote 7.3 KB). So rows are appended to the table unindexed, and found through two levels:
 * - the tail: rows above `indexed_upto`, in memory by hash (≤ {@link TAIL_ROWS}, rebuilt from the
 *   table at the first write of a run);
 * - sorted runs of (52-bit key, rowid) of older rows, one written each time the tail moves out
 *   (when it is full, and when a sync succeeds): `_sluice_keyless_runs` lists them and
 *   `_sluice_keyless_chunks` holds each as chunks of {@link CHUNK} entries in key order (two
 *   float64 arrays in a blob), found by their first key. A run is written once, in order: a
 *   single B-tree of every key (the earlier layout) took the tail's keys on pages all over it, and
 *   each move rewrote about every page of the index — ~1 s a move at 10M rows, growing with it.
 *   Runs of a size class are merged into one when {@link FANOUT} of them are there, so a lookup
 *   looks at a few dozen runs at most, and each key is rewritten once per size class.
 * A lookup asks each run whose Bloom filter may have the key (a run written by this process has
 * one from the start; an older run gets one once this run has looked up enough keys to pay for
 * reading its keys), reading the one chunk the key can be in. The key is 52 bits of the hash
 * (exact in a double): rows sharing it are told apart by their `_sluice_id`. Every match is
 * checked against the table's `_sluice_id` at that rowid, so a rowid that moved (VACUUM renumbers
 * a table without an INTEGER PRIMARY KEY) rebuilds the index instead of updating another row.
 * All writes join the caller's transaction.
 */
export class KeylessRowIndex {
  readonly #db: Database
  readonly #table: string
  #id = 0
  #indexedUpto = 0
  /** Entries in the runs of this table. */
  #keys = 0
  #tail: RowHashMap | undefined
  /** The runs, read with the tail. */
  #runs: Run[] = []
  /** The table's last rowid as this run left it; checked when a transaction begins (see `newTransaction`). */
  #maxRowid = 0
  #checked = true
  readonly #statements = new Map<string, Statement>()
  readonly #tailRows: number

  /** `tailRows`: see {@link TAIL_ROWS} (smaller in tests). */
  constructor(db: Database, table: string, tailRows = TAIL_ROWS) {
    this.#db = db
    this.#table = table
    this.#tailRows = tailRows
  }

  /**
   * A transaction began: another writer may have written the table since the last one (another
   * connector, or a partition on another worker, between this run's transactions). What this run
   * keeps in memory is checked at the next use, and read again if the table or its index changed.
   */
  newTransaction(): void {
    this.#checked = false
  }

  /** The rowid of each hash's row, or `undefined` for a row the table doesn't have. */
  find(hashes: readonly string[], keys: HashKeys = hashKeys(hashes), rebuilt = false): (number | undefined)[] {
    const tail = this.#loadTail()
    const out = new Array<number | undefined>(hashes.length)
    const probe: number[] = []
    for (let i = 0; i < hashes.length; i++) {
      const rid = tail.getKeys(keys.hi[i]!, keys.lo[i]!)
      out[i] = rid
      if (rid === undefined && this.#keys > 0) probe.push(i)
    }
    if (probe.length === 0) return out
    const found = this.#candidates(probe.map((i) => keys.hi[i]!))
    if (found === undefined) {
      // A chunk the directory names is gone: the index changed under this run. Read it again.
      // internal invariant: every writer changes the marks with its runs; not reachable from input
      if (rebuilt) invariant(`the row index of ${this.#table} lost a chunk it lists, even after reading it again`)
      this.#forget()
      return this.find(hashes, keys, true)
    }
    if (found.at.length === 0) return out
    // Candidates by key, then checked against the table: a key is 52 bits, the id is the whole hash.
    const ids = this.#stmt(
      `SELECT j."key" AS "n", t.${quoteIdent(SYSTEM.id)} AS "id" FROM json_each(?) AS j LEFT JOIN ${quoteIdent(this.#table)} AS t ON t.rowid = j."value"`,
    ).all(JSON.stringify(found.rids)) as { n: number; id: string | null }[]
    for (const { n, id } of ids) {
      const i = probe[found.at[n]!]!
      // Another row with the same 52 bits is a row of its own; a row of another key (or none) means rowids moved.
      if (id === null || rowKey(id) !== keys.hi[i]) {
        // internal invariant: a rebuilt index maps every key to its row; not reachable from input
        if (rebuilt) invariant(`the row index of ${this.#table} points at rowid ${found.rids[n]}, which doesn't hold a row of its key, even after a rebuild`)
        this.rebuild()
        return this.find(hashes, keys, true)
      }
      if (id === hashes[i]) out[i] = found.rids[n]
    }
    return out
  }

  /** Registers a row just inserted at `rowid`. */
  add(hash: string, rowid: number): void {
    this.addKeys(rowKey(hash), lowKey(hash), rowid)
  }

  /** `add` by the hash's keys (see `hashKeys`). */
  addKeys(hi: number, lo: number, rowid: number): void {
    this.#loadTail().setKeys(hi, lo, rowid)
    if (rowid > this.#maxRowid) this.#maxRowid = rowid
  }

  /** True when the tail should move into the index (it is full). */
  get full(): boolean {
    return (this.#tail?.size ?? 0) >= this.#tailRows
  }

  /** Moves the tail into a run of its own (merging runs of a size class when there are enough). */
  merge(): void {
    if (!this.#tail) return // nothing written this run
    const tail = this.#loadTail() // as checked: rows another writer added since must move too
    if (tail.size === 0) return
    const { keys, rowids } = tail.entries()
    let upto = this.#indexedUpto
    for (let j = 0; j < rowids.length; j++) if (rowids[j]! > upto) upto = rowids[j]!
    this.#addRun(keys, rowids)
    this.#saveMark(upto, this.#keys + keys.length)
    tail.clear()
    this.#compact()
  }

  /**
   * Indexes the whole table again from its rows (after rowids moved): every row into a run, the
   * tail empty.
   */
  rebuild(): void {
    this.#loadTail()
    this.#dropRuns()
    this.#keys = 0
    this.#indexRowsAbove(-1)
  }

  /**
   * The (position in `keys`, rowid) of every index entry whose key is one of `keys`, from the runs
   * whose Bloom filter may have it; undefined when a listed chunk is missing.
   */
  #candidates(keys: readonly number[]): { at: number[]; rids: number[] } | undefined {
    const at: number[] = []
    const rids: number[] = []
    const read = this.#stmt('SELECT "id", "entries" FROM "_sluice_keyless_chunks" WHERE "id" IN (SELECT "value" FROM json_each(?))').raw()
    for (const run of this.#runs) {
      const bloom = this.#bloomOf(run, keys.length)
      // Keys by the chunk they can be in: each chunk read once.
      const byChunk = new Map<number, number[]>()
      for (let p = 0; p < keys.length; p++) {
        const k = keys[p]!
        if (bloom && !bloom.mightHave(k)) continue
        const c = lastAtOrBelow(run.firsts, k)
        if (c < 0) continue
        const list = byChunk.get(c)
        if (list) list.push(p)
        else byChunk.set(c, [p])
      }
      if (byChunk.size === 0) continue
      // The chunks in one read (a statement per chunk cost about as much as the reading).
      const wanted = [...byChunk.keys()].map((c) => run.chunks[c]!)
      const blobs = new Map(read.all(JSON.stringify(wanted)) as [number, Uint8Array][])
      for (const [c, ps] of byChunk) {
        const blob = blobs.get(run.chunks[c]!)
        if (!blob) return undefined
        // Searched where it is (most chunks serve one key: a copy cost more than the search).
        const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
        const n = blob.byteLength >>> 4
        for (const p of ps) {
          const k = keys[p]!
          for (let e = firstInView(view, n, k); e < n && view.getFloat64(e * 8, true) === k; e++) {
            at.push(p)
            rids.push(view.getFloat64((n + e) * 8, true))
          }
        }
      }
    }
    return { at, rids }
  }

  /** The run's Bloom filter, once this run's lookups (`more` about to be made) have cost about what reading its keys does. */
  #bloomOf(run: Run, more: number): KeyBloom | undefined {
    if (run.bloom) return run.bloom
    run.probed += more
    if (run.probed * BLOOM_AFTER < run.keys) return undefined
    const bloom = new KeyBloom(Math.max(run.keys, 1))
    const chunk = this.#stmt('SELECT "entries" FROM "_sluice_keyless_chunks" WHERE "id" = ?').pluck()
    for (const id of run.chunks) {
      const blob = chunk.get(id) as Uint8Array | undefined
      if (!blob) return undefined // gone: the lookup finds it out and reads the index again
      const entries = entriesOf(blob)
      for (let e = 0; e < entries.length / 2; e++) bloom.add(entries[e]!)
    }
    return (run.bloom = bloom)
  }

  /** Writes (keys, rowids) — any order — as a new run, with its Bloom filter. */
  #addRun(keys: Float64Array, rowids: Float64Array): void {
    const order = keyOrder(keys)
    const ks = new Float64Array(keys.length)
    const rs = new Float64Array(keys.length)
    for (let i = 0; i < order.length; i++) {
      ks[i] = keys[order[i]!]!
      rs[i] = rowids[order[i]!]!
    }
    sortNearlySorted(ks, rs)
    const writer = this.#runWriter(keys.length)
    for (let i = 0; i < ks.length; i++) writer.push(ks[i]!, rs[i]!)
    writer.end()
  }

  /**
   * A new run, written as entries are pushed in key order: a chunk is cut at {@link CHUNK}
   * entries, but never between two entries of one key (a key's entries are then in one chunk).
   */
  #runWriter(expected: number): { push(k: number, rid: number): void; end(): Run } {
    const run = this.#runs.reduce((max, r) => Math.max(max, r.run), 0) + 1
    const insert = this.#stmt('INSERT INTO "_sluice_keyless_chunks" ("tbl", "run", "first", "entries") VALUES (?, ?, ?, ?)')
    const bloom = new KeyBloom(Math.max(expected, 1))
    let ks = new Float64Array(CHUNK * 2)
    let rs = new Float64Array(CHUNK * 2)
    let n = 0
    let total = 0
    const firsts: number[] = []
    const chunks: number[] = []
    const flush = (count: number) => {
      const blob = new Float64Array(count * 2)
      blob.set(ks.subarray(0, count))
      blob.set(rs.subarray(0, count), count)
      chunks.push(Number(insert.run(this.#id, run, ks[0]!, new Uint8Array(blob.buffer)).lastInsertRowid))
      firsts.push(ks[0]!)
      // What was past the cut starts the next chunk.
      ks.copyWithin(0, count, n)
      rs.copyWithin(0, count, n)
      n -= count
    }
    return {
      push: (k, rid) => {
        // Full, and this key is not the last one's: cut the chunk before it.
        if (n >= CHUNK && ks[n - 1] !== k) flush(n)
        if (n === ks.length) {
          // A chunk past twice its size: that many entries of one key (hash bits: never by chance).
          const [k2, r2] = [new Float64Array(n * 2), new Float64Array(n * 2)]
          k2.set(ks)
          r2.set(rs)
          ks = k2
          rs = r2
        }
        ks[n] = k
        rs[n++] = rid
        bloom.add(k)
        total++
      },
      end: () => {
        if (n > 0) flush(n)
        this.#stmt('INSERT INTO "_sluice_keyless_runs" ("tbl", "run", "keys") VALUES (?, ?, ?)').run(this.#id, run, total)
        const r: Run = { run, keys: total, firsts: Float64Array.from(firsts), chunks: Float64Array.from(chunks), bloom, probed: 0 }
        this.#runs.push(r)
        return r
      },
    }
  }

  /** Merges the runs of a size class into one while {@link FANOUT} of them are there. */
  #compact(): void {
    for (;;) {
      const byClass = new Map<number, Run[]>()
      for (const r of this.#runs) {
        const c = sizeClass(r.keys)
        byClass.set(c, [...(byClass.get(c) ?? []), r])
      }
      const full = [...byClass.values()].find((list) => list.length >= FANOUT)
      if (!full) return
      this.#mergeRuns(full)
    }
  }

  /** One run of these runs' entries (a k-way merge, a chunk of each at a time); they are dropped. */
  #mergeRuns(runs: readonly Run[]): void {
    const chunk = this.#stmt('SELECT "entries" FROM "_sluice_keyless_chunks" WHERE "id" = ?').pluck()
    const cursors = runs.map((run) => ({ run, chunk: -1, entries: new Float64Array(0) as Float64Array, n: 0, at: 0 }))
    const advance = (c: (typeof cursors)[number]): boolean => {
      while (c.at >= c.n) {
        if (++c.chunk >= c.run.chunks.length) return false
        const blob = chunk.get(c.run.chunks[c.chunk]!) as Uint8Array | undefined
        // internal invariant: runs merged are this process's, read in this transaction
        if (!blob) invariant(`a chunk of run ${c.run.run} of ${this.#table}'s row index is gone`)
        c.entries = entriesOf(blob)
        c.n = c.entries.length / 2
        c.at = 0
      }
      return true
    }
    let live = cursors.filter(advance)
    const writer = this.#runWriter(runs.reduce((n, r) => n + r.keys, 0))
    let lastK = -1
    let lastRid = -1
    while (live.length > 0) {
      let min = live[0]!
      for (let i = 1; i < live.length; i++) if (live[i]!.entries[live[i]!.at]! < min.entries[min.at]!) min = live[i]!
      const k = min.entries[min.at]!
      const rid = min.entries[min.n + min.at]!
      // The same entry in two runs (a row indexed twice) is kept once.
      if (k !== lastK || rid !== lastRid) writer.push(k, rid)
      lastK = k
      lastRid = rid
      min.at++
      if (!advance(min)) live = live.filter((c) => c !== min)
    }
    const merged = writer.end()
    const gone = new Set(runs.map((r) => r.run))
    const ids = JSON.stringify([...gone])
    this.#stmt('DELETE FROM "_sluice_keyless_chunks" WHERE "tbl" = ? AND "run" IN (SELECT "value" FROM json_each(?))').run(this.#id, ids)
    this.#stmt('DELETE FROM "_sluice_keyless_runs" WHERE "tbl" = ? AND "run" IN (SELECT "value" FROM json_each(?))').run(this.#id, ids)
    this.#runs = this.#runs.filter((r) => !gone.has(r.run))
    const dropped = runs.reduce((n, r) => n + r.keys, 0) - merged.keys
    if (dropped > 0) this.#saveMark(this.#indexedUpto, this.#keys - dropped)
  }

  /** Deletes every run of this table. */
  #dropRuns(): void {
    this.#stmt('DELETE FROM "_sluice_keyless_chunks" WHERE "tbl" = ?').run(this.#id)
    this.#stmt('DELETE FROM "_sluice_keyless_runs" WHERE "tbl" = ?').run(this.#id)
    this.#runs = []
  }

  /** Indexes the rows above `upto` into runs, {@link TAIL_ROWS} rows a run, read in rowid order a page at a time; the tail is then empty. */
  #indexRowsAbove(upto: number): void {
    const table = quoteIdent(this.#table)
    const page = this.#db.prepare(`SELECT rowid AS "rid", ${quoteIdent(SYSTEM.id)} AS "id" FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    const size = Math.min(this.#tailRows, READ_ROWS)
    let from = upto
    let added = 0
    let keys = new Float64Array(0)
    let rowids = new Float64Array(0)
    let n = 0
    const flush = () => {
      if (n === 0) return
      this.#addRun(keys.subarray(0, n), rowids.subarray(0, n))
      added += n
      n = 0
    }
    for (;;) {
      const rows = page.all(from, size) as { rid: number; id: string }[]
      if (rows.length === 0) break
      if (keys.length < n + rows.length) {
        const grown = Math.min(this.#tailRows, Math.max(n + rows.length, keys.length * 2))
        const [k, r] = [new Float64Array(grown), new Float64Array(grown)]
        k.set(keys.subarray(0, n))
        r.set(rowids.subarray(0, n))
        keys = k
        rowids = r
      }
      for (const row of rows) {
        keys[n] = rowKey(row.id)
        rowids[n++] = row.rid
      }
      from = rows[rows.length - 1]!.rid
      if (n >= this.#tailRows) flush()
    }
    flush()
    this.#saveMark(Math.max(upto, from), this.#keys + added)
    this.#compact()
    this.#tail = new RowHashMap()
    this.#maxRowid = this.#lastRowid()
  }

  /** The tail, read from the table at the first use in a run (rows above `indexed_upto`), with the runs' directory. */
  #loadTail(): RowHashMap {
    if (this.#tail && !this.#checked) this.#checkUnchanged()
    if (this.#tail) return this.#tail
    this.#checked = true
    const row = this.#stmt('SELECT "id", "indexed_upto", "keys" FROM "_sluice_keyless_tables" WHERE "name" = ?').get(this.#table) as
      | { id: number; indexed_upto: number; keys: number }
      | undefined
    if (row) {
      this.#id = row.id
      this.#indexedUpto = row.indexed_upto
      this.#keys = row.keys
      this.#runs = this.#readRuns()
      if (this.#runs.reduce((n, r) => n + r.keys, 0) !== this.#keys || this.#runs.some((r) => r.keys > 0 && r.chunks.length === 0)) {
        // The runs don't add up to the mark's count, or one lost its chunks: index the whole table again.
        this.#dropRuns()
        this.#keys = 0
        this.#indexRowsAbove(-1)
        return this.#tail!
      }
    } else {
      this.#id = Number(this.#stmt('INSERT INTO "_sluice_keyless_tables" ("name", "indexed_upto", "keys") VALUES (?, 0, 0)').run(this.#table).lastInsertRowid)
      this.#indexedUpto = 0
      this.#keys = 0
      this.#dropRuns() // of a table that had this id once
    }
    const table = quoteIdent(this.#table)
    // More rows above the mark than a tail holds (the meta row was lost, or an older table): index them into runs instead.
    const above = this.#db.prepare(`SELECT count(*) FROM (SELECT 1 FROM ${table} WHERE rowid > ? LIMIT ?)`).pluck().get(this.#indexedUpto, this.#tailRows + 1) as number
    if (above > this.#tailRows) {
      this.#indexRowsAbove(this.#indexedUpto)
      return this.#tail!
    }
    const tail = new RowHashMap(above)
    const rows = this.#db.prepare(`SELECT rowid AS "rid", ${quoteIdent(SYSTEM.id)} AS "id" FROM ${table} WHERE rowid > ?`).iterate(this.#indexedUpto) as IterableIterator<{ rid: number; id: string }>
    for (const r of rows) tail.set(r.id, r.rid)
    this.#maxRowid = this.#lastRowid()
    return (this.#tail = tail)
  }

  /** The runs' directories: each chunk's first key and id, in key order (from the chunks' index, not their blobs). */
  #readRuns(): Run[] {
    const counts = this.#stmt('SELECT "run", "keys" FROM "_sluice_keyless_runs" WHERE "tbl" = ? ORDER BY "run"').all(this.#id) as { run: number; keys: number }[]
    const chunks = this.#stmt('SELECT "run", "first", "id" FROM "_sluice_keyless_chunks" WHERE "tbl" = ? ORDER BY "run", "first"').raw().all(this.#id) as [number, number, number][]
    const runs: Run[] = []
    let at = 0
    for (const { run, keys } of counts) {
      while (at < chunks.length && chunks[at]![0] < run) at++
      const start = at
      while (at < chunks.length && chunks[at]![0] === run) at++
      const firsts = new Float64Array(at - start)
      const ids = new Float64Array(at - start)
      for (let i = start; i < at; i++) {
        firsts[i - start] = chunks[i]![1]
        ids[i - start] = chunks[i]![2]
      }
      runs.push({ run, keys, firsts, chunks: ids, bloom: undefined, probed: 0 })
    }
    return runs
  }

  /** Forgets the tail and runs when another writer added rows or moved the index since this run last wrote. */
  #checkUnchanged(): void {
    this.#checked = true
    const row = this.#stmt('SELECT "indexed_upto", "keys" FROM "_sluice_keyless_tables" WHERE "id" = ?').get(this.#id) as { indexed_upto: number; keys: number } | undefined
    if (row?.indexed_upto === this.#indexedUpto && row.keys === this.#keys && this.#lastRowid() === this.#maxRowid) return
    this.#forget()
  }

  #forget(): void {
    this.#tail = undefined
    this.#runs = []
  }

  #lastRowid(): number {
    return (this.#stmt(`SELECT max(rowid) FROM ${quoteIdent(this.#table)}`).pluck().get() as number | null) ?? 0
  }

  #saveMark(upto: number, keys: number): void {
    this.#stmt('UPDATE "_sluice_keyless_tables" SET "indexed_upto" = ?, "keys" = ? WHERE "id" = ?').run(upto, keys, this.#id)
    this.#indexedUpto = upto
    this.#keys = keys
  }

  #stmt(sql: string): Statement {
    let stmt = this.#statements.get(sql)
    if (!stmt) this.#statements.set(sql, (stmt = this.#db.prepare(sql)))
    return stmt
  }
}

/** A sorted run as this process knows it: each chunk's first key and row id, in key order. */
interface Run {
  readonly run: number
  readonly keys: number
  readonly firsts: Float64Array
  readonly chunks: Float64Array
  /** Set when the run is written here, or once lookups paid for reading its keys. */
  bloom: KeyBloom | undefined
  /** Keys looked up in it without a Bloom filter. */
  probed: number
}

/** The row index's one raw throw: states its code relies on, which no input reaches (see the call sites). */
function invariant(message: string): never {
  throw new Error(message)
}

/** A chunk's blob as its entries: n keys then their n rowids (copied: a driver's buffer may be unaligned). */
function entriesOf(blob: Uint8Array): Float64Array {
  const out = new Float64Array(blob.byteLength >>> 3)
  new Uint8Array(out.buffer).set(blob.subarray(0, out.byteLength))
  return out
}

/** The last position in `sorted` holding a value ≤ `k`, or -1. */
function lastAtOrBelow(sorted: Float64Array, k: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! <= k) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

/** The first position among a chunk's `n` keys (little-endian float64s from its start) holding one ≥ `k` (n if none). */
function firstInView(view: DataView, n: number, k: number): number {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (view.getFloat64(mid * 8, true) < k) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Finishes sorting (keys, rowids) by key after `keyOrder`, whose order is exact but for keys
 * agreeing on their high bits: an insertion sort, which moves only those few.
 */
function sortNearlySorted(keys: Float64Array, rowids: Float64Array): void {
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!
    if (keys[i - 1]! <= k) continue
    const r = rowids[i]!
    let j = i - 1
    for (; j >= 0 && keys[j]! > k; j--) {
      keys[j + 1] = keys[j]!
      rowids[j + 1] = rowids[j]!
    }
    keys[j + 1] = k
    rowids[j + 1] = r
  }
}

/** A run's size class: 0 below BASE_RUN · FANOUT keys, then one more for each factor of FANOUT. */
function sizeClass(keys: number): number {
  let c = 0
  for (let cap = BASE_RUN * FANOUT; keys >= cap; cap *= FANOUT) c++
  return c
}

/**
 * Positions of `keys` in key order, for inserting them into the index's B-tree page by page. Each
 * 52-bit key's high bits and its position are packed into one double and sorted by the typed
 * array's own numeric sort: a JS comparator over a million positions cost ~30 % of a merge. Keys
 * agreeing on those high bits (about 2^-30 apart) keep their given order: the pages they land on
 * are the same.
 */
function keyOrder(keys: Float64Array): Uint32Array {
  let bits = 1
  while (2 ** bits < keys.length) bits++
  const scale = 2 ** bits
  const packed = new Float64Array(keys.length)
  for (let i = 0; i < keys.length; i++) packed[i] = Math.floor(keys[i]! / scale) * scale + i
  packed.sort()
  const order = new Uint32Array(keys.length)
  for (let i = 0; i < keys.length; i++) order[i] = packed[i]! % scale
  return order
}

/**
 * Rows kept in memory (~48 B each, see `RowHashMap`) before they move into a run of the index:
 * fewer, larger runs make fewer runs to look in.
 */
export const TAIL_ROWS = 1_048_576

/**
 * Entries per chunk of a run (16 B each: a 512 B blob). A lookup reads the one chunk its key can
 * be in, so a smaller chunk reads less for each key found: 128 made a resync of 3M unchanged rows
 * ~15 % slower than the single B-tree; the directory (a first key and id per chunk) stays small.
 */
const CHUNK = 32
/** Rows read a page at a time when the table itself is indexed (a rebuild, an older table). */
const READ_ROWS = 65_536
/** Runs of a size class merged into one when this many are there; classes grow by this factor. */
const FANOUT = 16
/** Runs below BASE_RUN · FANOUT keys are of the smallest class (a sync's last, small tail). */
const BASE_RUN = 1024

/** A Bloom filter pays once a run has looked up 1/BLOOM_AFTER of a run's keys (a lookup reads a chunk of CHUNK keys). */
const BLOOM_AFTER = 32

/**
 * The row index's tables (in the meta DDL: they must exist before any source table could take
 * their names). `migrateRowIndex` drops the earlier layout's `_sluice_keyless_keys`.
 */
export const ROW_INDEX_DDL = `
CREATE TABLE IF NOT EXISTS "_sluice_keyless_tables" (
  "id" INTEGER PRIMARY KEY,
  "name" TEXT NOT NULL UNIQUE,
  "indexed_upto" INTEGER NOT NULL,
  "keys" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_keyless_runs" (
  "tbl" INTEGER NOT NULL,
  "run" INTEGER NOT NULL,
  "keys" INTEGER NOT NULL,
  PRIMARY KEY ("tbl", "run")
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS "_sluice_keyless_chunks" (
  "id" INTEGER PRIMARY KEY,
  "tbl" INTEGER NOT NULL,
  "run" INTEGER NOT NULL,
  "first" INTEGER NOT NULL,
  "entries" BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS "_sluice_keyless_chunks_run" ON "_sluice_keyless_chunks" ("tbl", "run", "first");
`

/**
 * A database whose row index is in the earlier layout (one B-tree of every key,
 * `_sluice_keyless_keys`): that table is dropped and every keyless table's mark set back, so its
 * rows are indexed into runs at its next write (outside any transaction; one of its own).
 */
export function migrateRowIndex(db: Database): void {
  const old = () => db.prepare(`SELECT 1 FROM sqlite_master WHERE "type" = 'table' AND "name" = '_sluice_keyless_keys'`).get() !== undefined
  if (!old()) return
  db.transaction(() => {
    if (!old()) return // another process migrated it meanwhile
    db.exec('DROP TABLE "_sluice_keyless_keys"')
    db.exec('UPDATE "_sluice_keyless_tables" SET "indexed_upto" = 0, "keys" = 0')
  }).immediate()
}
