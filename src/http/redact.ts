import { knownOptions } from '../core/check-option.js'
/**
 * Query parameter names whose values are always hidden in URLs that reach errors and logs (case-insensitive).
 * Auths add their own (an API key's parameter name) through `Auth.secretParams`.
 */
export const SECRET_PARAMS: readonly string[] = [
  'api_key',
  'apikey',
  'api-key',
  'key',
  'access_token',
  'id_token',
  'refresh_token',
  'token',
  'client_secret',
  'secret',
  'password',
  'passwd',
  'pwd',
  'signature',
  'sig',
  'code',
  'auth',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
]

const MARK = '[REDACTED]'

/**
 * Options for `redactUrl`: extra secret parameter names and secret values.
 * Pass an auth's `secretParams` and `secrets()`.
 *
 * @example
 * ```ts
 * import type { RedactOptions } from './redact.js'
 * const options: RedactOptions = { params: ['subscription-key'], secrets: ['k_123456'] }
 * ```
 */
export interface RedactOptions {
  /** Extra parameter names to hide, on top of `SECRET_PARAMS`. */
  readonly params?: Iterable<string>
  /** Secret values to cut out wherever they appear (path segments, excerpts). */
  readonly secrets?: Iterable<string>
}

/**
 * A URL as text that is safe to show: userinfo, secret query values and known secret values replaced by `[REDACTED]`, fragment dropped.
 * Use it for every URL that goes into an error, a log line or a report.
 *
 * @example
 * ```ts
 * import { redactUrl } from './redact.js'
 * redactUrl('https://api.example.com/v1/orders?api_key=abc&page=2') // 'https://api.example.com/v1/orders?api_key=[REDACTED]&page=2'
 * ```
 */
export function redactUrl(url: URL | string, options: RedactOptions = {}): string {
  knownOptions(options, { params: true, secrets: true }, 'redactUrl')
  let parsed: URL
  try {
    parsed = typeof url === 'string' ? new URL(url) : url
  } catch {
    return redactSecrets(String(url), options.secrets ?? [])
  }
  const hidden = new Set(SECRET_PARAMS)
  for (const p of options.params ?? []) hidden.add(p.toLowerCase())
  const userinfo = parsed.username || parsed.password ? `${MARK}@` : ''
  const pairs: string[] = []
  for (const [name, value] of parsed.searchParams) {
    pairs.push(`${encodeURIComponent(name)}=${hidden.has(name.toLowerCase()) ? MARK : encodeURIComponent(value)}`)
  }
  const query = pairs.length > 0 ? `?${pairs.join('&')}` : ''
  return redactSecrets(`${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${query}`, options.secrets ?? [])
}

/**
 * `text` with every occurrence of each secret (raw and URL-encoded) replaced by `[REDACTED]`.
 * Use it on anything built from outside text — response excerpts, error descriptions — before it is shown.
 *
 * @example
 * ```ts
 * import { redactSecrets } from './redact.js'
 * redactSecrets('invalid key sk_live_123', ['sk_live_123']) // 'invalid key [REDACTED]'
 * ```
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  let out = text
  for (const secret of secrets) {
    // Very short values would shred ordinary text; real credentials are longer.
    if (typeof secret !== 'string' || secret.length < 4) continue
    for (const form of new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)])) {
      out = out.split(form).join(MARK)
    }
  }
  return out
}
