/**
 * Which rows of a batch to keep so that each key appears once, as its last occurrence (a later
 * row for the same key wins, as it would applied row by row). `undefined` when every key is
 * already unique, the common case, so callers skip filtering. `keys` are the key columns'
 * values, one array per column.
 *
 * @example
 * ```ts
 * import { lastOccurrences } from './last-occurrences.js'
 * lastOccurrences([[1, 2, 1]], 3) // Uint8Array [0, 1, 1]
 * ```
 */
export function lastOccurrences(keys: readonly ArrayLike<unknown>[], length: number): Uint8Array | undefined {
  if (keys.length === 0 || length < 2) return undefined
  const seen = new Set<unknown>()
  const keep = new Uint8Array(length)
  let dropped = 0
  const single = keys.length === 1 ? keys[0]! : undefined
  for (let i = length - 1; i >= 0; i--) {
    // One column: its values compare as they are (numbers, bigints, strings); several: as one string.
    const key = single ? single[i] : keys.map((k) => keyText(k[i])).join('\u0000')
    if (seen.has(key)) {
      dropped++
      continue
    }
    seen.add(key)
    keep[i] = 1
  }
  return dropped === 0 ? undefined : keep
}

function keyText(value: unknown): string {
  return typeof value === 'string' ? `s${value}` : `${typeof value}${String(value)}`
}
