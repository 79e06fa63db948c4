import { SluiceError } from '../../core/sluice-error.js'
import { knownKeys } from '../../core/check-option.js'
import { apiKeyAuth, type ApiKeyAuthOptions } from './api-key-auth.js'
import type { Auth } from './auth.js'
import { basicAuth, type BasicAuthOptions } from './basic-auth.js'
import { bearerAuth, type BearerAuthOptions } from './bearer-auth.js'
import { oauth2ClientCredentials, type OAuth2ClientCredentialsOptions } from './oauth2-client-credentials.js'

/**
 * Auth as config data (what `rest({ auth })` takes), or a ready `Auth`.
 * Use the data forms in configs and the `Auth` form for custom schemes.
 *
 * @example
 * ```ts
 * import type { AuthConfig } from 'sluice'
 * const auth: AuthConfig = { oauth2: { tokenUrl: 'https://auth.example.com/token', clientId: 'etl', clientSecret: 'cs_123456' } }
 * ```
 */
export type AuthConfig =
  | Auth
  | { readonly bearer: BearerAuthOptions['token'] }
  | { readonly apiKey: ApiKeyAuthOptions }
  | { readonly basic: BasicAuthOptions }
  | { readonly oauth2: OAuth2ClientCredentialsOptions }

/**
 * Turns auth config (`{ bearer }`, `{ apiKey }`, `{ basic }`, `{ oauth2 }`) into an `Auth`, passing an `Auth` through.
 * Use it where users declare auth as data, as in `rest({ baseUrl, auth: { bearer: token } })`.
 *
 * @example
 * ```ts
 * import { authFromConfig } from './auth-from-config.js'
 * const auth = authFromConfig({ apiKey: { key: 'k_123456', in: 'query' } })
 * ```
 */
export function authFromConfig(config: AuthConfig): Auth {
  if (typeof config === 'object' && config !== null) {
    if ('apply' in config && typeof config.apply === 'function') return config
    // One kind of auth, named by its key: a second or misspelt key beside it would otherwise be ignored
    // (a lone unknown key falls through to the error below, which lists the kinds).
    if (Object.keys(config).length > 1) knownKeys(config, ['bearer', 'apiKey', 'basic', 'oauth2'], 'auth')
    if (Object.keys(config).length > 1) throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`auth\` must name one kind of auth, got ${Object.keys(config).join(' and ')}`, context: { option: 'auth' } })
    if ('bearer' in config) return bearerAuth({ token: config.bearer })
    if ('apiKey' in config) return apiKeyAuth(config.apiKey)
    if ('basic' in config) return basicAuth(config.basic)
    if ('oauth2' in config) return oauth2ClientCredentials(config.oauth2)
  }
  const keys = typeof config === 'object' && config !== null ? Object.keys(config).join(', ') || 'none' : typeof config
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`auth\` must be an Auth or one of { bearer }, { apiKey }, { basic }, { oauth2 }, got keys: ${keys}`,
    context: { option: 'auth' },
  })
}
