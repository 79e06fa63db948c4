/** A half-open time interval [from, to) in epoch ms. */
export type Interval = readonly [from: number, to: number]

/**
 * `intervals` (sorted, disjoint, merged) with `added` merged in: overlapping or adjacent intervals become one.
 * `timeWindows` keeps its finished windows this way, so its state stays small however windows finish.
 *
 * @example
 * ```ts
 * import { addInterval } from './merged-intervals.js'
 * addInterval([[0, 10], [20, 30]], [10, 20]) // [[0, 30]]
 * ```
 */
export function addInterval(intervals: readonly Interval[], added: Interval): Interval[] {
  const out: Interval[] = []
  let [from, to] = added
  let placed = false
  for (const iv of intervals) {
    if (iv[1] < from) out.push(iv)
    else if (iv[0] > to) {
      if (!placed) {
        out.push([from, to])
        placed = true
      }
      out.push(iv)
    } else {
      from = Math.min(from, iv[0])
      to = Math.max(to, iv[1])
    }
  }
  if (!placed) out.push([from, to])
  return out
}

/**
 * The parts of [from, to) not covered by `covered` (sorted, disjoint), in order.
 * Used to plan only the windows a previous sync has not finished.
 *
 * @example
 * ```ts
 * import { gapsOf } from './merged-intervals.js'
 * gapsOf([[10, 20]], 0, 30) // [[0, 10], [20, 30]]
 * ```
 */
export function gapsOf(covered: readonly Interval[], from: number, to: number): Interval[] {
  const gaps: Interval[] = []
  let cursor = from
  for (const [a, b] of covered) {
    if (b <= cursor) continue
    if (a >= to) break
    if (a > cursor) gaps.push([cursor, a])
    cursor = Math.max(cursor, b)
  }
  if (cursor < to) gaps.push([cursor, to])
  return gaps
}
