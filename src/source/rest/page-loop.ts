import { SluiceError } from '../../core/sluice-error.js'
import type { FetchPage, PageTarget } from './page-fetcher.js'
import type { Page, PageRequest, Paginator } from './paginator.js'
import type { PagePosition } from './rest-state.js'
import { stopReason, type CompiledStopRules } from './stop-rules.js'

/** One page as the loop hands it on: the page, the request that fetched it, and the position after it. */
export interface PageStep {
  readonly page: Page
  readonly request: PageRequest
  /** Where the pagination continues (its `page` undefined when this was the last page). */
  readonly after: PagePosition
  /** A `steer` restart: this page reads again rows below some already handed on (their order starts over). */
  readonly restarted?: boolean
}

/**
 * Replaces the paginator's next request: how a sorted incremental stream pages by its cursor (`CursorPager`). Asked
 * after every page, also the last one (a steer may find that rows moved and read them again).
 */
export interface PageSteer {
  /** The request after `page`; `proposed` is the paginator's (undefined when it or a stop rule ends the pagination). */
  next(args: { readonly request: PageRequest; readonly page: Page; readonly proposed: PageRequest | undefined }): SteeredRequest | undefined
}

/** A request chosen by a `PageSteer`. */
export interface SteeredRequest {
  readonly request: PageRequest
  /** It starts a new query: stop rules count its records afresh, and earlier requests may come again. */
  readonly fresh: boolean
  /** It reads again rows at a cursor value below rows already read. */
  readonly restarted: boolean
}

/** Everything `pageLoop` needs for one endpoint. */
export interface PageLoopArgs {
  readonly table: string
  readonly paginator: Paginator
  readonly stop: CompiledStopRules
  /** The endpoint, minus the paginator's request. */
  readonly target: Omit<PageTarget, 'request'>
  readonly start: PagePosition & { readonly page: PageRequest }
  readonly fetch: FetchPage
  readonly signal: AbortSignal
  /** Strips credentials from a next request (it is saved in state and shown in errors). */
  readonly clean: (request: PageRequest) => PageRequest
  /** A record's primary key as text, to recognise a page served twice; undefined without a key. */
  readonly keyOf: ((record: unknown) => string) | undefined
  /** Chooses the next requests instead of the paginator. */
  readonly steer?: PageSteer | undefined
}

const REMEMBERED = 10_000 // requests remembered to catch a cursor or link that comes back; past it only maxPages guards

/**
 * Walks the pages of one endpoint from `start`, fetching the next page while the caller handles the current one
 * (one request ahead), and stops by the paginator, its stop rules, or `PAGINATION_LOOP` when a next request repeats
 * an earlier one or a page repeats the one before. Leaving early aborts the request in flight.
 */
export async function* pageLoop(args: PageLoopArgs): AsyncGenerator<PageStep> {
  const { paginator, stop, fetch, clean, keyOf, steer } = args
  const local = new AbortController()
  const signal = AbortSignal.any([args.signal, local.signal])
  const seen = new Set<string>()
  const remember = (id: string): void => {
    seen.add(id)
    if (seen.size > REMEMBERED) seen.delete(seen.values().next().value!)
  }
  let request = args.start.page
  let pages = args.start.pages
  let received = args.start.received
  let counted = received // records of the current query, for the `total` rule (a steer starts queries afresh)
  let restarted = false // the pending request (a steer's) reads rows again
  let fresh = false // the pending request starts a new query
  remember(identity(request))
  const load = (req: PageRequest) => {
    const pending = fetch({ ...args.target, request: req }, signal)
    pending.catch(() => undefined) // awaited below; this keeps an abandoned prefetch from being "unhandled"
    return pending
  }
  let pending: ReturnType<FetchPage> | undefined = load(request)
  let previous: { body: Buffer; print: string | undefined } | undefined
  try {
    while (pending) {
      const raw = await pending
      pending = undefined
      pages++
      received += raw.records.length
      counted += raw.records.length
      const page: Page = { data: raw.data, headers: raw.headers, records: raw.records, url: raw.url, number: pages, received: counted }
      const reason = stopReason(stop, page, paginator.pageSize)
      const proposed = reason === undefined ? paginator.next({ request, page }) : undefined
      const steered = steer?.next({ request, page, proposed })
      const chosen = steer ? steered?.request : proposed
      const next = chosen && clean(chosen)
      const print = keyOf && raw.records.length > 0 ? `${raw.records.length}|${keyOf(raw.records[0])}|${keyOf(raw.records.at(-1))}` : undefined
      const again = restarted // this page reads rows again
      const first = fresh // this page starts a query: the page before it answered another one
      restarted = steered?.restarted === true
      fresh = steered?.fresh === true
      if (fresh) {
        // A new query (from a new cursor value, or the same one again): its requests may repeat earlier ones.
        seen.clear()
        counted = 0
      }
      if (next) {
        if (!first && previous && ((previous.body.length === raw.body.length && previous.body.equals(raw.body)) || (print !== undefined && print === previous.print))) {
          throw loop(args, `page ${pages} repeats page ${pages - 1} (same records)`, request)
        }
        const id = identity(next)
        if (seen.has(id)) throw loop(args, `the request after page ${pages} repeats an earlier one`, next)
        remember(id)
        pending = load(next)
      }
      previous = { body: raw.body, print }
      yield { page, request, after: { ...(next ? { page: next } : {}), pages, received }, ...(again ? { restarted: true } : {}) }
      if (!next) return
      request = next
    }
  } finally {
    local.abort()
  }
}

function identity(request: PageRequest): string {
  const query = request.query ? Object.entries(request.query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : []
  return `${request.url ?? ''}?${JSON.stringify(query)}`
}

function loop(args: PageLoopArgs, what: string, request: PageRequest): SluiceError {
  const shown = request.url ?? new URLSearchParams(Object.entries(request.query ?? {}).map(([k, v]): [string, string] => [k, String(v)])).toString()
  return new SluiceError({
    code: 'PAGINATION_LOOP',
    message: `${args.table}: ${what} (${args.paginator.kind} pagination, ${shown || 'no parameters'}); the API is not advancing: check the paginator's parameter names and paths, or add stop.hasMore / stop.maxPages`,
    context: { table: args.table, paginator: args.paginator.kind, request: shown },
  })
}
