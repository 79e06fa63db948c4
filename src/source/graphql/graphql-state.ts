import type { Json, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { CursorRunState, CursorState } from '../../cursor/incremental-run.js'

/**
 * What a `graphql()` stream keeps between and inside syncs: `after` (the `endCursor` to continue from, for a stream
 * that follows it), the saved cursor and its boundary keys, and an unsorted stream's unfinished `run` (its fixed lower
 * bound, the highest cursor so far, and when it started), as `IncrementalRun` defines them.
 *
 * @example
 * ```ts
 * import type { GraphqlState } from './graphql-state.js'
 * const state: GraphqlState = { cursor: '2026-01-01T00:00:00Z', keys: ['7'], after: 'Y3Vyc29y', run: { from: '2026-01-01T00:00:00Z' } }
 * ```
 */
export interface GraphqlState {
  readonly after?: string
  readonly cursor?: string | number
  readonly keys?: readonly string[]
  readonly run?: CursorRunState
}

/**
 * Reads a saved state, refusing (STATE_INVALID) fields of the wrong kind. States of earlier versions read as well:
 * their `max` (an unsorted run's highest cursor) is dropped, which only makes the run's end save a lower cursor.
 */
export function readGraphqlState(state: State | undefined, table: string): GraphqlState {
  if (!state) return {}
  const invalid = (what: string, value: Json | undefined) =>
    new SluiceError({ code: 'STATE_INVALID', message: `graphql(${table}): saved state { ${what} } must be ${what === 'after' ? 'a cursor string' : what === 'keys' ? 'a list of key texts' : what === 'run' ? 'an object' : 'a string or number'}, got ${JSON.stringify(value)}; reset the connector's state`, context: { table } })
  const { after, cursor, keys, run } = state
  if (after !== undefined && typeof after !== 'string') throw invalid('after', after)
  if (cursor !== undefined && typeof cursor !== 'string' && typeof cursor !== 'number') throw invalid('cursor', cursor)
  if (keys !== undefined && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) throw invalid('keys', keys)
  if (run !== undefined && (typeof run !== 'object' || run === null || Array.isArray(run))) throw invalid('run', run)
  return {
    ...(after !== undefined ? { after } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    ...(keys !== undefined ? { keys: keys as string[] } : {}),
    ...(run !== undefined ? { run: run as CursorRunState } : {}),
  }
}

/**
 * The saved cursor part of a state, as `IncrementalRun` takes it.
 *
 * @example
 * ```ts
 * import { cursorState } from './graphql-state.js'
 * cursorState({ cursor: 5, after: 'x' }) // { cursor: 5 }
 * ```
 */
export function cursorState(state: GraphqlState): CursorState {
  return { ...(state.cursor !== undefined ? { cursor: state.cursor } : {}), ...(state.keys ? { keys: state.keys } : {}) }
}

/**
 * A state as JSON: the cursor state, the run and `after` when set.
 *
 * @example
 * ```ts
 * import { stateJson } from './graphql-state.js'
 * stateJson({ cursor: 5 }, undefined, 'x') // { cursor: 5, after: 'x' }
 * ```
 */
export function stateJson(saved: CursorState, run: CursorRunState | undefined, after: string | null): State {
  const out: Record<string, Json> = {}
  if (saved.cursor !== undefined) out.cursor = saved.cursor
  if (saved.keys) out.keys = [...saved.keys]
  if (run) out.run = JSON.parse(JSON.stringify(run)) as Json
  if (after !== null) out.after = after
  return out
}
