/**
 * Moving a column's text into and out of byte buffers in chunks. V8 allocates a string of more
 * than ~128 KiB in its large-object space, which measured several times slower per byte here
 * (joining 10k e-mail addresses: 100 ns a value in one piece, 45 in pieces; decoding 10k hex
 * digests: 76 ns against 12), so no string built here grows past ~64 KiB.
 */

/** UTF-16 units joined per write: a chunk's string stays below the large-object limit. */
const JOIN_UNITS = 32_768 // units (≤ 96 KiB of UTF-8)

/** Digests decoded per string: 1024 × 64 hex digits = 64 KiB. */
const DECODE_DIGESTS = 1024

/**
 * Writes the UTF-8 bytes of `texts` one after the other from byte `at`, and their end offsets
 * relative to `at` into `offsets[1…n]` (`offsets[0]` is 0). `room(end)` returns the buffer to write
 * to, holding at least `end` bytes (it may grow a new one: what was written before must be in it).
 * Returns the number of bytes written. One pass over the values: on a large heap, reading each
 * string costs a cache miss, which a separate pass to size the buffer would pay again.
 */
export function writeUtf8(texts: readonly string[], at: number, offsets: Int32Array, room: (end: number) => Buffer): number {
  const n = texts.length
  offsets[0] = 0
  let pos = 0
  for (let start = 0; start < n; ) {
    let end = start
    let units = 0
    while (end < n && (end === start || units + texts[end]!.length <= JOIN_UNITS)) units += texts[end++]!.length
    let joined = texts[start]!
    for (let i = start + 1; i < end; i++) joined += texts[i]! // a rope, flattened once by the write
    const written = room(at + pos + 3 * units).write(joined, at + pos, 'utf8')
    if (written === units) {
      for (let i = start; i < end; i++) offsets[i + 1] = pos += texts[i]!.length // all ASCII: a byte per unit
    } else {
      for (let i = start; i < end; i++) offsets[i + 1] = pos += Buffer.byteLength(texts[i]!, 'utf8')
    }
    start = end
  }
  return pos
}

/** The `n` digests of 64 hex digits each in `bytes` from `at`, as strings. */
export function readHexDigests(bytes: Buffer, at: number, n: number): string[] {
  const result = new Array<string>(n)
  for (let start = 0; start < n; start += DECODE_DIGESTS) {
    const end = Math.min(n, start + DECODE_DIGESTS)
    const hex = bytes.toString('latin1', at + 64 * start, at + 64 * end)
    // Slices share `hex` instead of copying 64 characters each.
    for (let i = start; i < end; i++) result[i] = hex.slice(64 * (i - start), 64 * (i - start) + 64)
  }
  return result
}
