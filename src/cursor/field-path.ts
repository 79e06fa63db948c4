import { SluiceError } from '../core/sluice-error.js'

/**
 * Reads one value out of a JSON value; undefined when any step of the path is missing.
 *
 * @example
 * ```ts
 * import { fieldPath, type FieldGetter } from './field-path.js'
 * const next: FieldGetter = fieldPath('meta.next', 'cursor.next')
 * ```
 */
export type FieldGetter = (value: unknown) => unknown

/**
 * Compiles a dot path (`'meta.next'`, `'data.items'`, `'items.0.id'`) into a getter over parsed JSON; `''` is the value itself.
 * Used for `records`, cursor fields and pagination fields; compiled once so reading it per row stays cheap.
 * Throws `CONFIG_INVALID` naming `what` for a path with empty segments.
 *
 * @example
 * ```ts
 * import { fieldPath } from './field-path.js'
 * fieldPath('meta.next', 'cursor.next')({ meta: { next: 'abc' } }) // 'abc'
 * ```
 */
export function fieldPath(path: string, what: string): FieldGetter {
  if (typeof path !== 'string') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` must be a dot path such as 'data' or 'meta.next', got ${typeof path}`, context: { option: what } })
  }
  if (path === '') return (value) => value
  const parts = path.split('.')
  if (parts.some((p) => p === '')) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` must be a dot path such as 'data' or 'meta.next', got ${JSON.stringify(path)}`, context: { option: what } })
  }
  if (parts.length === 1) {
    const key = parts[0]!
    return (value) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined)
  }
  return (value) => {
    let current = value
    for (const key of parts) {
      if (typeof current !== 'object' || current === null) return undefined
      current = (current as Record<string, unknown>)[key]
    }
    return current
  }
}
