import { configInvalid, knownOptions, positiveInteger } from '../core/check-option.js'

/**
 * Options for `adaptiveSize`: the size ladder and how many successes earn a step back up.
 * Pass them when a source's batch size should adapt to failures.
 *
 * @example
 * ```ts
 * import type { AdaptiveSizeOptions } from './adaptive-size.js'
 * const options: AdaptiveSizeOptions = { sizes: [500, 50, 5], growAfter: 10 }
 * ```
 */
export interface AdaptiveSizeOptions {
  /** Sizes to step through, largest first. Default [1000, 500, 250, 50, 10, 1]. */
  readonly sizes?: readonly number[]
  /** Consecutive successes before growing one step. Default 5. */
  readonly growAfter?: number
}

/**
 * A batch size that shrinks on failure and grows back after a run of successes, made by `adaptiveSize`.
 * Ask `current` before each batch; call `shrink()` on a failure and `succeed()` after each success.
 *
 * @example
 * ```ts
 * import { adaptiveSize, type AdaptiveSize } from './adaptive-size.js'
 * const take: AdaptiveSize = adaptiveSize()
 * const limit = take.current // 1000
 * ```
 */
export interface AdaptiveSize {
  /** The size to use for the next batch. */
  readonly current: number
  /** True when `current` is the smallest size. */
  readonly atSmallest: boolean
  /** Steps down one size; returns false (and stays) when already at the smallest. */
  shrink(): boolean
  /** Records a success; after `growAfter` in a row, steps up one size. Returns true when it grew. */
  succeed(): boolean
}

/**
 * Builds an adaptive batch size (1000 → 500 → 250 → 50 → 10 → 1 by default), validated now.
 * Use it for queries or pages that fail when too large (timeouts, payload limits) to find a size that works and recover.
 *
 * @example
 * ```ts
 * import { adaptiveSize } from './adaptive-size.js'
 * const take = adaptiveSize({ sizes: [1000, 500, 250, 50, 10, 1], growAfter: 5 })
 * take.shrink()
 * take.current // 500
 * ```
 */
export function adaptiveSize(options: AdaptiveSizeOptions = {}): AdaptiveSize {
  knownOptions(options, { sizes: true, growAfter: true }, 'adaptiveSize')
  const sizes = [...(options.sizes ?? [1000, 500, 250, 50, 10, 1])]
  if (sizes.length === 0) throw configInvalid('adaptiveSize.sizes', 'a non-empty list of sizes, largest first', '[]')
  sizes.forEach((size, i) => {
    positiveInteger(`adaptiveSize.sizes[${i}]`, size)
    if (i > 0 && size >= sizes[i - 1]!) {
      throw configInvalid(`adaptiveSize.sizes[${i}]`, `smaller than the size before it (${sizes[i - 1]}), largest first`, size)
    }
  })
  const growAfter = positiveInteger('adaptiveSize.growAfter', options.growAfter ?? 5)
  let index = 0
  let streak = 0

  return {
    get current() {
      return sizes[index]!
    },
    get atSmallest() {
      return index === sizes.length - 1
    },
    shrink() {
      streak = 0
      if (index === sizes.length - 1) return false
      index++
      return true
    },
    succeed() {
      if (index === 0) return false
      streak++
      if (streak < growAfter) return false
      streak = 0
      index--
      return true
    },
  }
}
