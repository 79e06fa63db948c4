import { parseSchedule, type ScheduleSpec } from '../schedule/schedule.js'

/** A dbt freshness threshold: `{ count, period }` (a type alias, so it is plain YAML data). */
export type DbtAge = {
  readonly count: number
  readonly period: 'minute' | 'hour' | 'day'
}

/** The `freshness` block of a dbt source: when `dbt source freshness` warns and when it fails. */
export type DbtFreshness = {
  readonly warn_after: DbtAge
  readonly error_after: DbtAge
}

/**
 * Without a known schedule: warn after 12 hours, fail after 24 (dbt's own documented example),
 * which suits a connector synced a few times a day.
 */
export const DEFAULT_FRESHNESS: DbtFreshness = { warn_after: { count: 12, period: 'hour' }, error_after: { count: 24, period: 'hour' } }

/** Warn when one sync has been missed, fail when three have (multiples of the longest gap between syncs). */
const WARN_GAPS = 2
const ERROR_GAPS = 4

// A fixed start, so the same cron gives the same thresholds on every run; 200 slots cover a week of
// hourly runs, a month of 4-hourly ones, and any DST change in between.
const CRON_PROBE_START = Date.UTC(2026, 0, 1)
const CRON_PROBE_SLOTS = 200

/**
 * The freshness thresholds of a connector synced on `schedule`: warn after 2× and fail after 4×
 * the longest gap between two syncs (`every`, or the widest gap between consecutive cron slots),
 * rounded up to whole minutes and written in the largest exact unit. Without a schedule,
 * {@link DEFAULT_FRESHNESS}. An invalid schedule throws `CONFIG_INVALID` naming `where`.
 *
 * @example
 * ```ts
 * import { dbtFreshness } from './dbt-freshness.js'
 * dbtFreshness({ every: '15m' }) // { warn_after: { count: 30, period: 'minute' }, error_after: { count: 1, period: 'hour' } }
 * ```
 */
export function dbtFreshness(schedule: ScheduleSpec | undefined, where = 'schedule'): DbtFreshness {
  if (schedule === undefined) return DEFAULT_FRESHNESS
  const parsed = parseSchedule(schedule, where)
  let gap = 0
  let slot = parsed.nextSlot(CRON_PROBE_START, undefined)
  for (let i = 0; i < CRON_PROBE_SLOTS; i++) {
    const next = parsed.nextSlot(slot, slot)
    gap = Math.max(gap, next - slot)
    slot = next
  }
  // A run may start up to `jitter` after its slot.
  gap += parsed.jitterMs
  return { warn_after: age(gap * WARN_GAPS), error_after: age(gap * ERROR_GAPS) }
}

function age(ms: number): DbtAge {
  const minutes = Math.max(1, Math.ceil(ms / 60_000))
  if (minutes % 1440 === 0) return { count: minutes / 1440, period: 'day' }
  if (minutes % 60 === 0) return { count: minutes / 60, period: 'hour' }
  return { count: minutes, period: 'minute' }
}
