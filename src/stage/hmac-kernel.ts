/**
 * HMAC-SHA256 in plain JavaScript from precomputed midstates (FIPS 180-4 SHA-256, RFC 2104 HMAC).
 *
 * Why not `node:crypto`: one HMAC of a short value is two compressions once the states after the
 * key's ipad and opad blocks are kept, while two one-shot `crypto.hash` calls run four (each hashes
 * its 64-byte pad block again) and pay a native call and a string each. Here a whole column is
 * hashed in one loop over one UTF-8 buffer, into one output buffer: no call, string or object per
 * value. It runs on the hash worker thread (`HmacWorker`), so it is kept as source text that the
 * worker evaluates; `hmacKernel()` evaluates the same text on the calling thread (tests check it
 * against `createHmac`).
 */
export const HMAC_KERNEL_SOURCE = String.raw`
function hmacKernel(ipad, opad) {
  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ])
  const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
  const W = new Int32Array(64)
  const H = new Int32Array(8)
  let block = new Uint8Array(128)
  const outerBlock = new Uint8Array(64)

  // One SHA-256 compression of the 64 bytes of m at off into H.
  function compress(m, off) {
    for (let t = 0; t < 16; t++) {
      const i = off + 4 * t
      W[t] = (m[i] << 24) | (m[i + 1] << 16) | (m[i + 2] << 8) | m[i + 3]
    }
    for (let t = 16; t < 64; t++) {
      const a = W[t - 15]
      const b = W[t - 2]
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
      W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0
    }
    let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7]
    for (let t = 0; t < 64; t++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0
    }
    H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0
    H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0
  }

  // The state after one 64-byte pad block: where every inner (ipad) or outer (opad) hash starts.
  function midstate(pad) {
    for (let i = 0; i < 8; i++) H[i] = IV[i]
    compress(pad, 0)
    return Int32Array.from(H)
  }
  const inner = midstate(ipad)
  const outer = midstate(opad)

  // The outer block is fixed but for the inner digest: 32 bytes, 0x80, zeros, bit length (64 + 32) * 8.
  outerBlock[32] = 0x80
  outerBlock[62] = 0x03

  // Writes HMAC(data[from, to)) as 32 bytes into out at at.
  function hmac(data, from, to, out, at) {
    const n = to - from
    const blocks = (n + 9 + 63) >>> 6
    if (blocks * 64 > block.length) block = new Uint8Array(blocks * 128)
    block.set(data.subarray(from, to), 0)
    block[n] = 0x80
    const end = blocks * 64
    block.fill(0, n + 1, end - 8)
    // Message bit length, counting the 64-byte ipad block before it (values stay far below 2^32 bytes).
    const bits = (64 + n) * 8
    block[end - 8] = 0; block[end - 7] = 0; block[end - 6] = 0
    block[end - 5] = Math.floor(bits / 4294967296) & 0xff
    block[end - 4] = (bits >>> 24) & 0xff; block[end - 3] = (bits >>> 16) & 0xff
    block[end - 2] = (bits >>> 8) & 0xff; block[end - 1] = bits & 0xff
    H.set(inner)
    for (let off = 0; off < end; off += 64) compress(block, off)
    for (let i = 0; i < 8; i++) {
      const v = H[i]
      outerBlock[4 * i] = v >>> 24; outerBlock[4 * i + 1] = (v >>> 16) & 0xff
      outerBlock[4 * i + 2] = (v >>> 8) & 0xff; outerBlock[4 * i + 3] = v & 0xff
    }
    H.set(outer)
    compress(outerBlock, 0)
    for (let i = 0; i < 8; i++) {
      const v = H[i]
      out[at + 4 * i] = v >>> 24; out[at + 4 * i + 1] = (v >>> 16) & 0xff
      out[at + 4 * i + 2] = (v >>> 8) & 0xff; out[at + 4 * i + 3] = v & 0xff
    }
  }
  return hmac
}
`

/** Writes HMAC-SHA256(data[from, to)) as 32 bytes into `out` at `at`. */
export type HmacInto = (data: Uint8Array, from: number, to: number, out: Uint8Array, at: number) => void

/** The kernel for the key whose padded blocks are `ipad` and `opad` (64 bytes each), on this thread. */
export function hmacKernel(ipad: Uint8Array, opad: Uint8Array): HmacInto {
  // The same text the worker evaluates: one implementation, tested here against node:crypto.
  const make = new Function(`${HMAC_KERNEL_SOURCE}\nreturn hmacKernel`)() as (ipad: Uint8Array, opad: Uint8Array) => HmacInto
  return make(ipad, opad)
}
