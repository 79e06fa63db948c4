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
    const hi = rowKey(hash)
    const lo = lowKey(hash)
    for (let s = lo & this.#mask; ; s = (s + 1) & this.#mask) {
      const rid = this.#rid[s]!
      if (rid === 0) return undefined
      if (this.#hi[s] === hi && this.#lo[s] === lo) return rid - 1
    }
  }

  set(hash: string, rowid: number): void {
    if ((this.#size + 1) * 2 > this.#rid.length) this.#grow()
    this.#put(rowKey(hash), lowKey(hash), rowid + 1)
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

/** The first 52 bits of a row hash (13 hex digits): exact in a double, so bound without a BigInt. */
export function rowKey(hash: string): number {
  return parseInt(hash.slice(0, 13), 16)
}

/** The next 52 bits. */
function lowKey(hash: string): number {
  return parseInt(hash.slice(13, 26), 16)
}
