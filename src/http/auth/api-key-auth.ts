import { knownOptions, oneOf } from '../../core/check-option.js'
import type { Auth } from './auth.js'
import { requireSecret } from './require-secret.js'

/**
 * Options for `apiKeyAuth`: the key and where it goes.
 * Use `in: 'query'` only when the API demands it; sluice still redacts it from URLs.
 *
 * @example
 * ```ts
 * import type { ApiKeyAuthOptions } from 'sluice'
 * const options: ApiKeyAuthOptions = { key: 'k_123456', name: 'Authorization', prefix: 'Token ' }
 * ```
 */
export interface ApiKeyAuthOptions {
  readonly key: string
  /** Where the key goes. Default 'header'. */
  readonly in?: 'header' | 'query'
  /** Header or query parameter name. Default 'x-api-key' (header) or 'api_key' (query). */
  readonly name?: string
  /** Put before the key in a header, e.g. 'Token '. Default ''. */
  readonly prefix?: string
}

/**
 * Sends an API key in a header or a query parameter; the parameter is redacted from every URL sluice shows.
 * Use it for APIs that take a static key (`X-API-Key: …`, `?api_key=…`).
 *
 * @example
 * ```ts
 * import { apiKeyAuth } from 'sluice'
 * const auth = apiKeyAuth({ key: 'k_123456', in: 'query', name: 'apikey' })
 * ```
 */
export function apiKeyAuth(options: ApiKeyAuthOptions): Auth {
  knownOptions(options, { key: true, in: true, name: true, prefix: true }, 'apiKeyAuth')
  const key = requireSecret('apiKeyAuth.key', options?.key)
  const where = oneOf('apiKeyAuth.in', options.in ?? 'header', ['header', 'query'] as const)
  const name = options.name ?? (where === 'header' ? 'x-api-key' : 'api_key')
  const value = `${options.prefix ?? ''}${key}`
  return {
    secretParams: where === 'query' ? [name] : [],
    apply({ url, headers }) {
      if (where === 'query') url.searchParams.set(name, key)
      else headers[name.toLowerCase()] = value
    },
    secrets: () => [key],
  }
}
