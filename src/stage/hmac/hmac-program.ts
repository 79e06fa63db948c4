import { compileModule, encodeModule, FunctionWriter, type Local, type WasmModule } from './wasm-encoder.js'

/**
 * HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) of many values at once, as a WebAssembly SIMD
 * program: four values are hashed side by side, one per 32-bit lane of each v128, and the key's
 * ipad and opad blocks are compressed once per key (their midstates), so a value shorter than 56
 * bytes costs two compressions shared four ways. `node:crypto` pays a native call and a string per
 * digest (~0.5 µs for the two an HMAC needs on the machines LIMITS.md measures); this runs a whole
 * column in one call.
 *
 * Memory layout (byte offsets); everything from {@link DYNAMIC} on is the caller's per call.
 */
export const LAYOUT = {
  /** 8 × v128: the working hash state, lane j = value j of the group. */
  STATE: 0,
  /** 16 × v128: the message block being compressed, word t of lane j. */
  W: 128,
  /** 8 × i32: the state after the ipad block (where every inner hash starts). */
  INNER: 384,
  /** 8 × i32: the state after the opad block (where every outer hash starts). */
  OUTER: 416,
  /** 4 × 64 bytes: lane j's current padded block, in message byte order. */
  LANES: 448,
  /** 4 × i32 each: lane j's first byte, its length, its block count. */
  OFF: 704,
  LEN: 720,
  BLOCKS: 736,
  /** 8 × v128: the state before the block, kept for lanes that have no more blocks. */
  OLD: 752,
  /** 4 × 32 bytes: the group's digests, before they become hex. */
  DIGESTS: 896,
  /** 64 × v128: the message schedule plus the round constants, W[t] + K[t]. */
  SCHEDULE: 1024,
  /** Offsets, input bytes and hex digests of a call start here. */
  DYNAMIC: 2048,
} as const

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]

/** SHA-256's initial state. */
export const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]

/** Reverses the bytes of each 32-bit lane (message bytes are big-endian words, wasm is little-endian). */
const BYTE_SWAP = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12]

/** "0123456789abcdef" as the lanes of a v128. */
const HEX_DIGITS = [0x33323130, 0x37363534, 0x62613938, 0x66656463] as const

/** Function indices in the module. */
const COMPRESS = 0

/**
 * `compress()`: one SHA-256 compression of the block in W into STATE, for all four lanes. The 64
 * rounds are unrolled, and the eight working variables rotate by renaming instead of moving.
 */
function writeCompress(): FunctionWriter {
  const f = new FunctionWriter([])
  const v = Array.from({ length: 8 }, () => f.local('v128'))
  const w = Array.from({ length: 16 }, () => f.local('v128'))
  const t1 = f.local('v128')
  const rotr = (x: Local, n: number) => f.get(x).i32(n).i32x4ShrU().get(x).i32(32 - n).i32x4Shl().v128Or()
  /** Pushes rotr(x, r1) ^ rotr(x, r2) ^ (x >>> s) or, with `s` negative, ^ rotr(x, -s). */
  const sigma = (x: Local, r1: number, r2: number, s: number) => {
    rotr(x, r1)
    rotr(x, r2).v128Xor()
    if (s < 0) rotr(x, -s)
    else f.get(x).i32(s).i32x4ShrU()
    f.v128Xor()
  }
  // The schedule first, with K added, so the rounds hold only the eight working variables in registers.
  for (let t = 0; t < 64; t++) {
    const wt = w[t % 16]!
    if (t < 16) f.i32(0).v128Load(LAYOUT.W + 16 * t).set(wt)
    else {
      // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], in the window's slot of W[t-16].
      sigma(w[(t - 2) % 16]!, 17, 19, 10)
      f.get(w[(t - 7) % 16]!).i32x4Add()
      sigma(w[(t - 15) % 16]!, 7, 18, 3)
      f.i32x4Add().get(wt).i32x4Add().set(wt)
    }
    f.i32(0).get(wt).splatConst(K[t]!).i32x4Add().v128Store(LAYOUT.SCHEDULE + 16 * t)
  }
  for (let i = 0; i < 8; i++) f.i32(0).v128Load(LAYOUT.STATE + 16 * i).set(v[i]!)
  for (let t = 0; t < 64; t++) {
    const role = (i: number) => v[(i - t + 64) % 8]!
    const [a, b, c, d, e, g6, g7, h] = [role(0), role(1), role(2), role(3), role(4), role(5), role(6), role(7)]
    // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t]; Ch is bitselect(f, g, e).
    f.get(h)
    sigma(e, 6, 11, -25)
    f.i32x4Add().get(g6).get(g7).get(e).v128Bitselect().i32x4Add()
    f.i32(0).v128Load(LAYOUT.SCHEDULE + 16 * t).i32x4Add().set(t1)
    // d += T1; h = T1 + Σ0(a) + Maj(a, b, c). Maj takes c where a and b differ, else a.
    f.get(d).get(t1).i32x4Add().set(d)
    f.get(t1)
    sigma(a, 2, 13, -22)
    f.i32x4Add().get(c).get(a).get(a).get(b).v128Xor().v128Bitselect().i32x4Add().set(h)
  }
  for (let i = 0; i < 8; i++) f.i32(0).i32(0).v128Load(LAYOUT.STATE + 16 * i).get(v[i]!).i32x4Add().v128Store(LAYOUT.STATE + 16 * i)
  return f
}

/**
 * `hmac(n, offsets, data, out)`: HMAC of the `n` values `data[offsets[i], offsets[i+1])` (offsets
 * are i32, relative to `data`) from the midstates in INNER and OUTER, as 64 lowercase hex digits
 * each at `out + 64 i`. `out` must have room for `n` rounded up to a multiple of 4 digests.
 */
function writeHmac(): FunctionWriter {
  const f = new FunctionWriter(['i32', 'i32', 'i32', 'i32'])
  const [n, offsets, data, out] = [f.param(0), f.param(1), f.param(2), f.param(3)]
  const group = f.local('i32')
  const maxBlocks = f.local('i32')
  const blk = f.local('i32')
  const start = f.local('i32')
  const len = f.local('i32')
  const avail = f.local('i32')
  const fill = f.local('i32')
  const at = f.local('i32')
  const bits = f.local('i32')
  const mask = f.local('v128')
  const word = f.local('v128')

  f.i32(0).set(group)
  f.block().loop()
  f.get(group).get(n).i32GeS().brIf(1)

  // Each lane's value: where it starts, its length, its block count (value + 0x80 + 8 length bytes).
  f.i32(0).set(maxBlocks)
  for (let j = 0; j < 4; j++) {
    f.get(group).i32(j).i32Add().get(n).i32LtS().if()
    f.get(offsets).get(group).i32(j).i32Add().i32(2).i32Shl().i32Add().set(at)
    f.i32(0).get(at).i32Load(4).get(at).i32Load(0).i32Sub().i32Store(LAYOUT.LEN + 4 * j)
    f.i32(0).get(data).get(at).i32Load(0).i32Add().i32Store(LAYOUT.OFF + 4 * j)
    f.else()
    f.i32(0).i32(0).i32Store(LAYOUT.LEN + 4 * j)
    f.i32(0).get(data).i32Store(LAYOUT.OFF + 4 * j)
    f.end()
    f.i32(0).i32(0).i32Load(LAYOUT.LEN + 4 * j).i32(72).i32Add().i32(6).i32ShrU().tee(at).i32Store(LAYOUT.BLOCKS + 4 * j)
    f.get(at).get(maxBlocks).get(at).get(maxBlocks).i32GtS().select().set(maxBlocks)
  }
  splatState(f, LAYOUT.INNER)

  // The inner hash, block by block; a lane past its last block keeps its state (masked).
  f.i32(0).set(blk)
  f.loop()
  f.get(blk).i32(6).i32Shl().set(start)
  for (let j = 0; j < 4; j++) writeLaneBlock(f, j, { blk, start, len, avail, fill, bits })
  for (let t = 0; t < 16; t++) {
    f.splatConst(0).set(word)
    for (let j = 0; j < 4; j++) f.i32(0).get(word).v128Load32Lane(j, LAYOUT.LANES + 64 * j + 4 * t).set(word)
    f.i32(0).get(word).get(word).shuffle(BYTE_SWAP).v128Store(LAYOUT.W + 16 * t)
  }
  for (let i = 0; i < 8; i++) f.i32(0).i32(0).v128Load(LAYOUT.STATE + 16 * i).v128Store(LAYOUT.OLD + 16 * i)
  f.i32(0).v128Load(LAYOUT.BLOCKS).get(blk).i32x4Splat().i32x4GtS().set(mask)
  f.call(COMPRESS)
  for (let i = 0; i < 8; i++) {
    f.i32(0).i32(0).v128Load(LAYOUT.STATE + 16 * i).i32(0).v128Load(LAYOUT.OLD + 16 * i).get(mask).v128Bitselect().v128Store(LAYOUT.STATE + 16 * i)
  }
  f.get(blk).i32(1).i32Add().tee(blk).get(maxBlocks).i32LtS().brIf(0)
  f.end()

  // The outer hash: one block of the inner digest, 0x80, zeros and the bit length (64 + 32) × 8.
  for (let i = 0; i < 8; i++) f.i32(0).i32(0).v128Load(LAYOUT.STATE + 16 * i).v128Store(LAYOUT.W + 16 * i)
  f.i32(0).splatConst(0x80000000).v128Store(LAYOUT.W + 16 * 8)
  for (let t = 9; t < 15; t++) f.i32(0).splatConst(0).v128Store(LAYOUT.W + 16 * t)
  f.i32(0).splatConst(768).v128Store(LAYOUT.W + 16 * 15)
  splatState(f, LAYOUT.OUTER)
  f.call(COMPRESS)

  // Digest words big-endian, lane j to DIGESTS + 32 j; then as lowercase hex to out + 64 (group + j).
  for (let i = 0; i < 8; i++) {
    f.i32(0).v128Load(LAYOUT.STATE + 16 * i).set(word)
    f.get(word).get(word).shuffle(BYTE_SWAP).set(word)
    for (let j = 0; j < 4; j++) f.i32(0).get(word).v128Store32Lane(j, LAYOUT.DIGESTS + 32 * j + 4 * i)
  }
  f.get(out).get(group).i32(6).i32Shl().i32Add().set(at)
  const interleave = (from: number) => Array.from({ length: 16 }, (_, k) => from + (k >> 1) + (k & 1 ? 16 : 0))
  for (let k = 0; k < 8; k++) {
    // Each byte's high and low nibble looked up in "0123456789abcdef", then interleaved high, low.
    f.i32(0).v128Load(LAYOUT.DIGESTS + 16 * k).set(word)
    f.v128Const(HEX_DIGITS).get(word).i32(4).i32x4ShrU().splatConst(0x0f0f0f0f).v128And().swizzle().set(mask)
    f.v128Const(HEX_DIGITS).get(word).splatConst(0x0f0f0f0f).v128And().swizzle().set(word)
    f.get(at).get(mask).get(word).shuffle(interleave(0)).v128Store(32 * k)
    f.get(at).get(mask).get(word).shuffle(interleave(8)).v128Store(32 * k + 16)
  }

  f.get(group).i32(4).i32Add().set(group)
  f.br(0)
  f.end().end()
  return f
}

/** STATE[i] = four lanes of the i32 at `from + 4 i`. */
function splatState(f: FunctionWriter, from: number): void {
  for (let i = 0; i < 8; i++) f.i32(0).i32(0).i32Load(from + 4 * i).i32x4Splat().v128Store(LAYOUT.STATE + 16 * i)
}

/**
 * Lane j's padded block number `blk` into LANES + 64 j: the value's bytes from `start`, then
 * 0x80 where the value ends, zeros, and in its last block the message length in bits counting
 * the 64-byte ipad block (big-endian in the last 8 bytes; values stay below 2^29 bytes).
 */
function writeLaneBlock(f: FunctionWriter, j: number, l: { blk: Local; start: Local; len: Local; avail: Local; fill: Local; bits: Local }): void {
  const dst = LAYOUT.LANES + 64 * j
  f.i32(0).i32Load(LAYOUT.LEN + 4 * j).tee(l.len).get(l.start).i32Sub().set(l.avail)
  f.get(l.avail).i32(64).i32GeS().if()
  f.i32(dst).i32(0).i32Load(LAYOUT.OFF + 4 * j).get(l.start).i32Add().i32(64).memoryCopy()
  f.else()
  f.i32(0).set(l.fill)
  f.get(l.avail).i32(0).i32GtS().if()
  f.i32(dst).i32(0).i32Load(LAYOUT.OFF + 4 * j).get(l.start).i32Add().get(l.avail).memoryCopy()
  f.get(l.avail).set(l.fill)
  f.end()
  f.i32(dst).get(l.fill).i32Add().i32(0).i32(64).get(l.fill).i32Sub().memoryFill()
  f.get(l.avail).i32(0).i32GeS().if()
  f.i32(dst).get(l.avail).i32Add().i32(0x80).i32Store8()
  f.end()
  f.get(l.blk).i32(1).i32Add().i32(0).i32Load(LAYOUT.BLOCKS + 4 * j).i32Eq().if()
  f.get(l.len).i32(64).i32Add().i32(3).i32Shl().set(l.bits)
  for (let k = 0; k < 4; k++) f.i32(dst).get(l.bits).i32(8 * k).i32ShrU().i32Store8(63 - k)
  f.end()
  f.end()
}

let compiled: WasmModule | undefined | null

/**
 * The compiled module (compiled once per thread; instances each have their own memory), or
 * `undefined` where WebAssembly SIMD is unavailable (`node --jitless`).
 */
export function hmacModule(): WasmModule | undefined {
  if (compiled === null) return undefined
  compiled ??= compileModule(
    encodeModule({
      memoryPages: 1,
      functions: [
        { writer: writeCompress(), export: 'compress' },
        { writer: writeHmac(), export: 'hmac' },
      ],
    }),
  ) ?? null
  return compiled ?? undefined
}
