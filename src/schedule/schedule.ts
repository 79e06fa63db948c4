import { lazyRequire } from '../core/lazy-require.js'
import { parseDuration, type Duration } from '../core/duration.js'
import { SluiceError } from '../core/sluice-error.js'
import { exponentialBackoff, type RetryPolicy } from '../retry/backoff.js'
import { knownKeys } from '../core/check-option.js'

// cron-parser (with luxon) is loaded by the first cron schedule, not with sluice: 40-60 ms of every cold start (README, cold-start).
const cronParser = lazyRequire<typeof import('cron-parser')>('cron-parser')

/** Fields every schedule takes besides when it fires. */
export interface ScheduleCommon {
  /** Each run starts up to this much later than its slot (uniformly), so many connectors don't hit an API at once. Default 0. */
  readonly jitter?: Duration
  /** A failed run is retried with this policy until it succeeds or the next slot comes. Default exponentialBackoff({ initialMs: 30_000, maxMs: 600_000, attempts: 4 }). */
  readonly retry?: RetryPolicy
}

/**
 * When a connector's scheduled syncs run: every fixed interval (`{ every: '15m' }`, measured from
 * the last run's start, which survives restarts through the sync history) or at cron times
 * (`{ cron: '0 *\/6 * * *', tz: 'UTC' }`, five fields or six with seconds, cron-parser syntax).
 *
 * @example
 * ```ts
 * import type { ScheduleSpec } from 'sluice'
 * const every: ScheduleSpec = { every: '15m', jitter: '30s' }
 * const cron: ScheduleSpec = { cron: '0 *\/6 * * *', tz: 'Europe/Paris' }
 * ```
 */
export type ScheduleSpec = ({ readonly every: Duration } | { readonly cron: string; readonly tz?: string }) & ScheduleCommon

/** A validated schedule (see {@link parseSchedule}). */
export interface Schedule {
  readonly description: string
  readonly jitterMs: number
  readonly retry: RetryPolicy
  /**
   * The slot to run next, given the time now and the previous slot (or last run start): for
   * `every`, `previous + every` unless that passed (then now); for cron, the first cron time
   * after both. Missed slots are skipped, never caught up in a burst.
   */
  nextSlot(now: number, previous: number | undefined): number
}

function invalid(what: string, expected: string, value: unknown, cause?: unknown): SluiceError {
  return new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${what}\` must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
    context: { option: what },
    ...(cause !== undefined ? { cause } : {}),
  })
}

/**
 * Validates a schedule and returns its slot arithmetic; throws `CONFIG_INVALID` naming the bad
 * option (`every` not a positive duration, a cron expression or time zone cron-parser rejects).
 * `createConnector` calls it when built.
 *
 * @example
 * ```ts
 * import { parseSchedule } from './schedule.js'
 * const s = parseSchedule({ cron: '0 *\/6 * * *' })
 * new Date(s.nextSlot(Date.UTC(2026, 0, 1, 1), undefined)).toISOString() // '2026-01-01T06:00:00.000Z'
 * ```
 */
export function parseSchedule(spec: ScheduleSpec, where = 'schedule'): Schedule {
  knownKeys(spec, ['every', 'cron', 'tz', 'jitter', 'retry'], where)
  if (typeof spec !== 'object' || spec === null) throw invalid(where, "{ every: '15m' } or { cron: '0 */6 * * *' }", spec)
  const jitterMs = spec.jitter === undefined ? 0 : parseDuration(spec.jitter, `${where}.jitter`)
  const retry = spec.retry ?? exponentialBackoff({ initialMs: 30_000, maxMs: 600_000, attempts: 4 })
  if ('every' in spec && 'cron' in spec) throw invalid(where, 'either { every } or { cron }, not both', Object.keys(spec))
  if ('every' in spec) {
    const everyMs = parseDuration(spec.every, `${where}.every`)
    if (everyMs < 1000) throw invalid(`${where}.every`, "a duration of at least 1 s such as '15m'", spec.every)
    return {
      description: `every ${String(spec.every)}`,
      jitterMs,
      retry,
      nextSlot: (now, previous) => (previous === undefined ? now : Math.max(now, previous + everyMs)),
    }
  }
  if (!('cron' in spec) || typeof spec.cron !== 'string' || spec.cron.trim() === '') throw invalid(`${where}.cron`, "a cron expression such as '0 */6 * * *'", (spec as { cron?: unknown }).cron)
  const tz = spec.tz ?? 'UTC'
  const { CronExpressionParser: parser } = cronParser()
  const next = (after: number) => parser.parse(spec.cron, { currentDate: new Date(after), tz }).next().getTime()
  const refuse = (why: string, cause?: unknown): SluiceError =>
    invalid(tz === spec.tz ? `${where}.cron / ${where}.tz` : `${where}.cron`, `a valid cron expression${spec.tz ? ' and IANA time zone' : ''} (${why})`, spec.tz ? `${spec.cron} (${spec.tz})` : spec.cron, cause)
  let first: number
  try {
    first = next(Date.now())
  } catch (cause) {
    throw refuse((cause as Error).message, cause)
  }
  if (!Number.isFinite(first)) throw refuse('no next time')
  return {
    description: `cron ${spec.cron}${spec.tz ? ` (${spec.tz})` : ''}`,
    jitterMs,
    retry,
    nextSlot: (now, previous) => next(Math.max(now, previous ?? now)),
  }
}
