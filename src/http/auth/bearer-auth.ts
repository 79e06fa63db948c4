import type { Auth } from './auth.js'
import { requireSecret } from './require-secret.js'
import { knownOptions } from '../../core/check-option.js'

/**
 * Options for `bearerAuth`: a token, or a function returning the current one.
 * Use a function when the token rotates.
 *
 * @example
 * ```ts
 * import type { BearerAuthOptions } from 'sluice'
 * const options: BearerAuthOptions = { token: async () => 'tok_from_vault' }
 * ```
 */
export interface BearerAuthOptions {
  /** The token, or a function returning the current one (called per request, e.g. from a secret store). */
  readonly token: string | (() => string | Promise<string>)
}

/**
 * Sends `Authorization: Bearer <token>`.
 * Use it for personal access tokens and API tokens issued out of band; for client credentials use `oauth2ClientCredentials`.
 *
 * @example
 * ```ts
 * import { bearerAuth } from 'sluice'
 * const auth = bearerAuth({ token: 'tok_123456' })
 * ```
 */
export function bearerAuth(options: BearerAuthOptions): Auth {
  knownOptions(options, { token: true }, 'bearerAuth')
  const source = options?.token
  const seen = new Set<string>()
  if (typeof source !== 'function') seen.add(requireSecret('bearerAuth.token', source))
  return {
    async apply({ headers }) {
      const token = requireSecret('bearerAuth.token', typeof source === 'function' ? await source() : source)
      seen.add(token)
      headers['authorization'] = `Bearer ${token}`
    },
    secrets: () => [...seen],
  }
}
