import { httpClient, type HttpClient } from '../../http/http-client.js'
import type { ResolvedRest } from './rest-options.js'

/**
 * The HTTP client of a REST source as its options configure it (base URL, headers, auth, pool,
 * timeouts, rate limit): the one `read()` pages with and the one `check()` asks the first page with.
 *
 * @example
 * ```ts
 * import { resolveRest } from './rest-options.js'
 * import { restHttpClient } from './rest-client.js'
 * const client = restHttpClient(resolveRest({ baseUrl: 'https://api.example.com', streams: [{ table: 't', path: '/t' }] }))
 * await client.close()
 * ```
 */
export function restHttpClient(config: ResolvedRest): HttpClient {
  return httpClient({
    baseUrl: config.baseUrl,
    headers: config.headers,
    credentialOrigins: config.origins.credentialOrigins,
    connections: config.connections,
    timeouts: config.timeouts,
    maxResponseBytes: config.maxResponseBytes,
    optionsPath: 'rest', // errors name `rest({ maxResponseBytes })`, as the user wrote it
    ...(config.auth ? { auth: config.auth } : {}),
    ...(config.clock ? { clock: config.clock } : {}),
    ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
  })
}
