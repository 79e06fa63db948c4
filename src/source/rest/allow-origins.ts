import { SluiceError } from '../../core/sluice-error.js'
import { parseOrigin } from '../../http/origin.js'
import { configInvalid } from '../../core/check-option.js'

/**
 * One entry of `rest({ allowOrigins })`: an origin that links may lead to. A string, or `{ origin }`, is followed
 * without auth and headers; `{ origin, credentials: true }` gets them too.
 *
 * @example
 * ```ts
 * import type { RestOptions } from 'sluice'
 * const allowOrigins: RestOptions['allowOrigins'] = ['https://cdn.example.com', { origin: 'https://eu.api.example.com', credentials: true }]
 * ```
 */
export type AllowOrigin = string | { readonly origin: string; readonly credentials?: boolean }

/** Where a REST source may send requests, from its `baseUrl` and `allowOrigins`. */
export interface OriginPolicy {
  /** Origins besides that of baseUrl that receive auth and headers (`credentials: true`). */
  readonly credentialOrigins: readonly string[]
  /** Throws `CROSS_ORIGIN_LINK` when `url` leads to neither the origin of baseUrl nor an allowed one. */
  check(url: URL, where: string): void
}

const KEYS = ['origin', 'credentials']

/**
 * Validates `allowOrigins` (CONFIG_INVALID naming `allowOrigins[i]`) against the origin of `base`, and returns the
 * check every page request goes through: a next link, a paginator's URL or a saved position that leads to another
 * origin (scheme, host or port) is refused unless listed, since following it would hand that host the API's data
 * requests and, through the client, possibly its credentials.
 */
export function originPolicy(base: URL, value: unknown): OriginPolicy {
  if (value !== undefined && !Array.isArray(value)) throw configInvalid('allowOrigins', "an array of origins such as ['https://cdn.example.com']", value)
  const allowed = new Set<string>([base.origin])
  const credentialOrigins: string[] = []
  ;((value ?? []) as unknown[]).forEach((entry, i) => {
    const where = `allowOrigins[${i}]`
    if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      for (const key of Object.keys(entry)) if (!KEYS.includes(key)) throw configInvalid(`${where}.${key}`, `one of ${KEYS.join(', ')}`, key)
      const { origin, credentials } = entry as { origin?: unknown; credentials?: unknown }
      if (credentials !== undefined && typeof credentials !== 'boolean') throw configInvalid(`${where}.credentials`, 'true or false', credentials)
      const parsed = parseOrigin(origin, `${where}.origin`)
      allowed.add(parsed)
      if (credentials === true) credentialOrigins.push(parsed)
    } else allowed.add(parseOrigin(entry, where))
  })
  return {
    credentialOrigins,
    check(url, where) {
      if (!allowed.has(url.origin)) throw crossOrigin(url.origin, base.origin, where)
    },
  }
}

// Only the origin is shown: the path and query of a link may carry tokens.
function crossOrigin(origin: string, baseOrigin: string, where: string): SluiceError {
  return new SluiceError({
    code: 'CROSS_ORIGIN_LINK',
    message:
      `${where}: a page link leads to '${origin}', another origin than that of baseUrl ('${baseOrigin}'), and is not followed. ` +
      `If the API means it, set rest({ allowOrigins: ['${origin}'] }) to follow such links without auth and headers, ` +
      `or allowOrigins: [{ origin: '${origin}', credentials: true }] to send them there too`,
    retryable: false,
    context: { stream: where, origin, baseOrigin, option: 'allowOrigins' },
  })
}
