import stableStringify from 'fast-json-stable-stringify'
import type { CheckpointMessage, State } from './message.js'
import { SluiceError } from './sluice-error.js'

/**
 * Checks that a state is plain JSON (objects, arrays, strings, finite numbers, booleans, null)
 * and returns its stable serialisation (equal states are byte-equal). Anything else — a Date,
 * a bigint, a function, `undefined`, NaN, a cycle — throws `STATE_INVALID` naming the path,
 * because it would not survive a save and a reload unchanged.
 *
 * @example
 * ```ts
 * import { serializeState } from './json-state.js'
 * serializeState({ b: 1, a: 'x' }) // '{"a":"x","b":1}'
 * ```
 */
export function serializeState(state: unknown): string {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw invalid('$', state === null ? 'null' : Array.isArray(state) ? 'an array' : typeof state, 'a state must be a JSON object such as { cursor: "…" }')
  }
  check(state, '$', new Set())
  return stableStringify(state)
}

// Keyed by the message, not the state: a message is immutable by contract, a state object may be
// reused and changed by its source after it yielded the checkpoint.
const TEXTS = new WeakMap<CheckpointMessage, string>()

/**
 * The stable serialisation of a checkpoint's state (see {@link serializeState}), made once per
 * message: `op.checkpoint` makes it when the checkpoint is made (so a bad state fails there), and
 * `sync()` hands that same text to the sink and the state store instead of serialising again.
 */
export function checkpointText(message: CheckpointMessage): string {
  let text = TEXTS.get(message)
  if (text === undefined) TEXTS.set(message, (text = serializeState(message.state)))
  return text
}

/** Parses a saved state text back into a state object. */
export function parseState(text: string, where: string): State {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new SluiceError({ code: 'STATE_INVALID', message: `${where} is not valid JSON; fix or delete it to start over`, cause, context: { where } })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SluiceError({ code: 'STATE_INVALID', message: `${where} must hold a JSON object`, context: { where } })
  }
  return value as State
}

function check(value: unknown, path: string, parents: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, String(value), 'use a finite number or a string')
      return
    case 'object': {
      if (value === null) return
      if (parents.has(value)) throw invalid(path, 'a cycle', 'a state must be a tree')
      const proto = Object.getPrototypeOf(value)
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
        const name = (value as object).constructor?.name ?? 'object'
        throw invalid(path, `a ${name}`, value instanceof Date ? 'store value.toISOString()' : 'use plain objects and arrays')
      }
      parents.add(value)
      if (Array.isArray(value)) value.forEach((v, i) => check(v, `${path}[${i}]`, parents))
      else for (const [k, v] of Object.entries(value)) check(v, `${path}.${k}`, parents)
      parents.delete(value)
      return
    }
    default:
      throw invalid(path, typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`, typeof value === 'bigint' ? 'store it as a string' : 'remove it or use null')
  }
}

function invalid(path: string, what: string, fix: string): SluiceError {
  return new SluiceError({
    code: 'STATE_INVALID',
    message: `checkpoint state is not JSON-serialisable: ${path} is ${what}; ${fix}`,
    context: { path },
  })
}
