/**
 * A Bloom filter of 52-bit row keys (uniformly random: they are hash bits), 10 bits and 7 probes
 * per key (~1 % false positives): tells most new rows of a keyless table that they aren't in the
 * row index without a B-tree search — at 10M rows those searches were a fifth of a keyless sync.
 */
export class KeyBloom {
  readonly #bits: Uint32Array
  /** Bits - 1: the size is a power of two ≤ 2^31, so `% size` is `& mask` (a float modulo cost a tenth of a lookup). */
  readonly #mask: number
  /** How many keys it was sized for; past that, false positives grow and it should be rebuilt larger. */
  readonly capacity: number
  #count = 0

  constructor(capacity: number) {
    let bits = 1 << 16
    while (bits < capacity * BITS_PER_KEY) bits *= 2
    this.#bits = new Uint32Array(bits / 32)
    this.#mask = bits - 1
    this.capacity = bits / BITS_PER_KEY
  }

  get full(): boolean {
    return this.#count > this.capacity
  }

  add(key: number): void {
    const h1 = key >>> 0 // key % 2^32
    const h2 = Math.floor(key / TWO_32) * 2 + 1
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) & this.#mask
      this.#bits[bit >>> 5]! |= 1 << (bit & 31)
    }
    this.#count++
  }

  mightHave(key: number): boolean {
    const h1 = key >>> 0 // key % 2^32
    const h2 = Math.floor(key / TWO_32) * 2 + 1
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) & this.#mask
      if ((this.#bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false
    }
    return true
  }
}

const BITS_PER_KEY = 10
const PROBES = 7
const TWO_32 = 2 ** 32
