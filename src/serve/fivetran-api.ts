import type { IncomingMessage, ServerResponse } from 'node:http'
import { isSluiceError } from '../core/sluice-error.js'
import type { TableDescription } from '../contracts/sink.js'
import { authorized, type ServeAuth } from './basic-auth.js'
import type { ConnectorFacts, Facts } from './facts.js'
import { readJsonBody, replyJson } from './http-reply.js'
import { triggerSync } from './trigger-sync.js'

/** The group every connector of a server belongs to (Fivetran lists connectors per group). */
export const GROUP_ID = 'sluice'

/** Fivetran's `sync_mode` of each sluice write mode. */
const SYNC_MODE: Readonly<Record<string, string>> = { upsert: 'SOFT_DELETE', history: 'HISTORY', append: 'LIVE', replace: 'LIVE' }

/**
 * Answers the Fivetran-shaped REST API under `/v1` — `connectors` and its newer name
 * `connections` — so tools written for Fivetran's API work by changing the base URL: list, get,
 * trigger a sync, pause / resume (`PATCH`), schemas. Every call needs HTTP Basic with the
 * server's key and secret, as Fivetran's does; errors come in Fivetran's shape
 * (`{"code":"NotFound_Connector","message":…}`). Resolves false for a path it does not own.
 * docs/serve.md maps the fields one by one.
 *
 * @example
 * ```ts
 * import { fivetranApi } from './fivetran-api.js'
 * import type { Facts } from './facts.js'
 * import type { IncomingMessage, ServerResponse } from 'node:http'
 * declare const facts: Facts, req: IncomingMessage, res: ServerResponse
 * await fivetranApi(req, res, new URL(req.url ?? '/', 'http://x'), { facts, auth: { key: 'k', secret: 's' } })
 * ```
 */
export async function fivetranApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: { readonly facts: Facts; readonly auth: ServeAuth | undefined }): Promise<boolean> {
  const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p))
  if (parts[0] !== 'v1') return false
  const fail = (status: number, code: string, message: string) => replyJson(res, status, { code, message })
  if (!authorized(req, ctx.auth)) {
    res.setHeader('www-authenticate', 'Basic realm="sluice"')
    fail(401, 'AuthFailed', ctx.auth ? 'wrong API key or secret (HTTP Basic: key as user name, secret as password)' : 'this server has no API key: set SLUICE_API_KEY and SLUICE_API_SECRET (or serve({ auth }))')
    return true
  }
  // /v1/groups/{group}/connectors lists the group's connectors, as Fivetran's "list connectors in a group".
  const listing = (parts.length === 2 && isResource(parts[1])) || (parts.length === 4 && parts[1] === 'groups' && isResource(parts[3]))
  const resource = listing ? (parts[3] ?? parts[1])! : parts[1]
  const noun = resource === 'connections' ? 'Connection' : 'Connector'
  if (!isResource(resource)) {
    fail(404, 'NotFound', `no such endpoint: ${url.pathname}`)
    return true
  }
  const method = req.method ?? 'GET'
  try {
    if (listing) {
      if (parts.length === 4 && parts[2] !== GROUP_ID) return fail(404, 'NotFound_Group', `no group ${parts[2]}; this server's group is ${GROUP_ID}`), true
      if (method !== 'GET') return fail(405, 'MethodNotAllowed', `${method} ${url.pathname}: creating ${resource} is not supported; add a connector folder or target to the server`), true
      const { connectors } = await ctx.facts.overview()
      replyJson(res, 200, { code: 'Success', data: { items: connectors.map(fivetranConnector), next_cursor: null } })
      return true
    }
    const id = parts[2]
    const action = parts[3]
    if (id === undefined || parts.length > 4) return fail(404, 'NotFound', `no such endpoint: ${url.pathname}`), true
    const facts = await ctx.facts.connector(id)
    if (!facts) return fail(404, `NotFound_${noun}`, `${noun} with id '${id}' doesn't exist`), true

    if (action === undefined && method === 'GET') {
      replyJson(res, 200, { code: 'Success', data: fivetranConnector(facts) })
    } else if (action === undefined && method === 'PATCH') {
      await patch(req, res, ctx.facts, facts, noun)
    } else if (action === 'sync' && method === 'POST') {
      const body = await readJsonBody(req)
      const unknown = Object.keys(body).filter((k) => k !== 'force')
      if (unknown.length) return fail(400, 'InvalidInput', `unsupported field ${unknown.join(', ')}: POST …/sync takes only {"force": boolean}`), true
      if (body.force !== undefined && typeof body.force !== 'boolean') return fail(400, 'InvalidInput', '`force` must be a boolean'), true
      const outcome = await triggerSync(ctx.facts, id)
      if (outcome === 'read-only') return fail(409, 'NotSupported', `${noun.toLowerCase()} ${id} is read from its warehouse only; serve its connector folder or Connector to sync it`), true
      if (outcome === 'paused') return fail(409, 'Paused', `${noun.toLowerCase()} ${id} is paused; PATCH {"paused": false} first`), true
      // force: true does not stop a running sync to start over (Fivetran's meaning): a second sync never runs next to the first.
      const message = outcome === 'running' ? `A sync of ${noun.toLowerCase()} with id '${id}' is already running; no second sync was started` : `Sync has been successfully triggered for ${noun.toLowerCase()} with id '${id}'`
      replyJson(res, 200, { code: 'Success', message })
    } else if (action === 'schemas' && method === 'GET') {
      replyJson(res, 200, { code: 'Success', data: fivetranSchemas(id, (await ctx.facts.tables(id)) ?? []) })
    } else if (action === undefined || action === 'sync' || action === 'schemas') {
      fail(405, 'MethodNotAllowed', `${method} ${url.pathname} is not supported`)
    } else {
      fail(404, 'NotFound', `no such endpoint: ${url.pathname}`)
    }
    return true
  } catch (error) {
    if (isSluiceError(error) && error.code === 'CONFIG_INVALID') return fail(400, 'InvalidInput', error.message), true
    throw error
  }
}

function isResource(part: string | undefined): part is 'connectors' | 'connections' {
  return part === 'connectors' || part === 'connections'
}

/** `PATCH /v1/connectors/{id}`: `paused` and `sync_frequency`; anything else, or what can't be honoured, is refused. */
async function patch(req: IncomingMessage, res: ServerResponse, facts: Facts, connector: ConnectorFacts, noun: string): Promise<void> {
  const fail = (status: number, code: string, message: string) => replyJson(res, status, { code, message })
  const body = await readJsonBody(req)
  const unknown = Object.keys(body).filter((k) => k !== 'paused' && k !== 'sync_frequency')
  if (unknown.length) return fail(400, 'InvalidInput', `unsupported field ${unknown.join(', ')}: PATCH takes "paused" and "sync_frequency" (see docs/serve.md)`)
  if (body.paused !== undefined && typeof body.paused !== 'boolean') return fail(400, 'InvalidInput', '`paused` must be a boolean')
  if (body.sync_frequency !== undefined) {
    const wanted = body.sync_frequency
    if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted <= 0) return fail(400, 'InvalidInput', '`sync_frequency` must be a whole number of minutes')
    // The schedule lives in the code that made the connector; changing it from here would be lost at the next start.
    if (wanted !== connector.syncFrequencyMinutes) {
      return fail(400, 'InvalidInput', `sync_frequency ${wanted} can't be honoured for ${noun.toLowerCase()} ${connector.id}: ${connector.schedule ? `its schedule is set where it is created (${connector.schedule}); change it there` : 'it has no schedule here (it syncs when asked)'}`)
    }
  }
  const control = facts.control(connector.id)
  if (body.paused !== undefined && body.paused !== connector.paused) {
    if (!control) return fail(409, 'NotSupported', `${noun.toLowerCase()} ${connector.id} is read from its warehouse only; it can't be paused from here`)
    await (body.paused ? control.pause() : control.resume())
  }
  const updated = (await facts.connector(connector.id)) ?? connector
  replyJson(res, 200, { code: 'Success', message: `${noun} has been updated`, data: fivetranConnector(updated) })
}

/**
 * A connector in the shape of Fivetran's connector details. No `config`: configuration values
 * are secrets more often than not, and are never served.
 */
export function fivetranConnector(c: ConnectorFacts): Record<string, unknown> {
  const warnings = c.state === 'failing' && c.lastSync?.error ? [{ code: c.lastSync.error.code, message: c.lastSync.error.message }] : []
  return {
    id: c.id,
    group_id: GROUP_ID,
    service: 'connector_sdk',
    service_version: 1,
    schema: c.id,
    connected_by: null,
    created_at: null,
    succeeded_at: c.lastSuccessAt ?? null,
    failed_at: c.lastFailureAt ?? null,
    paused: c.paused,
    pause_after_trial: false,
    sync_frequency: c.syncFrequencyMinutes ?? null,
    schedule_type: c.schedule ? 'auto' : 'manual',
    status: {
      setup_state: 'connected',
      sync_state: c.state === 'syncing' ? 'syncing' : c.paused ? 'paused' : 'scheduled',
      update_state: c.late ? 'delayed' : 'on_schedule',
      is_historical_sync: c.state === 'syncing' && c.lastSuccessAt === undefined,
      tasks: [],
      warnings,
    },
    config: {},
  }
}

/** Tables and columns in the shape of Fivetran's schema config: one schema named after the connector. */
export function fivetranSchemas(id: string, tables: readonly TableDescription[]): Record<string, unknown> {
  return {
    enable_new_by_default: true,
    schema_change_handling: 'ALLOW_ALL',
    schemas: {
      [id]: {
        name_in_destination: id,
        enabled: true,
        tables: Object.fromEntries(
          tables.map((t) => [
            t.table,
            {
              name_in_destination: t.name,
              enabled: true,
              sync_mode: SYNC_MODE[t.mode] ?? 'SOFT_DELETE',
              columns: Object.fromEntries(
                t.columns.map((col) => [col.source, { name_in_destination: col.name, enabled: true, hashed: false, is_primary_key: t.primaryKey.includes(col.name) || t.primaryKey.includes(col.source) }]),
              ),
            },
          ]),
        ),
      },
    },
  }
}
