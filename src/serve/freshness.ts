import type { Schedule } from '../schedule/schedule.js'

/** How much later than its interval a scheduled connector's data may be before it counts as late. */
export const LATE_FACTOR = 1.5

/**
 * The interval of a schedule in ms: the gap between its next two slots after `now` (`every`:
 * the duration; cron: the gap at that point of the calendar, e.g. 1 h for `0 * * * *`).
 *
 * @example
 * ```ts
 * import { scheduleIntervalMs } from './freshness.js'
 * import { parseSchedule } from '../schedule/schedule.js'
 * scheduleIntervalMs(parseSchedule({ every: '15m' }), Date.now()) // 900000
 * ```
 */
export function scheduleIntervalMs(schedule: Schedule, now: number): number {
  const first = schedule.nextSlot(now, now)
  return schedule.nextSlot(first, first) - first
}

/**
 * Whether a connector is late, the one rule the page, the API, the metrics and `sluice status`
 * share: with a schedule, when its data is older than {@link LATE_FACTOR} × the interval — the
 * last success ended that long ago, or it never succeeded and its first sync started that long
 * ago. Without a schedule (syncs run by hand or by an outside orchestrator) nothing says when
 * data is due, so it is never late; a paused connector is not late either (it shows as paused).
 *
 * @example
 * ```ts
 * import { isLate } from './freshness.js'
 * isLate({ intervalMs: 60_000, paused: false, now: 200_000, lastSuccessAt: 100_000 }) // true
 * ```
 */
export function isLate(args: {
  readonly intervalMs: number | undefined
  readonly paused: boolean
  readonly now: number
  readonly lastSuccessAt?: number
  readonly firstSyncAt?: number
}): boolean {
  const { intervalMs, paused, now } = args
  if (intervalMs === undefined || paused) return false
  const since = args.lastSuccessAt ?? args.firstSyncAt
  return since !== undefined && now - since > LATE_FACTOR * intervalMs
}
