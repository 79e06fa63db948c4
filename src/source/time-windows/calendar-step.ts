import { parseDuration, type Duration } from '../../core/duration.js'
import { SluiceError } from '../../core/sluice-error.js'

/**
 * A window length: calendar months (a month is Jan 31 → Feb 28, not 30 days) or a fixed number of ms.
 * Made by `calendarStep`; `addCalendarStep` moves a UTC instant by it.
 *
 * @example
 * ```ts
 * import type { CalendarStep } from './calendar-step.js'
 * const quarter: CalendarStep = { months: 3 }
 * const fortnight: CalendarStep = { ms: 14 * 86_400_000 }
 * ```
 */
export type CalendarStep = { readonly months: number } | { readonly ms: number }

const CALENDAR = /^(\d+)\s*(months?|mo|years?|yr)$/i
const DAY_MS = 86_400_000

/**
 * Parses a window length: `'3 months'`, `'1 year'` (calendar units, UTC) or any fixed duration
 * `parseDuration` accepts (`'14 days'`, `'12h'`, ms as a number); throws `CONFIG_INVALID` naming `what`.
 * Use it where a length must follow the calendar, such as `timeWindows({ window })`.
 *
 * @example
 * ```ts
 * import { calendarStep } from './calendar-step.js'
 * calendarStep('3 months', 'window') // { months: 3 }
 * calendarStep('14 days', 'window') // { ms: 1_209_600_000 }
 * ```
 */
export function calendarStep(value: Duration, what: string): CalendarStep {
  const match = typeof value === 'string' ? CALENDAR.exec(value.trim()) : null
  if (match) {
    const n = Number(match[1]) * (match[2]!.toLowerCase().startsWith('y') ? 12 : 1)
    if (n >= 1) return { months: n }
  } else {
    let ms: number | undefined
    try {
      ms = parseDuration(value, what)
    } catch {
      ms = undefined
    }
    if (ms !== undefined && ms > 0) return { ms }
  }
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${what}\` must be a positive length such as '3 months', '1 year', '14 days' or '12h', got ${JSON.stringify(value)}`,
    context: { option: what },
  })
}

/** The shortest a step can be, ms (a month counts as 28 days): to compare it with fixed lengths. */
export function shortestMs(step: CalendarStep): number {
  return 'ms' in step ? step.ms : step.months * 28 * DAY_MS
}

/**
 * `from` (epoch ms) moved forward by `times` steps, in UTC. Months keep the day of the month and the time of
 * day, clamped to the month's last day (Jan 31 + 1 month = Feb 28), always counted from `from` so the clamping
 * never drifts (Jan 31 + 2 months = Mar 31).
 *
 * @example
 * ```ts
 * import { addCalendarStep } from './calendar-step.js'
 * new Date(addCalendarStep(Date.UTC(2026, 0, 31), { months: 1 })).toISOString() // '2026-02-28T00:00:00.000Z'
 * ```
 */
export function addCalendarStep(from: number, step: CalendarStep, times = 1): number {
  if ('ms' in step) return from + step.ms * times
  const d = new Date(from)
  const month = d.getUTCMonth() + step.months * times
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), month + 1, 0)).getUTCDate()
  return Date.UTC(d.getUTCFullYear(), month, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds())
}
