import { configInvalid } from '../core/check-option.js'
import { redactUrl } from './redact.js'

/**
 * Checks that `value` names an http(s) origin — scheme, host and optional port, nothing after (a lone `/` is
 * accepted) — and returns it normalised as `URL.origin` writes it ('https://cdn.example.com', default port dropped).
 * Used for the lists that say where credentials may go (`httpClient({ credentialOrigins })`, `rest({ allowOrigins })`):
 * refusing a path or a query keeps such a list from looking narrower than it is.
 * The error shows the value redacted: it might hold user:password.
 */
export function parseOrigin(value: unknown, what: string): string {
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  const bare = url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === ''
  if (!bare || url!.pathname !== '/' || url!.search !== '' || url!.hash !== '' || /[?#]/.test(String(value))) {
    throw configInvalid(what, "an origin such as 'https://cdn.example.com' or 'http://127.0.0.1:8080' (http or https, no user:password, path or query)", typeof value === 'string' ? redactUrl(value) : value)
  }
  return url!.origin
}
