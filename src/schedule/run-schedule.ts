import { isSluiceError, SluiceError } from '../core/sluice-error.js'
import type { Logger } from '../log/logger.js'
import type { Clock } from '../core/clock.js'
import { retry } from '../retry/retry.js'
import type { Schedule } from './schedule.js'
import { knownOptions } from '../core/check-option.js'

/** How one scheduled run ended, as the scheduler sees it: only `failed` is retried. */
export type RunOutcome = 'succeeded' | 'failed' | 'skipped'

/**
 * Options of {@link runSchedule}.
 *
 * @example
 * ```ts
 * import { silentLogger, systemClock } from 'sluice'
 * import { parseSchedule } from './schedule.js'
 * import { type RunScheduleOptions } from './run-schedule.js'
 * const options: RunScheduleOptions = { schedule: parseSchedule({ every: '15m' }), clock: systemClock, logger: silentLogger, signal: new AbortController().signal, run: async () => 'succeeded' }
 * ```
 */
export interface RunScheduleOptions {
  readonly schedule: Schedule
  readonly clock: Clock
  readonly logger: Logger
  /** One run (a sync); `attempt` is 1 for the slot's first try. */
  run(attempt: number): Promise<RunOutcome>
  /** Start of the last run before this process (from the sync history): `every` schedules continue from it. */
  readonly lastRunAt?: number
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number
  /** Told each time the next run time is known (for `status().nextRunAt`). */
  onNext?(at: number | undefined): void
  readonly signal: AbortSignal
}

// internal protocol: a failed run's marker for retry() below; caught here, never leaves runSchedule
class RunFailed extends Error {}

/**
 * Runs `run` at each slot of a schedule until `signal` aborts: never two at once (a run that
 * overruns its next slot makes the scheduler skip that slot), a failed run retried with the
 * schedule's backoff only while the next slot is still ahead. All waiting goes through `clock`,
 * so a fake clock drives it in tests. Resolves when stopped; never rejects once running (an unknown option rejects at once with CONFIG_INVALID).
 *
 * @example
 * ```ts
 * import { silentLogger, systemClock } from 'sluice'
 * import { parseSchedule } from './schedule.js'
 * import { runSchedule } from './run-schedule.js'
 * const stop = new AbortController()
 * const done = runSchedule({ schedule: parseSchedule({ every: '1h' }), clock: systemClock, logger: silentLogger, signal: stop.signal, run: async () => 'succeeded' })
 * stop.abort()
 * await done
 * ```
 */
export async function runSchedule(options: RunScheduleOptions): Promise<void> {
  knownOptions(options, { schedule: true, clock: true, logger: true, run: true, lastRunAt: true, random: true, onNext: true, signal: true }, 'runSchedule')
  const { schedule, clock, logger, signal } = options
  const random = options.random ?? Math.random
  let previous = options.lastRunAt
  try {
    while (!signal.aborted) {
      const now = clock.now()
      const slot = schedule.nextSlot(now, previous)
      const at = slot + Math.floor(random() * schedule.jitterMs)
      options.onNext?.(at)
      logger.debug({ schedule: schedule.description, nextRunAt: new Date(at).toISOString() }, 'next scheduled sync')
      await clock.sleep(Math.max(0, at - now), signal)
      previous = slot
      options.onNext?.(undefined)
      const following = schedule.nextSlot(slot + 1, slot)
      // Retries may use the time up to the next slot, never reach it: that slot is a run of its own.
      const budget = Math.max(1, following - clock.now() - 1)
      const policy = { ...schedule.retry, maxElapsedMs: Math.min(schedule.retry.maxElapsedMs ?? Infinity, budget) }
      try {
        await retry(
          async (attempt) => {
            if ((await options.run(attempt)) === 'failed') throw new RunFailed('scheduled sync failed')
          },
          policy,
          {
            clock,
            signal,
            random,
            isRetryable: (e) => e instanceof RunFailed,
            onRetry: (e) => logger.info({ attempt: e.attempt, retryInMs: e.delayMs }, 'scheduled sync failed; retrying'),
          },
        )
      } catch (error) {
        if (signal.aborted) break
        if (isSluiceError(error) && error.code === 'RETRY_EXHAUSTED') logger.warn({ schedule: schedule.description }, 'scheduled sync failed; waiting for the next slot')
        else if (!(error instanceof RunFailed)) logger.error({ error: error instanceof SluiceError ? error.toJSON() : String(error) }, 'scheduled run threw')
      }
    }
  } catch (error) {
    if (!(isSluiceError(error) && error.code === 'ABORTED')) logger.error({ error: String(error) }, 'scheduler stopped unexpectedly')
  } finally {
    options.onNext?.(undefined)
  }
}
