import { SluiceError } from '../core/sluice-error.js'
import type { SinkMessage } from '../contracts/sink.js'
import type { PlannedStep, SchemaPlan } from './schema-plan.js'

/**
 * Rows written since the last commit that a run keeps for a replay: beyond this, a schema change
 * after an update of the same table in one checkpoint interval fails with a message asking for
 * more frequent checkpoints.
 */
export const REPLAY_ROWS = 250_000

/** One thing a run did since its last commit: a message, or work to run again (error rows, MAR counts). */
export type Replayed = { readonly message: Exclude<SinkMessage, { kind: 'errors' }> } | { readonly redo: () => Promise<unknown> }

/**
 * What a run of a `replayOnAlter` driver (DuckDB: "can't ALTER a table updated in this
 * transaction") did since its last commit, in order, with the plan as of that commit: what a
 * replay rolls back to and does again.
 */
export class ReplayJournal {
  #committed: SchemaPlan
  /** Tables whose existing rows this transaction changed: altering them needs a replay. */
  readonly #updated = new Set<string>()
  #pending: Replayed[] | undefined = []
  #rows = 0

  constructor(plan: SchemaPlan) {
    this.#committed = plan.clone()
  }

  remember(p: Replayed): void {
    if (!this.#pending) return
    this.#pending.push(p)
    if ('message' in p && p.message.kind === 'records') this.#rows += p.message.batch.length
    if (this.#rows > REPLAY_ROWS) this.#pending = undefined // too much to hold: a replay would fail instead
  }

  updated(table: string): void {
    this.#updated.add(table)
  }

  /** Whether a step alters a table this transaction already updated. */
  needsReplay(step: PlannedStep): boolean {
    return step.changes.length > 0 && !step.isNew && this.#updated.has(step.table)
  }

  /** A commit made `plan` permanent: nothing left to replay. */
  committed(plan: SchemaPlan): void {
    this.#committed = plan.clone()
    this.#reset()
  }

  /** The plan as of the last commit, to replay from. */
  committedPlan(): SchemaPlan {
    return this.#committed.clone()
  }

  /** Everything to write again, emptied; fails if there was too much to keep. */
  take(destination: string, table: string): readonly Replayed[] {
    const pending = this.#pending
    if (!pending) {
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `${destination}: table ${table} changed schema after more than ${REPLAY_ROWS} rows were written without a checkpoint, some of them updates to it; ${destination} can't alter a table it updated in the same transaction, so emit checkpoints more often`,
        context: { table },
      })
    }
    this.#reset()
    return pending
  }

  #reset(): void {
    this.#updated.clear()
    this.#pending = []
    this.#rows = 0
  }
}
