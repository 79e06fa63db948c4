import { SluiceError } from '../core/sluice-error.js'

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/

/**
 * The calendar month (UTC) of a time in ms since the epoch, as `'YYYY-MM'`: the period MAR is
 * counted in, as Fivetran bills it.
 * Use it to name the month of a write or to ask `marReport` for the current month.
 *
 * @example
 * ```ts
 * import { marMonth } from './mar-month.js'
 * marMonth(Date.UTC(2026, 10, 30, 23, 59)) // '2026-11'
 * ```
 */
export function marMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7)
}

/**
 * Checks a month given as text (`'2026-11'`) and returns it; throws `CONFIG_INVALID` naming `what`.
 * Use it on months that come from users (CLI flags, report filters).
 *
 * @example
 * ```ts
 * import { parseMarMonth } from './mar-month.js'
 * parseMarMonth('2026-11', 'month') // '2026-11'
 * ```
 */
export function parseMarMonth(value: unknown, what: string): string {
  if (typeof value === 'string' && MONTH.test(value)) return value
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${what}\` must be a calendar month as 'YYYY-MM' (e.g. '2026-11'), got ${JSON.stringify(value)}`,
    context: { option: what },
  })
}
