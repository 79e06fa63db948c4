import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/**
 * The API key and secret of `sluice serve`, as Fivetran's API takes them: HTTP Basic with the
 * key as user name and the secret as password.
 *
 * @example
 * ```ts
 * import type { ServeAuth } from 'sluice/serve'
 * const auth: ServeAuth = { key: process.env.SLUICE_API_KEY!, secret: process.env.SLUICE_API_SECRET! }
 * ```
 */
export interface ServeAuth {
  readonly key: string
  readonly secret: string
}

/**
 * Whether `req` carries the right key and secret. Both sides are hashed first so the comparison
 * takes the same time whatever the lengths (`timingSafeEqual` needs equal lengths); without
 * `auth` configured nothing is authorized — the server is never open by default.
 *
 * @example
 * ```ts
 * import { authorized } from './basic-auth.js'
 * import type { IncomingMessage } from 'node:http'
 * declare const req: IncomingMessage
 * authorized(req, { key: 'k', secret: 's' })
 * ```
 */
export function authorized(req: IncomingMessage, auth: ServeAuth | undefined): boolean {
  if (!auth) return false
  const header = req.headers.authorization ?? ''
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (!match) return false
  const given = Buffer.from(match[1]!, 'base64').toString('utf8')
  return timingSafeEqual(digest(given), digest(`${auth.key}:${auth.secret}`))
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
