import type { State } from '../core/message.js'

/**
 * Where a connector's state lives when it is not in the destination. A destination that keeps
 * state (SQLite, Postgres, DuckDB) commits it with the data in one transaction and needs no store;
 * a separate store is saved right after that commit, so a crash in between re-reads one
 * checkpoint's rows (idempotent for upsert tables, not for append ones).
 *
 * @example
 * ```ts
 * import { fileState } from 'sluice'
 * const store = fileState({ path: 'files/state.json' })
 * await store.save({ connectorId: 'c', state: { cursor: '2026-01-01' } })
 * ```
 */
export interface StateStore {
  /** The connector's saved state; `undefined` before its first checkpoint. */
  load(args: { readonly connectorId: string }): Promise<State | undefined>
  /** `serialized`: `state` as `serializeState` writes it, when the caller made it already (`sync()` does). */
  save(args: { readonly connectorId: string; readonly state: State; readonly serialized?: string }): Promise<void>
  /** Forgets the connector's state (reset): the next sync starts from the beginning. */
  clear(args: { readonly connectorId: string }): Promise<void>
}
