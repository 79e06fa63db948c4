import { SluiceError } from '../core/sluice-error.js'
import type { Auth } from './auth/auth.js'
import { basicAuth } from './auth/basic-auth.js'

/**
 * Takes `user:password@` out of a base URL and turns it into Basic auth, as curl does; refuses it (CONFIG_INVALID)
 * next to another `auth`, since sending both would be a guess. Requests go to `URL.origin`, which has no userinfo,
 * so before this the credentials were dropped without a word. Errors name `what` and never show the password.
 * A URL that does not parse is returned unchanged for the caller's own URL check to report.
 */
export function baseUrlCredentials(baseUrl: string, auth: Auth | undefined, what: string): { readonly baseUrl: string; readonly auth: Auth | undefined } {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return { baseUrl, auth }
  }
  if (url.username === '' && url.password === '') return { baseUrl, auth }
  if (auth !== undefined) throw refused(what, 'must not carry user:password when `auth` is also set: keep one of them')
  if (url.username === '') throw refused(what, "has a password but no user name; write 'https://user:password@host' or use auth: { basic: { username, password } }")
  let username: string
  let password: string
  try {
    username = decodeURIComponent(url.username)
    password = decodeURIComponent(url.password)
  } catch {
    throw refused(what, 'has user:password with a malformed %-escape; percent-encode it with encodeURIComponent, or use auth: { basic }')
  }
  url.username = ''
  url.password = ''
  return { baseUrl: url.href, auth: basicAuth({ username, password }) }
}

function refused(what: string, problem: string): SluiceError {
  return new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` ${problem}`, context: { option: what } })
}
