import { SluiceError } from '../core/sluice-error.js'
import { normalizeName } from '../core/normalize-name.js'

/**
 * A table or column name as stages take it: a plain name compares after `normalizeName` (so
 * `'Email'`, `'email'` and `'E-mail'`… name what lands as `email`); a glob (`*` any run, `?` one
 * character) matches the source name or its normalised form, ignoring case.
 *
 * @example
 * ```ts
 * import { namePattern } from './name-pattern.js'
 * namePattern('OrderItems', 'select.columns').matches('order_items') // true
 * namePattern('audit_*', 'select.columns').matches('audit_log') // true
 * ```
 */
export interface NamePattern {
  readonly text: string
  matches(name: string): boolean
}

/** Builds a {@link NamePattern}; `where` names the option in errors. */
export function namePattern(text: string, where: string): NamePattern {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${where} must be a non-empty name or glob, got ${JSON.stringify(text)}`, context: { where } })
  }
  if (!/[*?]/.test(text)) {
    const wanted = normalizeName(text)
    return { text, matches: (name) => name === text || normalizeName(name) === wanted }
  }
  const source = text.split(/([*?])/).map((part) => (part === '*' ? '.*' : part === '?' ? '.' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')
  const re = new RegExp(`^${source}$`, 'iu')
  return { text, matches: (name) => re.test(name) || re.test(normalizeName(name)) }
}

/** A `table` or `table.column` reference (split at the last dot), or `{ table, column? }` for names with dots. */
export type ColumnRef = string | { readonly table: string; readonly column?: string }

/** A parsed {@link ColumnRef}. */
export interface ParsedRef {
  readonly table: NamePattern
  readonly column: NamePattern | undefined
}

/** Parses a {@link ColumnRef}; `requireColumn` refuses a bare table (e.g. for `hashColumns`). */
export function parseRef(ref: ColumnRef, where: string, requireColumn = false): ParsedRef {
  let table: string
  let column: string | undefined
  if (typeof ref === 'string') {
    const dot = ref.lastIndexOf('.')
    table = dot === -1 ? ref : ref.slice(0, dot)
    column = dot === -1 ? undefined : ref.slice(dot + 1)
  } else if (typeof ref === 'object' && ref !== null && typeof ref.table === 'string') {
    table = ref.table
    column = ref.column
  } else {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${where} must be 'table', 'table.column' or { table, column }, got ${JSON.stringify(ref)}`, context: { where } })
  }
  if (requireColumn && column === undefined) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${where} must name a column as 'table.column' (e.g. 'orders.email'), got ${JSON.stringify(ref)}`, context: { where } })
  }
  return { table: namePattern(table, `${where} (table)`), column: column === undefined ? undefined : namePattern(column, `${where} (column)`) }
}

/** Parses an optional list of refs (a single ref is accepted as a list of one). */
export function parseRefs(refs: unknown, where: string, requireColumn = false): ParsedRef[] {
  if (refs === undefined) return []
  const list = Array.isArray(refs) ? refs : [refs]
  return list.map((r, i) => parseRef(r as ColumnRef, `${where}[${i}]`, requireColumn))
}

/** Memoises a two-name predicate: stages ask the same (table, column) questions for every batch. */
export function memoize2(fn: (a: string, b: string) => boolean): (a: string, b: string) => boolean {
  const cache = new Map<string, boolean>()
  return (a, b) => {
    const key = `${a}\u0000${b}`
    let hit = cache.get(key)
    if (hit === undefined) {
      hit = fn(a, b)
      cache.set(key, hit)
    }
    return hit
  }
}
