import { parseDuration, type Duration } from '../core/duration.js'
import { isSluiceError, SluiceError } from '../core/sluice-error.js'
import { cursorKey, cursorTypeOf, compareKeys, type CursorKey, type CursorType } from './cursor-value.js'
import { fieldPath, type FieldGetter } from './field-path.js'

/**
 * How a stream reads only what changed: the cursor field, the query parameter that takes the lower bound, and the rules
 * at the edges (initial value, bounded `end`, `lookback` overlap, rows without a cursor).
 * Set it on a REST stream as `incremental`; state keeps the cursor between syncs.
 *
 * The lower bound is closed (`cursor >= saved`); rows tied at the saved value are de-duplicated by primary key.
 * `end` is exclusive: a backfill of `[initial, end)` chains with a next one from `end` without overlap.
 *
 * @example
 * ```ts
 * import type { IncrementalOptions } from 'sluice'
 * const incremental: IncrementalOptions = { cursor: 'updated_at', param: 'updated_since', initial: '2026-01-01T00:00:00Z', lookback: '5m' }
 * ```
 */
export interface IncrementalOptions {
  /** Dot path of the cursor field in each record, e.g. 'updated_at' or 'meta.modified'. */
  readonly cursor: string
  /** Query parameter that receives the lower bound (`>=`). Without it the API returns everything and rows below the bound are dropped here. */
  readonly param?: string
  /** Lower bound of the first sync (no state yet). Default: none (read everything). */
  readonly initial?: string | number | Date
  /** Exclusive upper bound for a bounded backfill: rows at or past it are not written. Default: none. */
  readonly end?: string | number | Date
  /** Query parameter that receives `end`, so rows past it are not even requested. Default: filter only. */
  readonly endParam?: string
  /** Re-read this much before the saved cursor: a duration (`'5m'`, ms) for timestamps, cursor units for numbers. Default 0. */
  readonly lookback?: Duration
  /** Rows whose cursor field is missing or null: `'fail'` (CURSOR_MISSING), `'include'` (write, cursor unchanged), `'exclude'` (recorded in `_sluice_errors`, skipped). Default 'fail'. */
  readonly onMissing?: 'fail' | 'include' | 'exclude'
  /**
   * The API returns rows in ascending cursor order (then by a unique key, for rows sharing a value). The saved cursor
   * then advances after every page, not only when the stream completes, and a REST stream whose paginator counts
   * rows or pages (offset, pageNumber, or tokens not declared `keyset`) is paged by the cursor instead: each page asks
   * again from the last row's value (`param` ≥ it; rows already written there are skipped by key), so rows changing,
   * arriving or deleted during the sync can't shift an unread row past the pages. Without it, such a stream is refused:
   * counting positions over a result that changes skips rows whose cursor the next sync no longer asks for.
   * `'desc'` is refused: newest-first pages shift with every change and can't be read by the cursor's lower bound.
   * See docs/incremental-paging.md.
   */
  readonly sorted?: 'asc'
  /** How values compare. Default: inferred from `initial`, else the saved cursor, else the first row. */
  readonly type?: CursorType
  /** Most primary keys remembered at the boundary value. Default 10_000. */
  readonly maxBoundaryKeys?: number
}

/**
 * Validated incremental settings (what `parseIncremental` returns).
 *
 * @example
 * ```ts
 * import { parseIncremental, type IncrementalConfig } from './incremental-options.js'
 * const config: IncrementalConfig = parseIncremental({ cursor: 'updated_at' }, 'incremental')
 * ```
 */
export interface IncrementalConfig {
  readonly field: string
  readonly read: FieldGetter
  readonly param: string | undefined
  readonly initial: string | number | undefined
  readonly end: string | number | undefined
  readonly endParam: string | undefined
  /** Lookback as given: a number, or ms parsed from a duration text. */
  readonly lookback: number
  /** True when lookback was a duration text (only meaningful for timestamps). */
  readonly lookbackIsDuration: boolean
  readonly onMissing: 'fail' | 'include' | 'exclude'
  readonly sorted: boolean
  readonly type: CursorType | undefined
  readonly maxBoundaryKeys: number
}

const KEYS = new Set(['cursor', 'param', 'initial', 'end', 'endParam', 'lookback', 'onMissing', 'sorted', 'type', 'maxBoundaryKeys'])

/**
 * Validates `incremental` options now, throwing `CONFIG_INVALID` that names the option under `where` (e.g. `streams[0].incremental.end`).
 * Called by sources that take `incremental`, when they are built.
 *
 * @example
 * ```ts
 * import { parseIncremental } from './incremental-options.js'
 * const config = parseIncremental({ cursor: 'updated_at', param: 'since' }, 'incremental')
 * ```
 */
export function parseIncremental(options: IncrementalOptions, where: string): IncrementalConfig {
  if (typeof options !== 'object' || options === null) throw invalid(where, 'an object such as { cursor: "updated_at", param: "updated_since" }', options)
  for (const key of Object.keys(options)) if (!KEYS.has(key)) throw invalid(`${where}.${key}`, `one of the known options (${[...KEYS].join(', ')})`, key)
  if (typeof options.cursor !== 'string' || options.cursor === '') throw invalid(`${where}.cursor`, 'the dot path of the cursor field, e.g. "updated_at"', options.cursor)
  const read = fieldPath(options.cursor, `${where}.cursor`)
  const param = optionalName(options.param, `${where}.param`)
  const endParam = optionalName(options.endParam, `${where}.endParam`)
  const onMissing = options.onMissing ?? 'fail'
  if (!['fail', 'include', 'exclude'].includes(onMissing)) throw invalid(`${where}.onMissing`, "'fail', 'include' or 'exclude'", onMissing)
  if (options.sorted !== undefined && options.sorted !== 'asc') throw invalid(`${where}.sorted`, "'asc' (or left out when the API's order is unknown)", options.sorted)
  if (options.type !== undefined && !['timestamp', 'number', 'string'].includes(options.type)) throw invalid(`${where}.type`, "'timestamp', 'number' or 'string'", options.type)
  const maxBoundaryKeys = options.maxBoundaryKeys ?? 10_000
  if (!Number.isInteger(maxBoundaryKeys) || maxBoundaryKeys < 1) throw invalid(`${where}.maxBoundaryKeys`, 'a positive integer', maxBoundaryKeys)

  const initial = boundValue(options.initial, `${where}.initial`)
  const end = boundValue(options.end, `${where}.end`)
  if (endParam !== undefined && end === undefined) throw invalid(`${where}.endParam`, 'used together with `end`', endParam)
  let type = options.type ?? cursorTypeOf(initial) ?? cursorTypeOf(end)
  let lookback = 0
  let lookbackIsDuration = false
  if (options.lookback !== undefined) {
    if (typeof options.lookback === 'string') {
      lookback = parseDuration(options.lookback, `${where}.lookback`)
      lookbackIsDuration = true
      if (type !== undefined && type !== 'timestamp') throw invalid(`${where}.lookback`, `a number of cursor units for a ${type} cursor`, options.lookback)
      type ??= 'timestamp'
    } else if (typeof options.lookback === 'number' && Number.isFinite(options.lookback) && options.lookback >= 0) {
      lookback = options.lookback
    } else throw invalid(`${where}.lookback`, "a duration such as '5m' (timestamps) or a number ≥ 0", options.lookback)
    if (type === 'string') throw invalid(`${where}.lookback`, 'left out: a string cursor cannot be shifted', options.lookback)
  }
  const keyOf = (value: string | number | undefined, what: string): CursorKey | undefined => {
    if (value === undefined || type === undefined) return undefined
    try {
      return cursorKey(value, type, what)
    } catch (error) {
      throw isSluiceError(error) ? invalid(what, `a ${type} cursor value`, value) : error
    }
  }
  const initialKey = keyOf(initial, `${where}.initial`)
  const endKey = keyOf(end, `${where}.end`)
  if (initialKey !== undefined && endKey !== undefined && compareKeys(initialKey, endKey) >= 0) {
    throw invalid(`${where}.end`, `after initial (${JSON.stringify(initial)})`, end)
  }
  return {
    field: options.cursor, read, param, initial, end, endParam, lookback, lookbackIsDuration, onMissing,
    sorted: options.sorted === 'asc', type, maxBoundaryKeys,
  }
}

function boundValue(value: unknown, what: string): string | number | undefined {
  if (value === undefined) return undefined
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(what, 'a valid Date', 'Invalid Date')
    return value.toISOString()
  }
  if ((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value !== '')) return value
  throw invalid(what, 'a timestamp text, a number or a Date', value)
}

function optionalName(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string' && value.trim() !== '') return value
  throw invalid(what, 'a non-empty query parameter name', value)
}

function invalid(what: string, expected: string, value: unknown): SluiceError {
  const got = typeof value === 'string' || typeof value === 'number' ? JSON.stringify(value) : value === null ? 'null' : typeof value
  return new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` must be ${expected}, got ${got}`, context: { option: what } })
}
