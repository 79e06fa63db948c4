import type { MarKeys } from './key-hash.js'

const MIN_CAPACITY = 1024

/**
 * A set of 64-bit MAR keys in two typed arrays (open addressing, linear probing, load ≤ 1/2):
 * about 16–32 bytes per key and no object per key, so a month of a million keys costs ~16 MB
 * instead of the ~80 MB a JS `Set` of bigints would.
 * Sinks use it to tell which keys of a batch are new this month (see `Sink.meter`).
 *
 * @example
 * ```ts
 * import { KeySet } from './key-set.js'
 * const set = new KeySet()
 * set.addAll(new Uint32Array([0, 1, 0, 1, 0, 2])).length // 4: keys (0,1) and (0,2) are new
 * ```
 */
export class KeySet {
  /** Slot i holds a key in words 2i (high) and 2i + 1 (low): one cache line per probe. */
  #slots: Uint32Array
  #mask: number
  #size = 0
  /** (0, 0) marks an empty slot, so that key is kept aside. */
  #hasZero = false

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY
    while (cap < capacity * 2) cap *= 2
    this.#slots = new Uint32Array(cap * 2)
    this.#mask = cap - 1
  }

  get size(): number {
    return this.#size
  }

  /** Adds every key; returns the keys that were not in the set yet (each once), in the same two-word layout. */
  addAll(keys: MarKeys): MarKeys {
    const fresh = new Uint32Array(keys.length)
    let n = 0
    for (let i = 0; i + 1 < keys.length; i += 2) {
      const hi = keys[i]!
      const lo = keys[i + 1]!
      if (this.#add(hi, lo)) {
        fresh[n++] = hi
        fresh[n++] = lo
      }
    }
    return fresh.subarray(0, n)
  }

  /** True when the key (hi, lo) is in the set. */
  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) return this.#hasZero
    const slots = this.#slots
    for (let slot = lo & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const h = slots[2 * slot]!
      const l = slots[2 * slot + 1]!
      if (h === 0 && l === 0) return false
      if (h === hi && l === lo) return true
    }
  }

  /** Every key, two words each (order unspecified). */
  toKeys(): MarKeys {
    const out = new Uint32Array(this.#size * 2)
    let n = this.#hasZero ? 2 : 0
    const slots = this.#slots
    for (let s = 0; s < slots.length; s += 2) {
      if (slots[s] === 0 && slots[s + 1] === 0) continue
      out[n++] = slots[s]!
      out[n++] = slots[s + 1]!
    }
    return out
  }

  #add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) {
      if (this.#hasZero) return false
      this.#hasZero = true
      this.#size++
      return true
    }
    if ((this.#size + 1) * 4 > this.#slots.length) this.#grow()
    const slots = this.#slots
    const mask = this.#mask
    // The low word is already well mixed (see marKeys), so it indexes the table directly.
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const at = 2 * slot
      const h = slots[at]!
      const l = slots[at + 1]!
      if (h === 0 && l === 0) {
        slots[at] = hi
        slots[at + 1] = lo
        this.#size++
        return true
      }
      if (h === hi && l === lo) return false
    }
  }

  #grow(): void {
    const old = this.#slots
    const slots = new Uint32Array(old.length * 2)
    const mask = old.length - 1 // new capacity (old.length / 2 * 2) minus one
    for (let s = 0; s < old.length; s += 2) {
      const hi = old[s]!
      const lo = old[s + 1]!
      if (hi === 0 && lo === 0) continue
      let slot = lo & mask
      while (slots[2 * slot] !== 0 || slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask
      slots[2 * slot] = hi
      slots[2 * slot + 1] = lo
    }
    this.#slots = slots
    this.#mask = mask
  }
}
