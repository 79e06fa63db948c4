import { checkPassed, type CheckResult, type SourceCheckArgs } from '../../contracts/check.js'
import { httpCheckFailure } from '../http-check-failure.js'
import { pageFetcher } from './page-fetcher.js'
import type { PageRequest } from './paginator.js'
import { restHttpClient } from './rest-client.js'
import type { ResolvedRest, ResolvedStream } from './rest-options.js'

/**
 * The checks of a REST source: the first request of each top-level stream, with the page size
 * set to 1 where the paginator has one, sent once (no retry) through the source's own client (auth,
 * headers, origins). One result per stream; it passes when the page parses and its records are
 * found. A child stream is not requested (its path needs a parent's record) and says so.
 *
 * @example
 * ```ts
 * import { resolveRest } from './rest-options.js'
 * import { restCheck } from './rest-check.js'
 * const results = await restCheck(resolveRest({ baseUrl: 'http://127.0.0.1:9', streams: [{ table: 't', path: '/t' }] }), { configuration: {}, signal: new AbortController().signal })
 * results[0]?.ok // false: nothing listens on port 9
 * ```
 */
export async function restCheck(config: ResolvedRest, args: SourceCheckArgs): Promise<CheckResult[]> {
  const client = restHttpClient(config)
  const fetch = pageFetcher({ client, baseUrl: config.baseUrl, origins: config.origins, policy: undefined, clock: config.clock })
  const secrets = config.auth?.secrets?.() ?? []
  const results: CheckResult[] = []
  try {
    for (const stream of withChildren(config.streams)) {
      const name = `${stream.table}: first request`
      if (stream.parent !== undefined) {
        results.push({ name, ok: true, skipped: true, message: `not requested: its path needs a record of ${stream.parent}` })
        continue
      }
      try {
        const path = stream.path.expand({}, () => stream.table)
        const request = smallest(stream.paginator.first({ path }), stream.paginator.pageSize)
        const page = await fetch({ path, params: stream.params, request, records: stream.records, recordsPath: stream.recordsPath, where: stream.where }, args.signal)
        const host = new URL(page.url).host
        results.push(checkPassed(name, `${host} answered ${new URL(page.url).pathname} with ${page.records.length} record${page.records.length === 1 ? '' : 's'}`))
      } catch (error) {
        results.push(httpCheckFailure(name, error, { configuration: args.configuration, secrets }))
      }
    }
  } finally {
    await client.close()
  }
  return results
}

/** The first request with its page-size parameter (the one holding the paginator's size) set to 1. */
function smallest(request: PageRequest, pageSize: number | undefined): PageRequest {
  if (pageSize === undefined || request.query === undefined) return request
  const query = Object.fromEntries(Object.entries(request.query).map(([key, value]) => [key, value === pageSize || value === String(pageSize) ? 1 : value]))
  return { ...request, query }
}

/** Each stream followed by its child streams, depth first. */
function withChildren(streams: readonly ResolvedStream[]): ResolvedStream[] {
  return streams.flatMap((stream) => [stream, ...withChildren(stream.children)])
}
