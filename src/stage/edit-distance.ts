/**
 * The number of single-character edits (insert, delete, substitute, or swap two neighbours) that
 * turn `a` into `b` — the optimal string alignment distance, so the common typo `emial` is 1
 * from `email`, not 2. Case-sensitive: compare normalised names. Stops counting past `max`
 * (returns `max + 1`), which is all a "did you mean" needs and keeps long names cheap.
 *
 * @example
 * ```ts
 * import { editDistance } from './edit-distance.js'
 * editDistance('emial', 'email') // 1
 * editDistance('usres', 'users') // 1
 * ```
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0
  if (Math.abs(a.length - b.length) > max) return max + 1
  // Three rolling rows: the swap needs the row before the previous one.
  let before = new Array<number>(b.length + 1).fill(0)
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  let current = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    current[0] = i
    let best = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1)
      current[j] = d
      if (d < best) best = d
    }
    if (best > max) return max + 1
    ;[before, previous, current] = [previous, current, before]
  }
  return Math.min(previous[b.length]!, max + 1)
}
