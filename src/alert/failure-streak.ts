import type { SyncReport } from '../contracts/sync-report.js'

/**
 * Decides when a connector alerts: once when a failure streak begins (`syncError`), once when it
 * ends (`syncRecovered`), and nothing for the failures and successes in between. A stopped sync
 * (deadline, budget) counts as a success: it committed its work. Seed it from the sync history
 * so a restart in the middle of a streak doesn't alert again.
 *
 * @example
 * ```ts
 * import { FailureStreak } from './failure-streak.js'
 * const streak = FailureStreak.fromHistory([])
 * streak.record('failed') // 'syncError'
 * streak.record('failed') // undefined
 * streak.record('succeeded') // 'syncRecovered'
 * ```
 */
export class FailureStreak {
  #failures: number

  constructor(failures = 0) {
    this.#failures = failures
  }

  /** A streak seeded from history, newest first (as `Sink.history` returns it). */
  static fromHistory(history: readonly Pick<SyncReport, 'status'>[]): FailureStreak {
    let failures = 0
    while (failures < history.length && history[failures]!.status === 'failed') failures++
    return new FailureStreak(failures)
  }

  /** Failed syncs in a row, up to now. */
  get failures(): number {
    return this.#failures
  }

  /** Records a sync outcome; returns the alert it calls for, if any. */
  record(status: SyncReport['status']): 'syncError' | 'syncRecovered' | undefined {
    if (status === 'failed') return this.#failures++ === 0 ? 'syncError' : undefined
    const ended = this.#failures > 0
    this.#failures = 0
    return ended ? 'syncRecovered' : undefined
  }
}
