import { SluiceError } from '../../core/sluice-error.js'
import { compareKeys, cursorKey, cursorTypeOf, type CursorKey, type CursorType } from '../../cursor/cursor-value.js'
import type { IncrementalConfig } from '../../cursor/incremental-options.js'
import { rowRequest } from './offset-paginator.js'
import type { PageSteer, SteeredRequest } from './page-loop.js'
import type { Page, PageRequest, Paginator } from './paginator.js'

/** Times in a row the rows at one cursor value are read again from their first one before giving up. */
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
 * Only when a whole page sits at the bound (more rows share one value than a page holds) does it step by position,
 * and only with `offset`: each request starts at the last row read (the anchor). When the page doesn't start with it,
 * rows before it left the result (or arrived): the anchor is looked for in the page, then in the page before its old
 * place, and the rows after it are read from there; lost (it changed itself), the value is read again from its first
 * row. Other paginators can't be checked that way: the stream then fails with CURSOR_TIES, saying how to page it.
 */
export class CursorPager implements PageSteer {
  readonly #args: CursorPagerArgs
  readonly #at: ((rows: number) => PageRequest) | undefined
  #type: CursorType | undefined
  #bound: string | number | undefined
  #boundKey: CursorKey | undefined
  #position = 0 // where in the current query's result the page being answered starts
  #expected = 0 // where the anchor was when it was last seen
  #anchor: string | undefined // the last row read at the bound, when stepping by offset
  #searching = 0 // the page being answered is the 1st or 2nd one asked for to find the anchor again
  #restarts = 0

  constructor(args: CursorPagerArgs) {
    this.#args = args
    this.#at = rowRequest(args.paginator)
    this.#type = args.incremental.type ?? cursorTypeOf(args.from)
    this.#bound = args.from
    this.#boundKey = args.from === undefined ? undefined : this.#key(args.from)
  }

  next({ page, proposed }: { readonly request: PageRequest; readonly page: Page; readonly proposed: PageRequest | undefined }): SteeredRequest | undefined {
    const records = page.records
    let start = 0
    if (this.#anchor !== undefined) {
      // Even on a last page: rows after the anchor may have moved before it, unread.
      const i = records.findIndex((r) => this.#args.keyOf(r) === this.#anchor && this.#cursorKey(r) === this.#boundKey)
      if (i < 0) return this.#searching < 2 ? this.#search(page) : this.#restart()
      this.#searching = 0
      this.#restarts = 0
      start = i + 1
    }
    if (proposed === undefined || records.length <= start) return undefined // this query's result ended: so did the stream
    const last = this.#lastCursor(records, start)
    const order = last === undefined ? 0 : this.#boundKey === undefined ? 1 : compareKeys(last.key, this.#boundKey)
    if (order > 0) return this.#query(last!.value, last!.key)
    if (order < 0) throw this.#below(last!.value)
    return this.#step(page, start)
  }

  /** A new query from `value` on: its first page. */
  #query(value: string | number, key: CursorKey): SteeredRequest {
    this.#bound = value
    this.#boundKey = key
    this.#anchor = undefined
    this.#restarts = 0
    this.#position = 0
    return { request: this.#bounded(this.#args.paginator.first({ path: this.#args.path })), fresh: true, restarted: false }
  }

  /** The rows of `page` from `start` on all sit at the bound: the next page starts at the last of them. */
  #step(page: Page, start: number): SteeredRequest {
    const { paginator, table, incremental } = this.#args
    if (this.#at === undefined) {
      throw new SluiceError({
        code: 'CURSOR_TIES',
        message: `${table}: a whole page of ${page.records.length} rows has ${incremental.field} = ${JSON.stringify(this.#bound)}: more rows share that value than a page holds, and ${paginator.kind} pagination can't step through them safely (one of them changing meanwhile would shift the pages); ask for larger pages than the most rows sharing one ${incremental.field}, use offset pagination (sluice checks its position there), or a paginator that continues after the last row returned (keyset: true)`,
        context: { table, field: incremental.field, value: this.#bound ?? null, paginator: paginator.kind },
      })
    }
    const records = page.records
    const lastAt = this.#position + records.length - 1
    // A page holding one new row and no anchor before it can't overlap the next one: step past it unchecked. It was
    // the whole result then (unless the API serves one row per page), and rows arriving later have later values.
    const overlap = !(start === 0 && records.length === 1)
    this.#anchor = overlap ? this.#args.keyOf(records.at(-1)) : undefined
    return this.#go(overlap ? lastAt : lastAt + 1, false)
  }

  /**
   * The page didn't start with the anchor, so rows before it left: look for it a little before where it was (most
   * moves are a few rows, and the rest of that page is new), then in the whole page that ends there.
   */
  #search(page: Page): SteeredRequest {
    const size = Math.max(2, this.#args.paginator.pageSize ?? page.records.length)
    const back = ++this.#searching === 1 ? Math.min(size - 1, Math.ceil(size / 16)) : size - 1
    // The page the anchor should be in was asked for last: both searches look back from where it was expected.
    const expected = this.#searching === 1 ? this.#position : this.#expected
    this.#expected = expected
    // Rows read before are read again there: the request may repeat an earlier one, and the order starts over.
    return this.#go(Math.max(0, expected - back), true)
  }

  /** The anchor is gone (it changed, or moved further than a page): read the rows at the bound from the first one. */
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
    this.#searching = 0
    return this.#go(0, true)
  }

  /** The page at `position` of the current query; `again` when it reads rows read before. */
  #go(position: number, again: boolean): SteeredRequest {
    this.#position = position
    return { request: this.#bounded(this.#at!(position)), fresh: again, restarted: again }
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
