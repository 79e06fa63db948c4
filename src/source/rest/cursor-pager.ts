import { SluiceError } from '../../core/sluice-error.js'
import { compareKeys, cursorKey, cursorTypeOf, type CursorKey, type CursorType } from '../../cursor/cursor-value.js'
import type { IncrementalConfig } from '../../cursor/incremental-options.js'
import { movesByRows } from './offset-paginator.js'
import type { PageSteer, SteeredRequest } from './page-loop.js'
import type { Page, PageRequest, Paginator } from './paginator.js'

/** Restarts of the rows at one cursor value before giving up: each one means rows there moved between two requests. */
const MAX_RESTARTS = 20

/** What a `CursorPager` needs of its stream. */
export interface CursorPagerArgs {
  readonly table: string
  readonly incremental: IncrementalConfig & { readonly param: string }
  readonly paginator: Paginator
  /** The stream's path, for `paginator.first`. */
  readonly path: string
  /** The lower bound of the first request (the incremental run's). */
  readonly from: string | number | undefined
  /** A record's primary key as text. */
  readonly keyOf: (record: unknown) => string
}

/**
 * Pages a `sorted: 'asc'` incremental stream by its cursor instead of by position: after each page it asks for the
 * first page again, from the last row's cursor value (`param` ≥ that value; the incremental run skips the rows it
 * already wrote there by key). Nothing is counted past, so rows changing, arriving or deleted meanwhile can't move an
 * unread row into the pages already read: a changed row gets a higher value and comes later, an unchanged one keeps
 * its place in the order, wherever it sits.
 *
 * Only when a whole page sits at the bound (more rows share one value than the page had room for) does it step by
 * position, with `offset` only: each request starts one row early, and when that row is not the last one read the
 * rows at that value moved, so they are read again from their first one. Other paginators can't be checked that
 * way: the stream then fails with CURSOR_TIES, saying how to page it.
 */
export class CursorPager implements PageSteer {
  readonly #args: CursorPagerArgs
  #type: CursorType | undefined
  #bound: string | number | undefined
  #boundKey: CursorKey | undefined
  #anchor: string | undefined // the last row read at the bound, when stepping by offset
  #restarts = 0

  constructor(args: CursorPagerArgs) {
    this.#args = args
    this.#type = args.incremental.type ?? cursorTypeOf(args.from)
    this.#bound = args.from
    this.#boundKey = args.from === undefined ? undefined : this.#key(args.from)
  }

  next({ request, page, proposed }: { readonly request: PageRequest; readonly page: Page; readonly proposed: PageRequest | undefined }): SteeredRequest | undefined {
    const records = page.records
    let start = 0
    if (this.#anchor !== undefined) {
      const first = records[0]
      // Even on a last page: rows after the anchor may have moved before it, unread.
      if (first === undefined || this.#args.keyOf(first) !== this.#anchor || this.#cursorKey(first) !== this.#boundKey) return this.#restart()
      start = 1
    }
    if (proposed === undefined || records.length <= start) return undefined // this query's result ended: so did the stream
    const last = this.#lastCursor(records, start)
    const order = last === undefined ? 0 : this.#boundKey === undefined ? 1 : compareKeys(last.key, this.#boundKey)
    if (order > 0) return this.#query(last!.value, last!.key)
    if (order < 0) throw this.#below(last!.value)
    return this.#step(request, page)
  }

  /** A new query from `value` on: the first page, its bound moved. */
  #query(value: string | number, key: CursorKey): SteeredRequest {
    this.#bound = value
    this.#boundKey = key
    this.#anchor = undefined
    this.#restarts = 0
    return { request: this.#bounded(this.#args.paginator.first({ path: this.#args.path })), fresh: true, restarted: false }
  }

  /** Every row of `page` sits at the bound: the next page of the same query, starting at the last row read. */
  #step(request: PageRequest, page: Page): SteeredRequest | undefined {
    const { paginator, table, incremental } = this.#args
    if (!movesByRows(paginator)) {
      throw new SluiceError({
        code: 'CURSOR_TIES',
        message: `${table}: a whole page of ${page.records.length} rows has ${incremental.field} = ${JSON.stringify(this.#bound)}: more rows share that value than a page holds, and ${paginator.kind} pagination can't step through them safely (one of them changing meanwhile would shift the pages); ask for larger pages than the most rows sharing one ${incremental.field}, use offset pagination (sluice checks its position there), or a paginator that continues after the last row returned (keyset: true)`,
        context: { table, field: incremental.field, value: this.#bound ?? null, paginator: paginator.kind },
      })
    }
    const records = page.records
    // A one-row page can't overlap the next one. Stepping past it unchecked is safe: it was the whole result, unless
    // the API serves one row per page, and rows that arrive later come with later cursor values.
    this.#anchor = records.length > 1 ? this.#args.keyOf(records.at(-1)) : undefined
    const next = paginator.next({ request, page: records.length > 1 ? { ...page, records: records.slice(0, -1) } : page })
    return next && { request: this.#bounded(next), fresh: false, restarted: false }
  }

  /** The rows at the bound moved between two requests: read them again from the first one. */
  #restart(): SteeredRequest {
    const { table, incremental } = this.#args
    if (++this.#restarts > MAX_RESTARTS) {
      throw new SluiceError({
        code: 'CURSOR_TIES',
        message: `${table}: the rows with ${incremental.field} = ${JSON.stringify(this.#bound)} moved between requests ${MAX_RESTARTS} times in a row, so sluice can't page through them: the API's order of rows sharing one value is not stable (sort by ${incremental.field} then a unique key such as id), or ask for larger pages than the most rows sharing one value`,
        context: { table, field: incremental.field, value: this.#bound ?? null },
      })
    }
    this.#anchor = undefined
    return { request: this.#bounded(this.#args.paginator.first({ path: this.#args.path })), fresh: true, restarted: true }
  }

  #bounded(request: PageRequest): PageRequest {
    const bound = this.#bound
    if (bound === undefined) return request
    return { ...request, query: { ...request.query, [this.#args.incremental.param]: bound } }
  }

  #lastCursor(records: readonly unknown[], start: number): { value: string | number; key: CursorKey } | undefined {
    for (let i = records.length - 1; i >= start; i--) {
      const raw = this.#args.incremental.read(records[i])
      if (raw === undefined || raw === null) continue
      const value = typeof raw === 'number' || typeof raw === 'string' ? raw : String(raw)
      return { value, key: this.#key(raw) }
    }
    return undefined
  }

  #cursorKey(record: unknown): CursorKey | undefined {
    const raw = this.#args.incremental.read(record)
    return raw === undefined || raw === null ? undefined : this.#key(raw)
  }

  #key(raw: unknown): CursorKey {
    this.#type ??= cursorTypeOf(raw)
    const where = `${this.#args.table}.${this.#args.incremental.field}`
    if (this.#type === undefined) throw new SluiceError({ code: 'CURSOR_INVALID', message: `${where} must be a timestamp, number or string, got ${typeof raw}`, context: { where } })
    return cursorKey(raw, this.#type, where)
  }

  #below(value: string | number): SluiceError {
    const { table, incremental } = this.#args
    return new SluiceError({
      code: 'CURSOR_UNSORTED',
      message: `${table}: asked for ${incremental.field} ≥ ${JSON.stringify(this.#bound)} (incremental.param '${incremental.param}') and got a page ending at ${JSON.stringify(value)}: the API ignores that parameter or doesn't return rows ascending by ${incremental.field}; check incremental.param, or remove incremental.sorted`,
      context: { table, field: incremental.field, bound: this.#bound ?? null, value },
    })
  }
}
