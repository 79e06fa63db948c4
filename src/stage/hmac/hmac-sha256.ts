import { createHash, createHmac } from 'node:crypto'
import { hmacModule, IV, LAYOUT } from './hmac-program.js'
import { readHexDigests, writeUtf8 } from './batch-text.js'
import { instantiate, type WasmMemory, type WasmModule } from './wasm-encoder.js'

/** The two padded key blocks of HMAC-SHA256 (RFC 2104): all a hasher needs of the salt. */
export interface Pads {
  readonly ipad: Buffer
  readonly opad: Buffer
}

/** The key's ipad and opad blocks (a key longer than a block is hashed first). */
export function padsOf(key: Uint8Array): Pads {
  const k = key.byteLength > 64 ? createHash('sha256').update(key).digest() : key
  const ipad = Buffer.alloc(64, 0x36)
  const opad = Buffer.alloc(64, 0x5c)
  for (let i = 0; i < k.byteLength; i++) {
    ipad[i]! ^= k[i]!
    opad[i]! ^= k[i]!
  }
  return { ipad, opad }
}

interface Kernel {
  readonly memory: WasmMemory
  compress(): void
  hmac(n: number, offsets: number, data: number, out: number): void
}

/** HMAC-SHA256 of a column's values, as lowercase hex. */
export interface ColumnHmac {
  /** Of the UTF-8 bytes of each text, in order. */
  texts(texts: readonly string[]): string[]
  /** Of each value's bytes, in order. */
  bytes(values: readonly Uint8Array[]): string[]
  /** The key's midstates for a worker's kernel; `undefined` without the WebAssembly kernel. */
  readonly midstates: Int32Array | undefined
}

/** The WebAssembly kernel for `key`, or `createHmac` per value where WebAssembly is unavailable (`node --jitless`). */
export function columnHmac(key: Uint8Array): ColumnHmac {
  const module = hmacModule()
  return module ? new HmacSha256(key, module) : new NodeHmac(key)
}

/** `createHmac` per value: the fallback, ~10× slower than the kernel. */
class NodeHmac implements ColumnHmac {
  readonly midstates = undefined
  readonly #key: Buffer

  constructor(key: Uint8Array) {
    this.#key = Buffer.from(key)
  }

  texts(texts: readonly string[]): string[] {
    return texts.map((t) => createHmac('sha256', this.#key).update(t, 'utf8').digest('hex'))
  }

  bytes(values: readonly Uint8Array[]): string[] {
    return values.map((v) => createHmac('sha256', this.#key).update(v).digest('hex'))
  }
}

/**
 * HMAC-SHA256 of whole columns in one WebAssembly SIMD call per batch (see `hmac-program.ts`):
 * the same bytes as `createHmac('sha256', key).update(value).digest('hex')`, at a fraction of
 * its cost per value (no call, object or string per digest until the hex text). One instance per
 * key; its memory grows to the largest batch it was given. Made by {@link columnHmac}; not
 * exported from the package: `hashColumns` is the public face.
 */
export class HmacSha256 implements ColumnHmac {
  readonly #kernel: Kernel
  #bytes: Buffer

  constructor(key: Uint8Array, module: WasmModule) {
    this.#kernel = instantiate<Kernel>(module)
    this.#bytes = Buffer.from(this.#kernel.memory.buffer)
    const { ipad, opad } = padsOf(key)
    this.#midstates(ipad, opad)
    this.midstates = new Int32Array(this.#kernel.memory.buffer, LAYOUT.INNER, 16).slice()
  }

  /** The states after the ipad and the opad block (8 words each): what a worker's kernel needs of the key. */
  readonly midstates: Int32Array

  /** Lowercase hex HMACs of the UTF-8 bytes of `texts`, in order. */
  texts(texts: readonly string[]): string[] {
    const n = texts.length
    if (n === 0) return []
    const layout = this.#reserve(n, 0)
    const offsets = new Int32Array(n + 1)
    writeUtf8(texts, layout.data, offsets, (end) => this.#room(end))
    new Int32Array(this.#kernel.memory.buffer, layout.offsets, n + 1).set(offsets)
    return this.#run(n, layout)
  }

  /** Lowercase hex HMACs of `values`, in order. */
  bytes(values: readonly Uint8Array[]): string[] {
    const n = values.length
    if (n === 0) return []
    let total = 0
    for (const v of values) total += v.byteLength
    const layout = this.#reserve(n, total)
    const offsets = new Int32Array(this.#kernel.memory.buffer, layout.offsets, n + 1)
    offsets[0] = 0
    let pos = 0
    for (let i = 0; i < n; i++) {
      this.#bytes.set(values[i]!, layout.data + pos)
      offsets[i + 1] = pos += values[i]!.byteLength
    }
    return this.#run(n, layout)
  }

  #run(n: number, layout: { offsets: number; data: number; out: number }): string[] {
    this.#kernel.hmac(n, layout.offsets, layout.data, layout.out)
    return readHexDigests(this.#bytes, layout.out, n)
  }

  /** Room for `n` offsets, `dataBytes` of input and `n` (rounded up to 4) hex digests, growing the memory if needed. */
  #reserve(n: number, dataBytes: number): { offsets: number; data: number; out: number } {
    const layout = reserve(this.#kernel.memory, n, dataBytes, LAYOUT.DYNAMIC)
    this.#room(0)
    return layout
  }

  /** The memory as a Buffer of at least `end` bytes (its input comes last, so it may grow). */
  #room(end: number): Buffer {
    const memory = this.#kernel.memory
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65_536))
    // Growing detaches the old ArrayBuffer (here or in `reserve`): view the new one.
    if (this.#bytes.buffer !== memory.buffer) this.#bytes = Buffer.from(memory.buffer)
    return this.#bytes
  }

  /** INNER and OUTER: the states after compressing the ipad and the opad block from the IV (lanes 0 and 1). */
  #midstates(ipad: Buffer, opad: Buffer): void {
    const memory = new DataView(this.#kernel.memory.buffer)
    for (let i = 0; i < 8; i++) for (let j = 0; j < 4; j++) memory.setInt32(LAYOUT.STATE + 16 * i + 4 * j, IV[i]!, true)
    for (let t = 0; t < 16; t++) {
      memory.setInt32(LAYOUT.W + 16 * t, ipad.readInt32BE(4 * t), true)
      memory.setInt32(LAYOUT.W + 16 * t + 4, opad.readInt32BE(4 * t), true)
    }
    this.#kernel.compress()
    for (let i = 0; i < 8; i++) {
      memory.setInt32(LAYOUT.INNER + 4 * i, memory.getInt32(LAYOUT.STATE + 16 * i, true), true)
      memory.setInt32(LAYOUT.OUTER + 4 * i, memory.getInt32(LAYOUT.STATE + 16 * i + 4, true), true)
    }
  }
}

/**
 * Where a call's offsets, hex digests and input go, from `offsets` on; the memory grown to hold
 * them (64 KiB pages). Kept free of outside references: the hash worker evaluates its source text.
 */
export function reserve(memory: WasmMemory, n: number, dataBytes: number, offsets: number): { offsets: number; data: number; out: number } {
  const out = (offsets + 4 * (n + 1) + 15) & ~15
  const data = out + 64 * (n + 3) // groups of four: up to three digests past the last value
  const end = data + dataBytes
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65_536))
  return { offsets, data, out }
}

