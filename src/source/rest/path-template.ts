import { SluiceError } from '../../core/sluice-error.js'
import { fieldPath, type FieldGetter } from '../../cursor/field-path.js'

/**
 * A stream path with `{field}` placeholders filled from a parent record (`/customers/{id}/orders`), compiled once.
 * Built by `rest()` for child streams; `fields` lists the placeholders so the config can be checked up front.
  *
 * @example
 * ```ts
 * import { pathTemplate, type PathTemplate } from './path-template.js'
 * const lines: PathTemplate = pathTemplate('/orders/{id}/lines', 'streams[1].path')
 * ```
 */
export interface PathTemplate {
  readonly fields: readonly string[]
  /** The path with every placeholder replaced by the URL-encoded field of `record`; throws PARENT_FIELD_MISSING. */
  expand(record: unknown, describe: () => string): string
}

const PLACEHOLDER = /\{([^{}]*)\}/g

/**
 * Compiles `path` into a template; throws CONFIG_INVALID naming `what` for an empty placeholder.
 * Used by `rest()` for `streams[i].path`.
 *
 * @example
 * ```ts
 * import { pathTemplate } from './path-template.js'
 * pathTemplate('/customers/{id}/orders', 'path').expand({ id: 7 }, () => 'customer 7') // '/customers/7/orders'
 * ```
 */
export function pathTemplate(path: string, what: string): PathTemplate {
  const pieces: (string | { field: string; read: FieldGetter })[] = []
  let last = 0
  for (const match of path.matchAll(PLACEHOLDER)) {
    const field = match[1]!.trim()
    if (field === '') throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` has an empty placeholder {} in ${JSON.stringify(path)}; name a parent field, e.g. {id}`, context: { option: what } })
    pieces.push(path.slice(last, match.index), { field, read: fieldPath(field, what) })
    last = match.index + match[0].length
  }
  pieces.push(path.slice(last))
  const fields = pieces.flatMap((p) => (typeof p === 'string' ? [] : [p.field]))
  return {
    fields,
    expand(record, describe) {
      if (fields.length === 0) return path
      let out = ''
      for (const piece of pieces) {
        if (typeof piece === 'string') {
          out += piece
          continue
        }
        const value = piece.read(record)
        if (value === undefined || value === null || value === '' || typeof value === 'object') {
          throw new SluiceError({
            code: 'PARENT_FIELD_MISSING',
            message: `${describe()} has no usable ${piece.field} for the path ${JSON.stringify(path)} (got ${value === '' ? 'an empty string' : value === null ? 'null' : typeof value})`,
            context: { path, field: piece.field },
          })
        }
        out += encodeURIComponent(String(value))
      }
      return out
    },
  }
}
