import type { State } from '../../core/message.js'
import type { Auth } from '../../http/auth/auth.js'
import { op } from '../op.js'
import type { Source } from '../../contracts/source.js'
import { mergeIterators } from './merge-iterators.js'
import { pageFetcher } from './page-fetcher.js'
import { restCheck } from './rest-check.js'
import { restHttpClient } from './rest-client.js'
import type { PageRequest } from './paginator.js'
import type { ReadContext } from './rest-event.js'
import { resolveRest, type RestOptions } from './rest-options.js'
import { readStreamStates, type RestStreamState } from './rest-state.js'
import { forgetDrivingRuns, selectedStreams } from './selected-streams.js'
import { readStream } from './stream-reader.js'

/**
 * A source over a REST API: one stream per endpoint and table, paginated, optionally incremental, with child
 * endpoints per parent record. The whole configuration is validated now (CONFIG_INVALID names the option, e.g.
 * `streams[0].paginate.limit`).
 *
 * Each page is upserted and followed by a checkpoint, so a sync stopped anywhere resumes at the next page. Requests
 * share one keep-alive pool; each page (request, JSON parse) is retried per `retry`, never a whole stream. The next
 * page is fetched while the current one is written. State is `{ streams: { <table>: … } }` and never holds credentials.
 *
 * Under a `select()` stage, a stream whose table is blocked is never requested, unless a selected child stream needs
 * its records (then they are read to fill the child's path but not written), and blocked columns are dropped from the
 * rows before they become batches (the primary key is always kept; a blocked incremental cursor is still read to
 * move the state, just not written). A stream with `fields` also asks the API for the selected columns only.
 *
 * @example
 * ```ts
 * import { offset, rest, sqlite, sync } from 'sluice'
 * await sync({
 *   source: rest({
 *     baseUrl: 'https://api.example.com/v1',
 *     auth: { bearer: process.env.API_TOKEN ?? 'dev-token' },
 *     streams: [
 *       { table: 'customers', path: '/customers', records: 'data', primaryKey: ['id'], paginate: offset({ limit: 100 }) },
 *       { table: 'orders', path: '/customers/{id}/orders', parent: 'customers', parentFields: { customer_id: 'id' }, records: 'data', primaryKey: ['id'],
 *         incremental: { cursor: 'updated_at', param: 'updated_since', lookback: '5m' } },
 *     ],
 *   }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function rest(options: RestOptions): Source {
  const config = resolveRest(options)
  const clean = credentialStripper(config.auth)
  return {
    id: config.id,
    tables: () => config.specs,
    readAhead: true,
    check: (args) => restCheck(config, args),
    async *read({ state, signal, recordError, selection }) {
      const selected = selectedStreams(config.streams, selection)
      const saved = forgetDrivingRuns(readStreamStates(state), selected)
      const local = new AbortController()
      const client = restHttpClient(config)
      const ctx: ReadContext = {
        fetch: pageFetcher({ client, baseUrl: config.baseUrl, origins: config.origins, policy: config.retry, clock: config.clock }),
        signal: AbortSignal.any([signal, local.signal]),
        clean,
        recordError,
        concurrency: config.concurrency,
        saved,
      }
      const book = new Map(saved)
      const others = Object.fromEntries(Object.entries(state ?? {}).filter(([key]) => key !== 'streams'))
      try {
        const streams = selected.map((stream) => () => readStream(stream, ctx))
        for await (const event of mergeIterators(streams, config.concurrency)) {
          if (event.kind === 'message') {
            yield event.message
            continue
          }
          for (const [table, next] of Object.entries(event.updates)) {
            if (Object.keys(next).length === 0) book.delete(table)
            else book.set(table, next)
          }
          yield op.checkpoint({ ...others, streams: Object.fromEntries(book) } as unknown as State)
        }
      } finally {
        local.abort() // ends requests still in flight (a prefetched page, other streams) before the pool closes
        await client.close()
      }
    },
  }
}

/**
 * Removes credentials from a next-page URL before it is saved in state or shown: query parameters the auth owns or
 * whose value is a secret, and user:password. Auth adds its parameters again when the request is sent.
 */
function credentialStripper(auth: Auth | undefined): (request: PageRequest) => PageRequest {
  const owned = new Set((auth?.secretParams ?? []).map((p) => p.toLowerCase()))
  return (request) => {
    if (request.url === undefined) return request
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return request
    }
    const secrets = new Set(auth?.secrets?.() ?? [])
    let changed = false
    for (const [name, value] of [...url.searchParams]) {
      if (owned.has(name.toLowerCase()) || secrets.has(value)) {
        url.searchParams.delete(name)
        changed = true
      }
    }
    if (url.username !== '' || url.password !== '') {
      url.username = ''
      url.password = ''
      changed = true
    }
    return changed ? { ...request, url: url.href } : request
  }
}
