import { SluiceError } from '../core/sluice-error.js'

/**
 * `PartitionsArgs.max` checked: a positive safe integer, else `CONFIG_INVALID` naming it.
 * Every source's `partitions()` checks it before planning.
 *
 * @example
 * ```ts
 * import { partitionMax } from './partition-max.js'
 * partitionMax(64) // 64
 * ```
 */
export function partitionMax(max: unknown): number {
  if (Number.isSafeInteger(max) && (max as number) >= 1) return max as number
  throw new SluiceError({ code: 'CONFIG_INVALID', message: `partitions({ max }) must be a positive integer (partitions at most), got ${JSON.stringify(max)}`, context: { option: 'max' } })
}
