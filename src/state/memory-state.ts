import type { State } from '../core/message.js'
import { parseState, serializeState } from '../core/json-state.js'
import type { StateStore } from '../contracts/state-store.js'

/**
 * A state store in process memory (tests, one-off scripts). States are copied on save and load,
 * so later changes to a saved object do not leak in.
 *
 * @example
 * ```ts
 * import { memoryState } from 'sluice'
 * const store = memoryState()
 * ```
 */
export function memoryState(): StateStore {
  const saved = new Map<string, string>()
  return {
    async load({ connectorId }) {
      const text = saved.get(connectorId)
      return text === undefined ? undefined : parseState(text, `state of ${connectorId}`)
    },
    async save({ connectorId, state, serialized }: { connectorId: string; state: State; serialized?: string }) {
      saved.set(connectorId, serialized ?? serializeState(state))
    },
    async clear({ connectorId }) {
      saved.delete(connectorId)
    },
  }
}
