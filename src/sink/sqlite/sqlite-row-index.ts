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
 * - `_sluice_keyless_keys`: (table, 52-bit key, rowid) of older rows, filled from the tail in key
 *   order when it is full and when a sync succeeds: each index page is then written once per
 *   merge, not once per checkpoint. Looked up a batch at a time, behind a Bloom filter once a run
 *   has looked up enough keys to pay for reading them all.
 * The key is 52 bits of the hash (exact in a double): rows sharing it are told apart by their
 * `_sluice_id`. Every match is checked against the table's `_sluice_id` at that rowid, so a
 * rowid that moved (VACUUM renumbers a table without an INTEGER PRIMARY KEY) rebuilds the index
 * instead of updating another row. All writes join the caller's transaction.
 */
export class KeylessRowIndex {
  readonly #db: Database
  readonly #table: string
  #id = 0
  #indexedUpto = 0
  /** Entries in `_sluice_keyless_keys` for this table. */
  #keys = 0
  #tail: RowHashMap | undefined
  #bloom: KeyBloom | undefined
  /** Keys looked up in the index this run without a Bloom filter. */
  #probed = 0
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
    db.function('sluice_row_key', { deterministic: true }, (id: unknown) => rowKey(String(id)))
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
    const probeKeys: number[] = []
    const bloom = this.#keys > 0 ? this.#bloomFor(hashes.length) : undefined
    for (let i = 0; i < hashes.length; i++) {
      const key = keys.hi[i]!
      const rid = tail.getKeys(key, keys.lo[i]!)
      out[i] = rid
      if (rid === undefined && this.#keys > 0 && (!bloom || bloom.mightHave(key))) {
        probe.push(i)
        probeKeys.push(key)
      }
    }
    if (probe.length === 0) return out
    // Candidates by key, then checked against the table: a key is 52 bits, the id is the whole hash.
    const candidates = this.#stmt(
      // CROSS JOIN keeps the keys outermost: the planner, not knowing json_each's size, would scan the index per key.
      `SELECT k."k" AS "k", k."rid" AS "rid", t.${quoteIdent(SYSTEM.id)} AS "id" FROM json_each(?) AS j
       CROSS JOIN "_sluice_keyless_keys" AS k ON k."tbl" = ? AND k."k" = j."value"
       LEFT JOIN ${quoteIdent(this.#table)} AS t ON t.rowid = k."rid"`,
    ).all(JSON.stringify(probeKeys), this.#id) as { k: number; rid: number; id: string | null }[]
    const byHash = new Map<string, number>()
    for (const c of candidates) {
      // Another row with the same 52 bits is a row of its own; a row of another key (or none) means rowids moved.
      if (c.id === null || rowKey(c.id) !== c.k) {
        // internal invariant: a rebuilt index maps every key to its row; not reachable from input
        if (rebuilt) throw new Error(`the row index of ${this.#table} points at rowid ${c.rid}, which doesn't hold a row of its key, even after a rebuild`)
        this.rebuild()
        return this.find(hashes, keys, true)
      }
      byHash.set(c.id, c.rid)
    }
    for (const i of probe) out[i] = byHash.get(hashes[i]!)
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

  /** Moves the tail into `_sluice_keyless_keys`, in key order (each index page written once). */
  merge(): void {
    if (!this.#tail) return // nothing written this run
    const tail = this.#loadTail() // as checked: rows another writer added since must move too
    if (tail.size === 0) return
    const { keys, rowids } = tail.entries()
    const order = keyOrder(keys)
    const sql = (n: number) => `INSERT OR IGNORE INTO "_sluice_keyless_keys" ("tbl", "k", "rid") VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}`
    const many = this.#stmt(sql(MERGE_ROWS))
    const one = this.#stmt(sql(1))
    const params: number[] = []
    let i = 0
    for (; i + MERGE_ROWS <= order.length; i += MERGE_ROWS) {
      params.length = 0
      for (let j = i; j < i + MERGE_ROWS; j++) params.push(this.#id, keys[order[j]!]!, rowids[order[j]!]!)
      many.run(...params)
    }
    for (; i < order.length; i++) one.run(this.#id, keys[order[i]!]!, rowids[order[i]!]!)
    let upto = this.#indexedUpto
    for (let j = 0; j < rowids.length; j++) {
      if (rowids[j]! > upto) upto = rowids[j]!
      this.#bloom?.add(keys[j]!)
    }
    this.#saveMark(upto, this.#keys + keys.length)
    tail.clear()
  }

  /**
   * Indexes the whole table again from its rows (after rowids moved): every row into
   * `_sluice_keyless_keys`, the tail empty.
   */
  rebuild(): void {
    this.#loadTail()
    this.#stmt('DELETE FROM "_sluice_keyless_keys" WHERE "tbl" = ?').run(this.#id)
    this.#keys = 0
    this.#indexRowsAbove(-1)
  }

  /** The Bloom filter, once this run's lookups (`more` about to be made) have cost about what reading every key does. */
  #bloomFor(more: number): KeyBloom | undefined {
    if (this.#bloom) return this.#bloom
    this.#probed += more
    if (this.#probed * BLOOM_AFTER < this.#keys) return undefined
    const bloom = new KeyBloom(Math.max(this.#keys * 2, this.#tailRows))
    for (const k of this.#stmt('SELECT "k" FROM "_sluice_keyless_keys" WHERE "tbl" = ?').pluck().iterate(this.#id) as IterableIterator<number>) bloom.add(k)
    return (this.#bloom = bloom)
  }

  /** Indexes the rows above `upto` in SQL (sorted by SQLite, never all in memory); the tail is then empty. */
  #indexRowsAbove(upto: number): void {
    const table = quoteIdent(this.#table)
    const added = this.#db
      .prepare(
        `INSERT OR IGNORE INTO "_sluice_keyless_keys" ("tbl", "k", "rid")
         SELECT ?, sluice_row_key(${quoteIdent(SYSTEM.id)}), rowid FROM ${table} WHERE rowid > ? ORDER BY 2, 3`,
      )
      .run(this.#id, upto).changes
    const max = this.#db.prepare(`SELECT max(rowid) FROM ${table}`).pluck().get() as number | null
    this.#saveMark(Math.max(upto, max ?? 0), this.#keys + added)
    this.#bloom = undefined
    this.#tail = new RowHashMap()
    this.#maxRowid = max ?? 0
  }

  /** The tail, read from the table at the first use in a run (rows above `indexed_upto`). */
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
    } else {
      this.#id = Number(this.#stmt('INSERT INTO "_sluice_keyless_tables" ("name", "indexed_upto", "keys") VALUES (?, 0, 0)').run(this.#table).lastInsertRowid)
    }
    const table = quoteIdent(this.#table)
    // More rows above the mark than a tail holds (the meta row was lost, or an older table): index them in SQL instead.
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

  /** Forgets the tail and Bloom filter when another writer added rows or moved the index since this run last wrote. */
  #checkUnchanged(): void {
    this.#checked = true
    const row = this.#stmt('SELECT "indexed_upto", "keys" FROM "_sluice_keyless_tables" WHERE "id" = ?').get(this.#id) as { indexed_upto: number; keys: number } | undefined
    if (row?.indexed_upto === this.#indexedUpto && row.keys === this.#keys && this.#lastRowid() === this.#maxRowid) return
    this.#tail = undefined
    this.#bloom = undefined
    this.#probed = 0
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

/** Index entries per INSERT when the tail moves into the index (one statement per entry cost ~1 µs each). */
const MERGE_ROWS = 64

/**
 * Rows kept in memory (~48 B each, see `RowHashMap`) before they move into the index: each move
 * rewrites about every page of the index, so fewer, larger moves write less.
 */
export const TAIL_ROWS = 1_048_576

/** A Bloom filter pays once a run has looked up 1/BLOOM_AFTER of the index's keys (a lookup costs ~30 key reads). */
const BLOOM_AFTER = 32

/** The row index's tables (in the meta DDL: they must exist before any source table could take their names). */
export const ROW_INDEX_DDL = `
CREATE TABLE IF NOT EXISTS "_sluice_keyless_tables" (
  "id" INTEGER PRIMARY KEY,
  "name" TEXT NOT NULL UNIQUE,
  "indexed_upto" INTEGER NOT NULL,
  "keys" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS "_sluice_keyless_keys" (
  "tbl" INTEGER NOT NULL,
  "k" INTEGER NOT NULL,
  "rid" INTEGER NOT NULL,
  PRIMARY KEY ("tbl", "k", "rid")
) WITHOUT ROWID;
`
