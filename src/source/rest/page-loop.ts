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
}

const REMEMBERED = 10_000 // requests remembered to catch a cursor or link that comes back; past it only maxPages guards

/**
 * Walks the pages of one endpoint from `start`, fetching the next page while the caller handles the current one
 * (one request ahead), and stops by the paginator, its stop rules, or `PAGINATION_LOOP` when a next request repeats
 * an earlier one or a page repeats the one before. Leaving early aborts the request in flight.
 */
export async function* pageLoop(args: PageLoopArgs): AsyncGenerator<PageStep> {
  const { paginator, stop, fetch, clean, keyOf } = args
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
      const page: Page = { data: raw.data, headers: raw.headers, records: raw.records, url: raw.url, number: pages, received }
      const reason = stopReason(stop, page, paginator.pageSize)
      const proposed = reason === undefined ? paginator.next({ request, page }) : undefined
      const next = proposed && clean(proposed)
      const print = keyOf && raw.records.length > 0 ? `${raw.records.length}|${keyOf(raw.records[0])}|${keyOf(raw.records.at(-1))}` : undefined
      if (next) {
        if (previous && ((previous.body.length === raw.body.length && previous.body.equals(raw.body)) || (print !== undefined && print === previous.print))) {
          throw loop(args, `page ${pages} repeats page ${pages - 1} (same records)`, request)
        }
        const id = identity(next)
        if (seen.has(id)) throw loop(args, `the request after page ${pages} repeats an earlier one`, next)
        remember(id)
        pending = load(next)
      }
      previous = { body: raw.body, print }
      yield { page, request, after: { ...(next ? { page: next } : {}), pages, received } }
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
