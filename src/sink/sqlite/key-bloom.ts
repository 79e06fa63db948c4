/**
 * A Bloom filter of 52-bit row keys (uniformly random: they are hash bits), 10 bits and 7 probes
 * per key (~1 % false positives): tells most new rows of a keyless table that they aren't in the
 * row index without a B-tree search — at 10M rows those searches were a fifth of a keyless sync.
 *
 * It grows without reading the keys again: when its newest layer holds what it was sized for, a
 * layer twice that size takes the keys added after. A key is in the filter when any layer may
 * have it, so false positives add up across layers (~1 % each, a handful of layers at most).
 */
export class KeyBloom {
  readonly #layers: Layer[] = []

  /** `capacity`: the keys the first layer is sized for. */
  constructor(capacity: number) {
    this.#layers.push(new Layer(capacity))
  }

  /** Layers so far (the filter's growth, for tests). */
  get layers(): number {
    return this.#layers.length
  }

  add(key: number): void {
    let last = this.#layers[this.#layers.length - 1]!
    if (last.count >= last.capacity) this.#layers.push((last = new Layer(last.capacity * 2)))
    last.add(key)
  }

  mightHave(key: number): boolean {
    const layers = this.#layers
    for (let i = 0; i < layers.length; i++) if (layers[i]!.mightHave(key)) return true
    return false
  }
}

/** One fixed-size filter. */
class Layer {
  readonly #bits: Uint32Array
  /** Bits - 1: the size is a power of two ≤ 2^31, so `% size` is `& mask` (a float modulo cost a tenth of a lookup). */
  readonly #mask: number
  /** How many keys it is sized for; past that, false positives grow. */
  readonly capacity: number
  count = 0

  constructor(capacity: number) {
    let bits = 1 << 16
    while (bits < capacity * BITS_PER_KEY && bits < MAX_BITS) bits *= 2
    this.#bits = new Uint32Array(bits / 32)
    this.#mask = bits - 1
    this.capacity = bits / BITS_PER_KEY
  }

  add(key: number): void {
    const h1 = key >>> 0 // key % 2^32
    const h2 = Math.floor(key / TWO_32) * 2 + 1
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) & this.#mask
      this.#bits[bit >>> 5]! |= 1 << (bit & 31)
    }
    this.count++
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
/** 2^31 bits (256 MiB): the largest layer (`& mask` works on 32-bit integers). */
const MAX_BITS = 2 ** 31
