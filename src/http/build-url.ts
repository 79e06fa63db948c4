import { SluiceError } from '../core/sluice-error.js'
import { knownOptions } from '../core/check-option.js'

/**
 * A query value: arrays repeat the parameter; `undefined` and `null` leave it out.
 * Use it for `query` objects built from optional settings.
 *
 * @example
 * ```ts
 * import type { QueryValue } from 'sluice'
 * const query: Record<string, QueryValue> = { ids: [1, 2], since: undefined }
 * ```
 */
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[]

/**
 * Arguments of `buildUrl`: a base, a path or absolute URL, and query parameters.
 * Use the same shape as a request's `url`/`path`/`query`.
 *
 * @example
 * ```ts
 * import type { BuildUrlArgs } from './build-url.js'
 * const args: BuildUrlArgs = { baseUrl: 'https://api.example.com/v1', path: '/orders', query: { status: ['open', 'paid'] } }
 * ```
 */
export interface BuildUrlArgs {
  readonly baseUrl?: string | undefined
  /** Absolute URL (e.g. a next-page link), or a path relative to `baseUrl`. */
  readonly url?: string | URL | undefined
  /** Path appended to `baseUrl` (its own path kept: `https://x/v1` + `/orders` → `https://x/v1/orders`). */
  readonly path?: string | undefined
  /** Parameters added to those already in the URL. */
  readonly query?: Readonly<Record<string, QueryValue>> | undefined
}

/**
 * Resolves a request's URL from `baseUrl` + `path` (or an absolute `url`) and `query`; throws `CONFIG_INVALID` if it is not http(s).
 * Used by the HTTP client; call it to preview a request URL. The base path is kept, unlike `new URL(path, base)`.
 *
 * @example
 * ```ts
 * import { buildUrl } from './build-url.js'
 * buildUrl({ baseUrl: 'https://api.example.com/v1', path: '/orders', query: { page: 2 } }).href
 * // 'https://api.example.com/v1/orders?page=2'
 * ```
 */
export function buildUrl(args: BuildUrlArgs): URL {
  knownOptions(args, { baseUrl: true, url: true, path: true, query: true }, 'buildUrl')
  const target = args.url ?? args.path ?? ''
  const text = String(target)
  let url: URL
  if (target instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    url = parse(text, 'url')
  } else if (args.baseUrl !== undefined) {
    const base = args.baseUrl.replace(/\/+$/, '')
    url = parse(text === '' ? base : `${base}${text.startsWith('/') || text.startsWith('?') ? '' : '/'}${text}`, 'baseUrl')
  } else {
    throw invalid('url', `must be an absolute http(s) URL, or the client needs a baseUrl for the path ${quoteSafe(text)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('url', `must use http or https, got ${url.protocol.replace(':', '')}`)
  }
  for (const [name, value] of Object.entries(args.query ?? {})) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, String(v))
    else url.searchParams.set(name, String(value))
  }
  return url
}

function parse(text: string, what: string): URL {
  try {
    return new URL(text)
  } catch {
    throw invalid(what, `must form a valid URL, got ${quoteSafe(text)}`)
  }
}

// The query string may already hold a key: never echo it.
function quoteSafe(text: string): string {
  const cut = text.split('?')[0]!.replace(/\/\/[^/@]*@/, '//[REDACTED]@')
  return JSON.stringify(cut.length < text.length ? `${cut}?…` : cut)
}

function invalid(what: string, problem: string): SluiceError {
  return new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` ${problem}`, context: { option: what } })
}
