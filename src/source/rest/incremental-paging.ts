import { SluiceError } from '../../core/sluice-error.js'
import type { IncrementalConfig } from '../../cursor/incremental-options.js'
import { knowsLastPage } from './page-number-paginator.js'
import type { Paginator } from './paginator.js'

/**
 * How an incremental stream walks its pages (the reasoning is in docs/incremental-paging.md):
 * - `'served'`: as the paginator says: one request, or keyset tokens that continue after the last row returned, which
 *   rows changing during the sync can't shift;
 * - `'byCursor'`: a stream declared `sorted: 'asc'` over a paginator that counts rows or pages (or whose tokens may):
 *   each page asks again from the last row's cursor value (a closed bound, the rows seen there skipped by key) instead
 *   of moving a position, so a row leaving or entering the result can't shift an unread row into pages already read.
 */
export type IncrementalPaging = 'served' | 'byCursor'

/** What `incrementalPaging` checks of one stream. */
export interface IncrementalPagingArgs {
  /** The stream as the user wrote it in the options, e.g. `streams[0]`. */
  readonly where: string
  readonly table: string
  readonly paginator: Paginator
  /** No `paginate`: the whole result comes in one response. */
  readonly single: boolean
  readonly incremental: IncrementalConfig
  readonly parent: string | undefined
  readonly primaryKey: readonly string[] | undefined
}

/**
 * Decides how an incremental stream pages, and refuses (CONFIG_INVALID, naming the option and the fix) the
 * configurations that would lose rows while the API's rows change during a sync: no primary key, paging by position
 * without `sorted: 'asc'`, `sorted` without the bound parameter, and stop rules that end an unsorted read early.
 */
export function incrementalPaging(args: IncrementalPagingArgs): IncrementalPaging {
  const { where, table, paginator, incremental, parent } = args
  if (!args.primaryKey) {
    throw refuse(`${where}.primaryKey`, `must be set on an incremental stream (${table}): each sync reads the rows at the saved cursor value again (a closed bound) and only a key tells them from new rows, so without one they pile up as copies; set primaryKey to the field(s) that identify a row, e.g. ['id']`)
  }
  if (args.single) return 'served'
  const kind = paginator.kind
  if (paginator.keyset === true) {
    if (!incremental.sorted) {
      for (const rule of ['maxPages', 'total'] as const) {
        if (paginator.stop?.[rule] === undefined) continue
        const why = rule === 'maxPages' ? 'a read cut short' : 'rows deleted during a sync lower the total and end the read early, and such a read'
        throw refuse(`${where}.paginate.stop.${rule}`, `must be left out on an unsorted incremental stream (${table}): ${why} would save a cursor past rows it never read; leave it out (the last page ends the read), or set incremental.sorted: 'asc' if the API returns rows ascending by ${incremental.field}`)
      }
    }
    return 'served'
  }
  const counts = kind === 'offset' || kind === 'pageNumber'
  const how = counts
    ? `${kind} pagination, which counts ${kind === 'offset' ? 'rows' : 'pages'}`
    : `${kind} pagination, whose next-page ${kind === 'cursor' ? 'tokens' : 'links'} may encode a row offset or page number`
  if (parent !== undefined) {
    throw refuse(`${where}.paginate`, `can't be ${how} on an incremental child stream (${table}): when rows change, arrive or are deleted during a sync, unchanged rows move across page boundaries and are never read, and a child stream can't be sorted (its rows come from many endpoints); read each endpoint in one request (leave paginate out), use a paginator that continues after the last row returned (keyset: true), or leave incremental out`)
  }
  if (!incremental.sorted) {
    const keyset = counts ? 'use a paginator whose next page continues after the last row returned (e.g. cursor({ next, keyset: true }))' : `if each ${kind === 'cursor' ? 'token' : 'link'} continues after the last row returned (a keyset, as Stripe's starting_after or Shopify's page_info), say so with keyset: true`
    throw refuse(`${where}.paginate`, `is ${how}: when rows change, arrive or are deleted during a sync, unchanged rows of the incremental stream ${table} move across page boundaries and are never read, and their ${incremental.field} is below what the next sync asks for. Set ${where}.incremental.sorted: 'asc' if the API returns rows ascending by ${incremental.field} (most can be asked to, e.g. params: { sort: '${incremental.field}' }): sluice then pages by the cursor and loses nothing; or ${keyset} (see docs/incremental-paging.md)`)
  }
  if (kind === 'pageNumber' && !knowsLastPage(paginator)) {
    throw refuse(`${where}.paginate.stop`, `must recognise the last page on a sorted incremental stream with pageNumber pagination (${table}): set stop.shortPage (with size), stop.hasMore, stop.total or totalPages. sluice pages the stream by the cursor and has to tell the last page from a page full of rows sharing one ${incremental.field}, which page numbers can't step through safely`)
  }
  if (incremental.param === undefined) {
    throw refuse(`${where}.incremental.param`, `must be set on a sorted stream with ${how} (${table}): sluice pages it by the cursor, each page asking for rows from the last one's ${incremental.field} on, which needs the API's lower-bound parameter (e.g. 'updated_since')`)
  }
  return 'byCursor'
}

function refuse(option: string, problem: string): SluiceError {
  return new SluiceError({ code: 'CONFIG_INVALID', message: `\`${option}\` ${problem}`, context: { option } })
}
