/**
 * Row hashes (64 hex digits) → rowids, in typed arrays: open addressing on 104 bits of the hash
 * (two 52-bit halves, exact in doubles), load ≤ 1/2. About 48 bytes per row and no object per row:
 * the million-row tail of a keyless table in a JS `Map` of hash strings cost ~130 MB and most of a
 * sync's garbage collection. Two rows agreeing on 104 bits of SHA-256 are taken for one (odds
 * ~10^-18 among ten million rows).
 */
export class RowHashMap {
  #hi: Float64Array
  #lo: Float64Array
  /** rowid + 1; 0 marks an empty slot. */
  #rid: Float64Array
  #mask: number
  #size = 0

  constructor(capacity = 1024) {
    let slots = 1024
    while (slots < capacity * 2) slots *= 2
    this.#hi = new Float64Array(slots)
    this.#lo = new Float64Array(slots)
    this.#rid = new Float64Array(slots)
    this.#mask = slots - 1
  }

  get size(): number {
    return this.#size
  }

  get(hash: string): number | undefined {
    return this.getKeys(rowKey(hash), lowKey(hash))
  }

  /** `get` by the hash's two keys (`rowKey`, `lowKey`), when the caller has them already. */
  getKeys(hi: number, lo: number): number | undefined {
    for (let s = lo & this.#mask; ; s = (s + 1) & this.#mask) {
      const rid = this.#rid[s]!
      if (rid === 0) return undefined
      if (this.#hi[s] === hi && this.#lo[s] === lo) return rid - 1
    }
  }

  set(hash: string, rowid: number): void {
    this.setKeys(rowKey(hash), lowKey(hash), rowid)
  }

  /** `set` by the hash's two keys (`rowKey`, `lowKey`), when the caller has them already. */
  setKeys(hi: number, lo: number, rowid: number): void {
    if ((this.#size + 1) * 2 > this.#rid.length) this.#grow()
    this.#put(hi, lo, rowid + 1)
  }

  /** Empties the map, keeping its size: the tail refills to the same size after each merge. */
  clear(): void {
    this.#rid.fill(0)
    this.#size = 0
  }

  /** Every entry as (52-bit key, rowid), in no particular order. */
  entries(): { keys: Float64Array; rowids: Float64Array } {
    const keys = new Float64Array(this.#size)
    const rowids = new Float64Array(this.#size)
    let n = 0
    for (let s = 0; s < this.#rid.length; s++) {
      if (this.#rid[s] === 0) continue
      keys[n] = this.#hi[s]!
      rowids[n++] = this.#rid[s]! - 1
    }
    return { keys, rowids }
  }

  #put(hi: number, lo: number, rid1: number): void {
    for (let s = lo & this.#mask; ; s = (s + 1) & this.#mask) {
      if (this.#rid[s] === 0) {
        this.#hi[s] = hi
        this.#lo[s] = lo
        this.#rid[s] = rid1
        this.#size++
        return
      }
      if (this.#hi[s] === hi && this.#lo[s] === lo) {
        this.#rid[s] = rid1
        return
      }
    }
  }

  #grow(): void {
    const [hi, lo, rid] = [this.#hi, this.#lo, this.#rid]
    this.#hi = new Float64Array(rid.length * 2)
    this.#lo = new Float64Array(rid.length * 2)
    this.#rid = new Float64Array(rid.length * 2)
    this.#mask = rid.length * 2 - 1
    this.#size = 0
    for (let s = 0; s < rid.length; s++) if (rid[s] !== 0) this.#put(hi[s]!, lo[s]!, rid[s]!)
  }
}

/** Both keys of each hash of a batch, read once and used for every lookup of the batch. */
export interface HashKeys {
  readonly hi: Float64Array
  readonly lo: Float64Array
}

export function hashKeys(hashes: readonly string[]): HashKeys {
  const hi = new Float64Array(hashes.length)
  const lo = new Float64Array(hashes.length)
  for (let i = 0; i < hashes.length; i++) {
    hi[i] = rowKey(hashes[i]!)
    lo[i] = lowKey(hashes[i]!)
  }
  return { hi, lo }
}

/** The first 52 bits of a row hash (13 hex digits): exact in a double, so bound without a BigInt. */
export function rowKey(hash: string): number {
  return hexAt(hash, 0)
}

/** The next 52 bits. */
export function lowKey(hash: string): number {
  return hexAt(hash, 13)
}

/** Hex digit values by char code (-1: not a hex digit). */
const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i
for (let i = 0; i < 6; i++) HEX[0x61 + i] = HEX[0x41 + i] = 10 + i

/**
 * The 13 hex digits of `hash` from `at` as a number, read by char code: `parseInt(hash.slice(…), 16)`
 * allocated a string and cost ~3× as much, five times a row of a keyless sync. Anything but hex
 * digits there (never in a hash sluice wrote) is read as parseInt reads it.
 */
function hexAt(hash: string, at: number): number {
  let v = 0
  for (let i = at; i < at + 13; i++) {
    const c = hash.charCodeAt(i)
    const d = c < 128 ? HEX[c]! : -1
    if (d < 0) return parseInt(hash.slice(at, at + 13), 16)
    v = v * 16 + d
  }
  return v
}
