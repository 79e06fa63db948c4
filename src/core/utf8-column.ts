/**
 * UTF-8 encoding of a string column into one buffer with Int32 offsets, as Arrow and DuckDB take it.
 * Its own module, away from batch-to-arrow.ts, so that the DuckDB sink uses it without loading
 * apache-arrow.
 */

/** Strings joined per write into the column buffer: long enough to amortise the native call, short enough to stay in cache. */
const JOIN_CHUNK = 256

/**
 * One UTF-8 buffer and Int32 offsets for a string column. Encoding joined runs of strings is far
 * faster than per-string encoding (see LIMITS.md). The common case is all ASCII, where bytes
 * equal UTF-16 units: the offsets follow from the lengths, and runs of 256 joined strings are
 * written straight into the exact-size buffer (joining the whole column at once measured ~20%
 * slower: one big flat string, then a second copy into the Buffer). A run with any non-ASCII
 * text sends the column to the general path, which measures each string's byte length.
 */
export function utf8(strings: readonly string[]): { offsets: Int32Array; data: Uint8Array } {
  const n = strings.length
  const offsets = new Int32Array(n + 1)
  let pos = 0
  for (let i = 0; i < n; i++) {
    pos += strings[i]!.length
    offsets[i + 1] = pos
  }
  const data = Buffer.allocUnsafe(pos)
  for (let i = 0, at = 0; i < n; i += JOIN_CHUNK) {
    const run = n <= JOIN_CHUNK ? strings.join('') : strings.slice(i, i + JOIN_CHUNK).join('')
    if (Buffer.byteLength(run, 'utf8') !== run.length) return utf8General(strings, offsets)
    at += data.write(run, at, 'latin1') // ASCII: latin1 bytes are the UTF-8 bytes, and cheaper to write
  }
  return { offsets, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

/** Any text: one UTF-8 encoding of the joined column, offsets from each string's byte length. */
function utf8General(strings: readonly string[], offsets: Int32Array): { offsets: Int32Array; data: Uint8Array } {
  const data = Buffer.from(strings.join(''), 'utf8')
  let pos = 0
  for (let i = 0; i < strings.length; i++) {
    pos += Buffer.byteLength(strings[i]!, 'utf8')
    offsets[i + 1] = pos
  }
  return { offsets, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}
