import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Connector } from '../../src/index.js'
import { serve, type ConnectorFacts, type ServerHandle } from '../../src/serve.js'
import { eventually } from '../connector/helpers.js'
import { lastMonth, month } from './dashboard-warehouse.js'
import { call, startServe } from './serve-fixture.js'

// The JSON the dashboard reads, over a warehouse made by real syncs: shop (three successes over
// two months, a schema change, a rejected record, MAR thresholds), crm (a success, then a
// failure), a lease held by another process; plus a connector folder and a Connector in code.
const root = mkdtempSync(join(tmpdir(), 'sluice-serve-page-api-'))
const NOW = Date.now()
let server: ServerHandle
let ledger: Connector
let base: string

beforeAll(async () => {
  ;({ server, ledger } = await startServe(root, NOW))
  base = server.url
}, 60_000)

afterAll(async () => {
  await server?.close()
  await ledger?.stop()
  rmSync(root, { recursive: true, force: true })
})

const byId = (list: ConnectorFacts[], id: string) => list.find((c) => c.id === id)!

describe('GET /api/overview', () => {
  it('gives each connector its state, last success / failure, MAR this month, lateness and whether it can be synced', async () => {
    const { status, body } = await call(`${base}/api/overview`, { auth: false })
    expect(status).toBe(200)
    expect(Date.parse(body.generatedAt)).toBeGreaterThan(0)
    const list = body.connectors as ConnectorFacts[]
    expect(list.map((c) => c.id)).toEqual(['crm', 'ledger', 'orders', 'shop'])
    expect(byId(list, 'shop')).toMatchObject({ warehouse: 'shop/files/warehouse.db', state: 'idle', paused: false, late: false, marThisMonth: 3, canSync: false, lastSync: { status: 'succeeded', rows: 2 } })
    expect(byId(list, 'shop').lastFailureAt).toBeUndefined()
    expect(byId(list, 'crm')).toMatchObject({ state: 'failing', lastSync: { status: 'failed', error: { code: 'SOURCE_FAILED' } } })
    expect(Date.parse(byId(list, 'crm').lastFailureAt!)).toBeGreaterThan(Date.parse(byId(list, 'crm').lastSuccessAt!))
    expect(byId(list, 'crm').freshnessLagMs).toBeGreaterThanOrEqual(0)
    expect(byId(list, 'ledger')).toMatchObject({ schedule: 'every 15m', syncFrequencyMinutes: 15, late: false, canSync: true, state: 'idle' })
    expect(byId(list, 'orders')).toMatchObject({ canSync: true, state: 'idle', marThisMonth: 0 })
    expect(byId(list, 'orders').lastSync).toBeUndefined()
    expect(body.leases).toEqual([{ name: 'connector:billing', holder: 'worker-7 (pid 4242)', expiresAt: new Date(NOW + 3_600_000).toISOString() }])
  })
})

describe('GET /api/connectors/{id}/…', () => {
  it('syncs: newest first, with rows per table, status, duration, and the error of a failure', async () => {
    const shop = (await call(`${base}/api/connectors/shop/syncs?limit=50`)).body
    expect(shop).toHaveLength(3)
    expect(shop.map((s: { rows: number }) => s.rows)).toEqual([2, 3, 4])
    expect(shop[2].tables.orders).toEqual({ upserts: 3, updates: 0, deletes: 0, truncates: 0 })
    expect(Date.parse(shop[0].startedAt)).toBeGreaterThanOrEqual(Date.parse(shop[1].startedAt))
    const crm = (await call(`${base}/api/connectors/crm/syncs?limit=1`)).body
    expect(crm).toHaveLength(1)
    expect(crm[0]).toMatchObject({ status: 'failed', error: { code: 'SOURCE_FAILED', message: expect.stringContaining('503') } })
    expect((await call(`${base}/api/connectors/shop/syncs?limit=0`)).status).toBe(400)
  })

  it('errors: the _sluice_errors rows of one sync only', async () => {
    const syncs = (await call(`${base}/api/connectors/shop/syncs`)).body as { syncId: string; errors?: number }[]
    const withError = syncs.find((s) => s.errors === 1)!
    const rows = (await call(`${base}/api/connectors/shop/syncs/${withError.syncId}/errors`)).body
    expect(rows).toEqual([expect.objectContaining({ connectorId: 'shop', syncId: withError.syncId, kind: 'record', table: 'orders', code: 'VALIDATION_FAILED', record: { id: 99, total: 'n/a' } })])
    const other = syncs.find((s) => s !== withError)!
    expect((await call(`${base}/api/connectors/shop/syncs/${other.syncId}/errors`)).body).toEqual([])
  })

  it('mar: every month and table, and the thresholds that fired', async () => {
    const { usage, thresholds, budget } = (await call(`${base}/api/connectors/shop/mar`)).body
    const months = [...new Set(usage.map((u: { month: string }) => u.month))]
    expect(months).toEqual([month(lastMonth(NOW)), month(NOW)])
    expect(usage).toContainEqual({ month: month(lastMonth(NOW)), table: 'orders', rows: 3, approximate: false })
    expect(usage).toContainEqual({ month: month(NOW), table: 'orders', rows: 2, approximate: false })
    // Budget 6: last month 4 rows (orders 1-3, customer 1) crossed 50 %; this month 3 rows crossed it again (thresholds fire once per month).
    expect(thresholds.map((t: { month: string; threshold: number }) => [t.month, t.threshold])).toEqual([
      [month(lastMonth(NOW)), 0.5],
      [month(NOW), 0.5],
    ])
    // shop is read from its warehouse: the budget lives in the code that syncs it, unknown here.
    expect(budget).toBeUndefined()
    const ledgerMar = (await call(`${base}/api/connectors/ledger/mar`)).body
    expect(ledgerMar.budget).toEqual({ monthly: 1000, warnAt: [0.8] })
  })

  it('schema-changes: the log of that connector', async () => {
    const log = (await call(`${base}/api/connectors/shop/schema-changes`)).body as { change: string; column: string | null; table: string; connectorId: string }[]
    expect(log.every((e) => e.connectorId === 'shop')).toBe(true)
    expect(log).toContainEqual(expect.objectContaining({ table: 'orders', change: 'add_column', column: 'email' }))
    expect(log.filter((e) => e.change === 'create_table').map((e) => e.table).sort()).toEqual(['customers', 'orders'])
  })

  it('answers 404 NotFound_Connector for an unknown connector', async () => {
    for (const path of ['syncs', 'mar', 'schema-changes', 'syncs/x/errors']) {
      const { status, body } = await call(`${base}/api/connectors/nope/${path}`)
      expect(status).toBe(404)
      expect(body.code).toBe('NotFound_Connector')
    }
  })
})

describe('POST /api/connectors/{id}/…', () => {
  it('needs the key: 401 Unauthorized without it, and nothing changes', async () => {
    for (const action of ['sync', 'pause', 'resume']) {
      const { status, body } = await call(`${base}/api/connectors/orders/${action}`, { method: 'POST', auth: false })
      expect(status).toBe(401)
      expect(body.code).toBe('Unauthorized')
    }
    expect((await call(`${base}/api/connectors/orders/syncs`)).body).toEqual([])
  })

  it('pause / resume answer { paused }; sync answers 202 and the sync appears in the timeline', async () => {
    expect((await call(`${base}/api/connectors/ledger/pause`, { method: 'POST' })).body).toEqual({ paused: true })
    expect((await call(`${base}/api/connectors/ledger/sync`, { method: 'POST' })).body.code).toBe('Paused')
    expect((await call(`${base}/api/connectors/ledger/resume`, { method: 'POST' })).body).toEqual({ paused: false })
    const before = (await call(`${base}/api/connectors/ledger/syncs`)).body.length
    const started = await call(`${base}/api/connectors/ledger/sync`, { method: 'POST' })
    expect(started.status).toBe(202)
    expect(started.body).toEqual({ started: true })
    await eventually(async () => (await call(`${base}/api/connectors/ledger/syncs`)).body.length === before + 1, 'the triggered sync in the timeline')
    expect((await call(`${base}/api/connectors/shop/pause`, { method: 'POST' })).body.code).toBe('NotSupported')
  })
})

describe('serve() refuses what it should', () => {
  it('binding to a non-loopback host without a key is CONFIG_INVALID naming the option', async () => {
    await expect(serve({ targets: [], host: '0.0.0.0' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'host' } })
    await expect(serve({ targets: [], auth: { key: 'k', secret: '' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'auth' } })
    await expect(serve({ targets: [], port: 70_000 })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'port' } })
  })

  it('without a key, every /v1 call and every POST answers 401: never open by default', async () => {
    const open = await serve({ targets: [{ warehouse: join(root, 'shop', 'files', 'warehouse.db') }] })
    try {
      expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect((await call(`${open.url}/v1/connectors`)).status).toBe(401)
      expect((await call(`${open.url}/api/connectors/shop/sync`, { method: 'POST' })).status).toBe(401)
      expect((await call(`${open.url}/api/overview`, { auth: false })).status).toBe(200)
    } finally {
      await open.close()
    }
  })
})
