import { baseType } from '../core/column-type.js'
import { isNull, type Batch, type Column } from '../core/batch.js'
import { rowHashes } from '../core/row-hash.js'
import type { MarKeys } from '../contracts/mar-store.js'

// The type lives with the store contract that takes it (`MarStore.meter`); re-exported for the hash's users.
export type { MarKeys } from '../contracts/mar-store.js'

// The hash is part of the on-disk format of `_sluice_mar_keys` and of the sketches: changing it
// would make every key of the current month look new. Treat it as frozen.

/** murmur3's 32-bit finaliser: a full-avalanche bijection on 32 bits. */
function fmix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

/**
 * Four Feistel rounds over (hi, lo) with fmix32 as the round function. A Feistel network is a
 * bijection whatever its round function, so distinct 64-bit integer keys never collide: MAR of
 * integer-keyed tables is exact, not merely exact with high probability.
 */
function mix64(hi: number, lo: number, out: Uint32Array, at: number): void {
  lo = (lo ^ fmix32(hi ^ 0x9e3779b9)) >>> 0
  hi = (hi ^ fmix32(lo ^ 0x7f4a7c15)) >>> 0
  lo = (lo ^ fmix32(hi ^ 0x94d049bb)) >>> 0
  hi = (hi ^ fmix32(lo ^ 0xbf58476d)) >>> 0
  out[at] = hi
  out[at + 1] = lo
}

const scratch = new Uint32Array(2)

/** Two 32-bit lanes over the UTF-16 code units of `text` (cyrb53's structure), seeded by a previous key part. */
function hashText(text: string, seedHi: number, seedLo: number, out: Uint32Array, at: number): void {
  let h1 = 0xdeadbeef ^ seedLo
  let h2 = 0x41c6ce57 ^ seedHi
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  mix64(h2 >>> 0, (h1 ^ text.length) >>> 0, out, at)
}

/** Reads the key text of row i of a column: strings as stored (JSON as its text), integers as decimal, bytes as hex. */
function textReader(column: Column): (i: number) => string {
  const values = column.values
  switch (baseType(column.type)) {
    case 'BOOLEAN':
    case 'SHORT':
    case 'INT':
    case 'LONG':
    case 'FLOAT':
    case 'DOUBLE':
      return (i) => String((values as ArrayLike<number | bigint>)[i])
    case 'BINARY':
      return (i) => Buffer.from((values as Uint8Array[])[i]!).toString('hex')
    default:
      return (i) => (values as string[])[i]!
  }
}

/** Integer storage (two's complement words) of an integer-valued column, or undefined when a row is not an integer. */
function integerWords(column: Column, n: number, out: Uint32Array): boolean {
  const values = column.values
  switch (baseType(column.type)) {
    case 'LONG': {
      const big = values as BigInt64Array
      const words = new Uint32Array(big.buffer, big.byteOffset, n * 2) // little-endian: low word first
      for (let i = 0; i < n; i++) mix64(words[2 * i + 1]!, words[2 * i]!, out, 2 * i)
      return true
    }
    case 'SHORT':
    case 'INT':
    case 'BOOLEAN': {
      const ints = values as Int32Array | Int16Array | Uint8Array
      for (let i = 0; i < n; i++) {
        const v = ints[i]!
        mix64(v < 0 ? 0xffffffff : 0, v >>> 0, out, 2 * i)
      }
      return true
    }
    case 'DOUBLE':
    case 'FLOAT': {
      const nums = values as Float64Array | Float32Array
      for (let i = 0; i < n; i++) if (!Number.isSafeInteger(nums[i]!)) return false
      // An integral double keys like the same integer stored as INT/LONG (a widened key keeps its MAR).
      for (let i = 0; i < n; i++) {
        const v = nums[i]!
        mix64(Math.floor(v / 4294967296) >>> 0, v >>> 0, out, 2 * i)
      }
      return true
    }
    default:
      return false
  }
}

/**
 * The 64-bit MAR key of every row of a batch: by the primary key when the table has one, else by
 * the row's `_sluice_id` (its content hash), as the sinks key such rows. A single integer key
 * (SHORT, INT, LONG, or a DOUBLE holding integers) hashes through a bijection, so it never
 * collides; other keys hash their text (composite keys part by part), where two distinct keys
 * collide with probability about n²/2⁶⁵ (3·10⁻⁸ at a million keys a month).
 * Use it to meter a batch; it costs one pass over the key columns and no allocation per row.
 *
 * @example
 * ```ts
 * import { batchFromRows } from 'sluice'
 * import { marKeys } from './key-hash.js'
 * const keys = marKeys(batchFromRows([{ id: 1 }, { id: 1 }]), ['id'])
 * keys.length // 4: two rows, two words each, both the same key
 * ```
 */
export function marKeys(batch: Batch, primaryKey: readonly string[]): MarKeys {
  const n = batch.length
  const out = new Uint32Array(n * 2)
  if (n === 0) return out
  const columns = primaryKey.map((k) => batch.column(k))
  if (primaryKey.length === 0 || columns.some((c) => c === undefined)) {
    // Keyless table (or a key column missing, which sync rejects before metering): key by content.
    const hashes = rowHashes(batch)
    for (let i = 0; i < n; i++) {
      const h = hashes[i]!
      mix64(Number.parseInt(h.slice(0, 8), 16), Number.parseInt(h.slice(8, 16), 16), out, 2 * i)
    }
    return out
  }
  const first = columns[0]!
  if (columns.length === 1 && first.nullCount === 0 && integerWords(first, n, out)) return out
  const readers = columns.map((c) => textReader(c!))
  const nullable = columns.map((c) => (c!.nullCount > 0 ? c : undefined))
  for (let i = 0; i < n; i++) {
    let hi = 0
    let lo = 0
    for (let c = 0; c < readers.length; c++) {
      const column = nullable[c]
      hashText(column !== undefined && isNull(column, i) ? '\u0000' : readers[c]!(i), hi, lo, scratch, 0)
      hi = scratch[0]!
      lo = scratch[1]!
    }
    out[2 * i] = hi
    out[2 * i + 1] = lo
  }
  return out
}

/** `parts` as one array of `words` words (their lengths' sum). */
export function joinKeys(parts: readonly MarKeys[], words: number): MarKeys {
  const all = new Uint32Array(words)
  let at = 0
  for (const part of parts) {
    all.set(part, at)
    at += part.length
  }
  return all
}
