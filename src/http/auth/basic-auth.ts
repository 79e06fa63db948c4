import type { Auth } from './auth.js'
import { requireSecret } from './require-secret.js'
import { knownOptions } from '../../core/check-option.js'

/**
 * Options for `basicAuth`: username and password.
 * Read them from the environment or a secret store, never from code.
 *
 * @example
 * ```ts
 * import type { BasicAuthOptions } from 'sluice'
 * const options: BasicAuthOptions = { username: 'etl', password: process.env.API_PASSWORD ?? '' }
 * ```
 */
export interface BasicAuthOptions {
  readonly username: string
  readonly password: string
}

/**
 * Sends HTTP Basic credentials (`Authorization: Basic base64(username:password)`).
 * Use it for APIs that take a username and password, or a key as the username with an empty-ish password.
 *
 * @example
 * ```ts
 * import { basicAuth } from 'sluice'
 * const auth = basicAuth({ username: 'etl', password: 'pw_123456' })
 * ```
 */
export function basicAuth(options: BasicAuthOptions): Auth {
  knownOptions(options, { username: true, password: true }, 'basicAuth')
  const username = requireSecret('basicAuth.username', options?.username)
  const password = typeof options.password === 'string' ? options.password : requireSecret('basicAuth.password', options.password)
  const encoded = Buffer.from(`${username}:${password}`).toString('base64')
  return {
    apply({ headers }) {
      headers['authorization'] = `Basic ${encoded}`
    },
    // The username is often the key itself (Stripe-style), so treat it as secret too.
    secrets: () => [username, password, encoded],
  }
}
