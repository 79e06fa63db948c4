import { SluiceError } from '../core/sluice-error.js'
import { knownKeys } from '../core/check-option.js'
import { type Clock, systemClock } from '../core/clock.js'
import type { MarMode } from '../contracts/mar-store.js'

/**
 * MAR metering of a sync (`sync({ mar })`, `createConnector({ mar })`): how to count, the
 * monthly budget with its warning thresholds, and what to do past it.
 * `{}` meters exactly with no budget.
 *
 * @example
 * ```ts
 * import type { MarOptions } from 'sluice'
 * const mar: MarOptions = { budget: { monthly: 1_000_000, warnAt: [0.5, 0.8, 1.0] }, onExceed: 'stop' }
 * ```
 */
export interface MarOptions {
  /**
   * `'exact'` (default): every key of the month is kept (64-bit hashes; during a sync the month's
   * keys of each table written sit in memory, ~16–32 B per active row). `'approximate'`: a
   * 16 KiB HyperLogLog sketch per table and month (±2 %), for tables past ~10M active rows a month.
   */
  readonly mode?: MarMode
  readonly budget?: {
    /** Distinct rows a month, over all tables of the connector. */
    readonly monthly: number
    /** Fractions of `monthly` that fire `marThreshold` (once each per month). Default [0.5, 0.8, 1.0]. */
    readonly warnAt?: readonly number[]
  }
  /** Past the budget: `'warn'` (default) keeps going; `'stop'` ends the sync at the next checkpoint (`stopReason: 'mar_budget'`). */
  readonly onExceed?: 'warn' | 'stop'
  /** What decides the month of a write (default `systemClock`); tests pass a fixed time. */
  readonly clock?: Pick<Clock, 'now'>
}

/** MarOptions with defaults applied, validated. */
export interface MarSettings {
  readonly mode: MarMode
  readonly budget: number | undefined
  readonly warnAt: readonly number[]
  readonly onExceed: 'warn' | 'stop'
  readonly clock: Pick<Clock, 'now'>
}

function invalid(what: string, expected: string, value: unknown): SluiceError {
  return new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${what}\` must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
    context: { option: what },
  })
}

/**
 * Validates `mar` options and applies defaults; throws `CONFIG_INVALID` naming the bad option.
 * Called when a sync or connector is built, never on the first batch.
 *
 * @example
 * ```ts
 * import { marSettings } from './mar-options.js'
 * marSettings({ budget: { monthly: 1000 } }).warnAt // [0.5, 0.8, 1]
 * ```
 */
export function marSettings(options: MarOptions, where = 'mar'): MarSettings {
  if (typeof options !== 'object' || options === null) throw invalid(where, "an object such as { mode: 'exact' }", options)
  knownKeys(options, ['mode', 'budget', 'onExceed', 'clock'], where)
  knownKeys(options.budget, ['monthly', 'warnAt'], `${where}.budget`)
  const mode = options.mode ?? 'exact'
  if (mode !== 'exact' && mode !== 'approximate') throw invalid(`${where}.mode`, "'exact' or 'approximate'", mode)
  const onExceed = options.onExceed ?? 'warn'
  if (onExceed !== 'warn' && onExceed !== 'stop') throw invalid(`${where}.onExceed`, "'warn' or 'stop'", onExceed)
  let budget: number | undefined
  let warnAt: readonly number[] = []
  if (options.budget !== undefined) {
    budget = options.budget?.monthly
    if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1) throw invalid(`${where}.budget.monthly`, 'a positive integer (rows a month)', budget)
    const given = options.budget.warnAt ?? [0.5, 0.8, 1.0]
    if (!Array.isArray(given)) throw invalid(`${where}.budget.warnAt`, 'an array of fractions such as [0.5, 0.8, 1.0]', given)
    for (const f of given) {
      if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) throw invalid(`${where}.budget.warnAt`, 'fractions of the budget greater than 0 (1.0 = the budget)', given)
    }
    warnAt = [...new Set(given)].sort((a, b) => a - b)
  } else if (options.onExceed === 'stop') {
    throw invalid(`${where}.budget`, "set when onExceed is 'stop' (e.g. { monthly: 1_000_000 })", undefined)
  }
  const clock = options.clock ?? systemClock
  if (typeof clock?.now !== 'function') throw invalid(`${where}.clock`, 'a clock with now()', clock)
  return { mode, budget, warnAt, onExceed, clock }
}
