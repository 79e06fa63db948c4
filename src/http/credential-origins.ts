import { configInvalid } from '../core/check-option.js'
import { parseOrigin } from './origin.js'

/** What of `HttpClientOptions` decides where credentials go (structural, so http-client.ts can import this file). */
export interface CredentialOptions {
  readonly auth?: unknown
  readonly headers?: Readonly<Record<string, string>>
  readonly credentialOrigins?: readonly string[]
}

/** The origins that receive auth and headers: that of `baseUrl` plus `credentialOrigins`; refuses credentials with nowhere to go. */
export function credentialOrigins(options: CredentialOptions, baseUrl: string | undefined, at: string): ReadonlySet<string> {
  const list = options.credentialOrigins ?? []
  if (!Array.isArray(list)) throw configInvalid(`${at}.credentialOrigins`, "an array of origins such as ['https://uploads.example.com']", list)
  const origins = new Set(list.map((origin, i) => parseOrigin(origin, `${at}.credentialOrigins[${i}]`)))
  if (baseUrl !== undefined) {
    try {
      origins.add(new URL(baseUrl).origin)
    } catch {
      // buildUrl reports a bad baseUrl, naming it, on the first request.
    }
  }
  const carried = options.auth !== undefined || Object.keys(options.headers ?? {}).length > 0
  if (carried && origins.size === 0 && baseUrl === undefined) {
    throw configInvalid(`${at}.baseUrl`, 'set (or credentialOrigins), so that auth and headers go to that origin only', undefined)
  }
  return origins
}
