import { stringifyWithBigints } from './bigint-json.js'

/** Why an object has no JSON text, for the error that names its table, column and row. */
export interface Unstorable {
  /** What it is, as the subject of "… can't be stored". */
  readonly what: string
  /** What to do about it. */
  readonly fix: string
  /** Levels of nesting (with `reason: 'deep'`). */
  readonly depth?: number
  readonly reason: 'cycle' | 'deep' | 'throws'
}

/** Objects visited at most: a value with shared sub-objects can be exponentially large as a tree. */
const MAX_VISITS = 1_000_000

/**
 * Says why `v` (an object that `jsonText` could not write) can't be stored: it contains itself,
 * it is nested deeper than the JavaScript stack lets JSON text be written (an array 5,000 levels
 * deep), or its `toJSON` or a getter throws. Only called on that failure, never per value.
 *
 * The walk keeps its own stack: the value may be too deep for a recursive one, which is the very
 * reason it could not be written.
 */
export function describeUnstorable(v: object): Unstorable {
  const kind = Array.isArray(v) ? 'an array' : 'an object'
  const onPath = new Set<object>()
  const frames: { readonly value: object; readonly children: readonly unknown[]; next: number }[] = []
  let depth = 0
  let visits = 0
  const enter = (o: object): void => {
    onPath.add(o)
    // Dates and byte arrays are leaves to JSON (toJSON, index objects): their insides don't nest.
    const leaf = o instanceof Date || ArrayBuffer.isView(o)
    frames.push({ value: o, children: leaf ? [] : Array.isArray(o) ? o : Object.values(o), next: 0 })
    if (frames.length > depth) depth = frames.length
  }
  try {
    enter(v)
    while (frames.length > 0 && visits < MAX_VISITS) {
      const top = frames[frames.length - 1]!
      if (top.next === top.children.length) {
        onPath.delete(top.value)
        frames.pop()
        continue
      }
      const child = top.children[top.next++]
      if (typeof child !== 'object' || child === null) continue
      visits++
      if (onPath.has(child)) {
        return { reason: 'cycle', what: `a cyclic object (${kind} that contains itself ${frames.length} level${frames.length === 1 ? '' : 's'} down)`, fix: 'remove the cycle, or convert the value to a string first' }
      }
      enter(child)
    }
  } catch {
    return throwing(kind) // a getter threw while reading it
  }
  try {
    stringifyWithBigints(v)
  } catch (e) {
    if (e instanceof RangeError) {
      return { reason: 'deep', depth, what: `${kind} nested ${depth} levels deep`, fix: 'JSON text that deep exceeds the JavaScript stack; flatten the value or convert it to a string first' }
    }
    // A cycle the walk gave up on before reaching it (MAX_VISITS).
    if (e instanceof TypeError && /circular/i.test(e.message)) return { reason: 'cycle', what: `a cyclic object (${kind} that contains itself)`, fix: 'remove the cycle, or convert the value to a string first' }
  }
  return throwing(kind)
}

function throwing(kind: string): Unstorable {
  return { reason: 'throws', what: `${kind} whose toJSON or a getter throws`, fix: 'convert it to a string, number, boolean, Date, Uint8Array, plain object or array first' }
}
