import { SluiceError } from '../../core/sluice-error.js'
import { fieldPath, type FieldGetter } from '../../cursor/field-path.js'
import type { Page } from './page.js'

/**
 * When pagination ends, besides the paginator's own end (no next cursor or link). Rules combine: the first that fires stops.
 * Set them as `stop` on `offset`, `pageNumber`, `cursor`, `linkHeader` or `nextUrl`.
 *
 * @example
 * ```ts
 * import { offset } from 'sluice'
 * const paginate = offset({ limit: 100, stop: { shortPage: true, total: 'meta.total', maxPages: 500 } })
 * ```
 */
export interface StopRules {
  /** Stop at a page with no records. Default true. */
  readonly emptyPage?: boolean
  /**
   * Stop at a page with fewer records than asked for. Default false: an API that caps page sizes below the asked
   * limit would otherwise end after its first page; turn it on to save the final empty request.
   */
  readonly shortPage?: boolean
  /** Dot path of the total number of records; stop once that many are received. Ignored on pages that lack it. */
  readonly total?: string
  /** Dot path of a boolean "more pages" flag; stop when it is false. Ignored on pages that lack it. */
  readonly hasMore?: string
  /** Stop after this many pages (per stream, or per child endpoint). */
  readonly maxPages?: number
}

/** Stop rules validated and compiled (what `compileStopRules` returns). */
export interface CompiledStopRules {
  readonly emptyPage: boolean
  readonly shortPage: boolean
  readonly total: FieldGetter | undefined
  readonly hasMore: FieldGetter | undefined
  readonly maxPages: number | undefined
  /** What the rules as given are, for messages and for refusing configurations that could loop. */
  readonly rules: StopRules
}

const KNOWN = new Set(['emptyPage', 'shortPage', 'total', 'hasMore', 'maxPages'])

/**
 * Validates stop rules now (CONFIG_INVALID naming `where.stop.<rule>`) and compiles their paths.
 * Called by the paginator factories; `defaults` gives each paginator's own defaults.
 *
 * @example
 * ```ts
 * import { compileStopRules } from './stop-rules.js'
 * const rules = compileStopRules({ maxPages: 10 }, 'offset', { emptyPage: true })
 * ```
 */
export function compileStopRules(stop: StopRules | undefined, where: string, defaults: StopRules = {}): CompiledStopRules {
  if (stop !== undefined && (typeof stop !== 'object' || stop === null)) throw invalid(`${where}.stop`, 'an object such as { emptyPage: true, maxPages: 100 }', stop)
  for (const key of Object.keys(stop ?? {})) if (!KNOWN.has(key)) throw invalid(`${where}.stop.${key}`, `one of ${[...KNOWN].join(', ')}`, key)
  const rules: StopRules = { ...defaults, ...stripUndefined(stop ?? {}) }
  for (const flag of ['emptyPage', 'shortPage'] as const) {
    if (rules[flag] !== undefined && typeof rules[flag] !== 'boolean') throw invalid(`${where}.stop.${flag}`, 'true or false', rules[flag])
  }
  if (rules.maxPages !== undefined && (!Number.isInteger(rules.maxPages) || rules.maxPages < 1)) throw invalid(`${where}.stop.maxPages`, 'a positive integer', rules.maxPages)
  const path = (name: 'total' | 'hasMore'): FieldGetter | undefined => {
    const value = rules[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || value === '') throw invalid(`${where}.stop.${name}`, "a dot path such as 'meta.total'", value)
    return fieldPath(value, `${where}.stop.${name}`)
  }
  return {
    emptyPage: rules.emptyPage ?? true,
    shortPage: rules.shortPage ?? false,
    total: path('total'),
    hasMore: path('hasMore'),
    maxPages: rules.maxPages,
    rules,
  }
}

/**
 * True when some rule can end a pagination that only moves by a counter (offset, page number), which would otherwise
 * never stop on an API that keeps answering. Used by those paginators to refuse a configuration at build time.
  *
 * @example
 * ```ts
 * import { canStopCounter, compileStopRules } from './stop-rules.js'
 * canStopCounter(compileStopRules({ emptyPage: false }, 'offset'), 100) // false
 * ```
 */
export function canStopCounter(rules: CompiledStopRules, pageSize: number | undefined): boolean {
  return rules.emptyPage || (rules.shortPage && pageSize !== undefined) || rules.total !== undefined || rules.hasMore !== undefined || rules.maxPages !== undefined
}

/**
 * Why pagination ends after `page` under `rules`, or undefined to go on.
 * Called by the REST source before asking the paginator for the next request.
 *
 * @example
 * ```ts
 * import { compileStopRules, stopReason } from './stop-rules.js'
 * stopReason(compileStopRules({}, 'offset'), { data: {}, headers: {}, records: [], url: 'https://x/', number: 2, received: 10 }, 10) // 'empty page'
 * ```
 */
export function stopReason(rules: CompiledStopRules, page: Page, pageSize: number | undefined): string | undefined {
  const count = page.records.length
  if (rules.emptyPage && count === 0) return 'empty page'
  if (rules.shortPage && pageSize !== undefined && count < pageSize) return `short page (${count} < ${pageSize})`
  if (rules.hasMore) {
    const more = rules.hasMore(page.data)
    if (more === false || more === 'false' || more === 0) return `${rules.rules.hasMore} is false`
  }
  if (rules.total) {
    const total = Number(rules.total(page.data))
    const raw = rules.total(page.data)
    if (raw !== undefined && raw !== null && Number.isFinite(total) && page.received >= total) return `total reached (${page.received} of ${total})`
  }
  if (rules.maxPages !== undefined && page.number >= rules.maxPages) return `maxPages (${rules.maxPages}) reached`
  return undefined
}

function stripUndefined(rules: StopRules): StopRules {
  return Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined)) as StopRules
}

function invalid(what: string, expected: string, value: unknown): SluiceError {
  const got = typeof value === 'string' || typeof value === 'number' ? JSON.stringify(value) : value === null ? 'null' : typeof value
  return new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` must be ${expected}, got ${got}`, context: { option: what } })
}
