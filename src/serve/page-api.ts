import type { IncomingMessage, ServerResponse } from 'node:http'
import { authorized, type ServeAuth } from './basic-auth.js'
import type { Facts } from './facts.js'
import { replyJson } from './http-reply.js'
import { triggerSync } from './trigger-sync.js'

/**
 * The dashboard's JSON under `/api`: reads are open (the server binds to loopback unless given a
 * key), `POST` (sync, pause, resume) needs HTTP Basic with the server's key and secret.
 * Resolves false for a path it does not own.
 *
 * - `GET /api/overview`: every connector's facts and the leases held now
 * - `GET /api/connectors/{id}/syncs?limit=50`: finished syncs, newest first
 * - `GET /api/connectors/{id}/syncs/{syncId}/errors`: that sync's `_sluice_errors` rows
 * - `GET /api/connectors/{id}/mar`: MAR per month and table, the budget, the thresholds fired
 * - `GET /api/connectors/{id}/schema-changes`: the schema change log
 * - `POST /api/connectors/{id}/sync` → 202 `{ started: true }`, or 409 `AlreadyRunning`
 * - `POST /api/connectors/{id}/pause` | `resume` → `{ paused }`
 *
 * @example
 * ```ts
 * import { pageApi } from './page-api.js'
 * import type { Facts } from './facts.js'
 * import type { IncomingMessage, ServerResponse } from 'node:http'
 * declare const facts: Facts, req: IncomingMessage, res: ServerResponse
 * await pageApi(req, res, new URL(req.url ?? '/', 'http://x'), { facts, auth: undefined })
 * ```
 */
export async function pageApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: { readonly facts: Facts; readonly auth: ServeAuth | undefined }): Promise<boolean> {
  const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p))
  if (parts[0] !== 'api') return false
  const fail = (status: number, code: string, message: string) => (replyJson(res, status, { code, message }), true)
  const method = req.method ?? 'GET'
  const { facts } = ctx
  if (parts.length === 2 && parts[1] === 'overview' && method === 'GET') return replyJson(res, 200, await facts.overview()), true
  if (parts[1] !== 'connectors' || parts[2] === undefined) return fail(404, 'NotFound', `no such endpoint: ${url.pathname}`)
  const id = parts[2]
  const rest = parts.slice(3).join('/')

  if (method === 'POST') {
    if (!authorized(req, ctx.auth)) {
      // No `www-authenticate` here: the page asks for the key itself, and that header would make
      // the browser pop its own login prompt over the page's fetch (headless: the request hangs).
      return fail(401, 'Unauthorized', ctx.auth ? 'wrong API key or secret' : 'this server has no API key: set SLUICE_API_KEY and SLUICE_API_SECRET to sync, pause and resume from here')
    }
    if (rest === 'sync') {
      const outcome = await triggerSync(facts, id)
      if (outcome === 'unknown') return fail(404, 'NotFound_Connector', `no connector ${id}`)
      if (outcome === 'read-only') return fail(409, 'NotSupported', `connector ${id} is read from its warehouse only; serve its connector folder to sync it`)
      if (outcome === 'paused') return fail(409, 'Paused', `connector ${id} is paused; resume it first`)
      if (outcome === 'running') return fail(409, 'AlreadyRunning', `connector ${id} is already syncing`)
      return replyJson(res, 202, { started: true }), true
    }
    if (rest === 'pause' || rest === 'resume') {
      if (!(await facts.connector(id))) return fail(404, 'NotFound_Connector', `no connector ${id}`)
      const control = facts.control(id)
      if (!control) return fail(409, 'NotSupported', `connector ${id} is read from its warehouse only; it can't be paused from here`)
      await (rest === 'pause' ? control.pause() : control.resume())
      return replyJson(res, 200, { paused: rest === 'pause' }), true
    }
    return fail(404, 'NotFound', `no such endpoint: POST ${url.pathname}`)
  }
  if (method !== 'GET') return fail(405, 'MethodNotAllowed', `${method} ${url.pathname} is not supported`)

  let body: unknown
  if (rest === 'syncs') {
    const limit = Number(url.searchParams.get('limit') ?? 50)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return fail(400, 'InvalidInput', '`limit` must be a whole number from 1 to 10000')
    body = await facts.syncs(id, limit)
  } else if (parts.length === 6 && parts[3] === 'syncs' && parts[5] === 'errors') body = await facts.syncErrors(id, parts[4]!)
  else if (rest === 'mar') body = await facts.mar(id)
  else if (rest === 'schema-changes') body = await facts.schemaChanges(id)
  else if (rest === '') body = await facts.connector(id)
  else return fail(404, 'NotFound', `no such endpoint: ${url.pathname}`)
  if (body === undefined) return fail(404, 'NotFound_Connector', `no connector ${id}`)
  replyJson(res, 200, body)
  return true
}
