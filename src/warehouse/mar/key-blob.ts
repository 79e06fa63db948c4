import type { MarKeys } from '../../mar/key-hash.js'

/** Keys as stored: the two-word layout's bytes (little-endian words, as on every platform Node runs on). No copy. */
export function keysToBytes(keys: MarKeys): Uint8Array {
  return new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength)
}

/** Stored bytes as keys (copied: a driver's buffer may be unaligned or reused). */
export function keysFromBytes(bytes: Uint8Array): MarKeys {
  const keys = new Uint32Array(bytes.byteLength >>> 2)
  new Uint8Array(keys.buffer).set(bytes.subarray(0, keys.byteLength))
  return keys
}
