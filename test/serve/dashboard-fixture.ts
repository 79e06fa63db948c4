import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import { sync, type SyncReport } from '../../src/index.js'
import { servePage } from '../../src/serve/page/serve-page.js'
import { BUDGET, crmSource, month, shopSource, type Store } from './dashboard-warehouse.js'

/**
 * A stand-in for `serve()` until it lands: the page's JSON of the shared contract
 * (docs/serve.md), read from the real warehouse through the sink's store methods, and the
 * dashboard from `servePage`. POST …/sync runs a real sync into the warehouse. Its clock runs two
 * hours ahead of the syncs, so that `crm` (every 1h) is late and `shop` (no schedule) is not.
 */
export interface Target {
  readonly url: string
  readonly store: Store
  readonly reports: readonly SyncReport[]
  /** Connectors a POST …/sync started, in order. */
  readonly triggered: string[]
  /** State-changing calls refused with 401. */
  unauthorized: number
  close(): Promise<void>
}

const AHEAD = 2 * 3_600_000
const SCHEDULES: Record<string, { text: string; everyMs: number }> = { crm: { text: 'every 1h', everyMs: 3_600_000 } }

export async function startFixtureServer(args: { path: string; store: Store; reports: SyncReport[]; auth: { key: string; secret: string } }): Promise<Target> {
  const { store, path } = args
  const ids = ['shop', 'crm']
  const triggered: string[] = []
  const running = new Set<string>()
  const target: Target = { url: '', store, reports: args.reports, triggered, unauthorized: 0, close: async () => {} }
  const syncs = async (id: string, limit = 50) => (await store.history!({ connectorId: id, limit })).map(({ connectorId: _, ...s }) => s)

  async function facts(id: string, now: number) {
    const [last] = await syncs(id, 1)
    const all = await syncs(id, 1000)
    const success = all.find((s) => s.status === 'succeeded')
    const failure = all.find((s) => s.status === 'failed')
    const paused = (await store.loadConnector!({ connectorId: id }))?.paused ?? false
    const schedule = SCHEDULES[id]
    const lag = success ? now - Date.parse(success.endedAt) : undefined
    const mar = (await store.readMar!({ connectorId: id, month: month(now - AHEAD) })).reduce((a, u) => a + u.rows, 0)
    return {
      id, warehouse: 'files/warehouse.db', paused,
      state: running.has(id) ? 'syncing' : paused ? 'paused' : last?.status === 'failed' ? 'failing' : 'idle',
      ...(schedule ? { schedule: schedule.text, nextRunAt: new Date(now + 60_000).toISOString() } : {}),
      ...(success ? { lastSuccessAt: success.endedAt } : {}),
      ...(failure ? { lastFailureAt: failure.endedAt } : {}),
      ...(lag !== undefined ? { freshnessLagMs: lag } : {}),
      late: schedule !== undefined && lag !== undefined && lag > 1.5 * schedule.everyMs,
      marThisMonth: mar, lastSync: last, canSync: true,
    }
  }

  const db = new Database(path, { readonly: true, fileMustExist: true })
  const thresholds = (id: string) =>
    (db.prepare('SELECT month, threshold, rows, fired_at FROM _sluice_mar_thresholds WHERE connector_id = ? ORDER BY month, threshold').all(id) as { month: string; threshold: number; rows: number; fired_at: string }[])
      .map((t) => ({ month: t.month, threshold: t.threshold, rows: t.rows, firedAt: t.fired_at }))
  const leases = () => (db.prepare('SELECT * FROM _sluice_leases').all() as Record<string, unknown>[]).map((l) => ({ name: l.name, holder: l.holder, expiresAt: new Date(Number(l.expires_at)).toISOString() }))

  async function api(method: string, parts: string[], authorized: boolean): Promise<[number, unknown]> {
    const now = Date.now() + AHEAD
    if (method === 'GET' && parts.length === 1 && parts[0] === 'overview') {
      return [200, { generatedAt: new Date(now).toISOString(), connectors: await Promise.all(ids.map((id) => facts(id, now))), leases: leases() }]
    }
    const [, id, what, syncId, sub] = parts
    if (parts[0] !== 'connectors' || !id || !ids.includes(id)) return [404, { code: 'NotFound_Connector', message: `no connector ${id}` }]
    if (method === 'POST') {
      if (!authorized) {
        target.unauthorized++
        return [401, { code: 'Unauthorized', message: 'HTTP Basic with the API key and secret is required' }]
      }
      if (what === 'pause' || what === 'resume') {
        await store.saveConnector!({ connectorId: id, paused: what === 'pause' })
        return [200, { paused: what === 'pause' }]
      }
      if (what === 'sync') {
        if (running.has(id)) return [409, { code: 'AlreadyRunning', message: `${id} is syncing` }]
        running.add(id)
        triggered.push(id)
        const source = id === 'shop' ? shopSource([6], { email: true }) : crmSource(false)
        void sync({ connectorId: id, destination: store, mar: id === 'shop' ? { budget: BUDGET } : {}, source }).finally(() => running.delete(id))
        return [202, { started: true }]
      }
    }
    if (method !== 'GET') return [405, { code: 'MethodNotAllowed', message: method }]
    if (what === 'syncs' && !syncId) return [200, await syncs(id)]
    if (what === 'syncs' && sub === 'errors') {
      const report = (await syncs(id)).find((s) => s.syncId === syncId)
      return [200, report?.errors ? await store.readErrors!() : []]
    }
    if (what === 'mar') {
      return [200, { usage: (await store.readMar!({ connectorId: id })).map(({ connectorId: _, ...u }) => u), ...(id === 'shop' ? { budget: BUDGET } : {}), thresholds: thresholds(id) }]
    }
    if (what === 'schema-changes') return [200, (await store.schemaHistory!()).filter((e) => e.connectorId === id)]
    return [404, { code: 'NotFound', message: parts.join('/') }]
  }

  const server = createServer((req, res) => {
    if (servePage(req, res)) return
    const url = new URL(req.url ?? '/', 'http://x')
    if (!url.pathname.startsWith('/api/')) return void res.writeHead(404).end()
    const expected = `Basic ${Buffer.from(`${args.auth.key}:${args.auth.secret}`).toString('base64')}`
    const parts = url.pathname.slice(5).split('/').map(decodeURIComponent)
    api(req.method ?? 'GET', parts, req.headers.authorization === expected).then(
      ([status, body]) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (e: unknown) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'Internal', message: String(e) })),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return Object.assign(target, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: async () => {
      await new Promise((r) => server.close(r))
      db.close()
    },
  })
}
