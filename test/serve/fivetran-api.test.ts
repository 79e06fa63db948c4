import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Connector } from '../../src/index.js'
import type { ServerHandle } from '../../src/serve.js'
import { eventually } from '../connector/helpers.js'
import { call, closeGate, KEY, SECRET, startServe } from './serve-fixture.js'

// The Fivetran-shaped API called as Fivetran's clients call it (Airflow's FivetranHook, the
// Terraform provider): HTTP Basic, JSON bodies, `{"code":"Success","data":…}` answers.
const root = mkdtempSync(join(tmpdir(), 'sluice-serve-api-'))
const NOW = Date.now()
let server: ServerHandle
let ledger: Connector
let base: string

beforeAll(async () => {
  ;({ server, ledger } = await startServe(root, NOW))
  base = server.url
}, 60_000)

afterAll(async () => {
  globalThis.__sluiceServeGate?.open()
  await server?.close()
  await ledger?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('GET /v1/connectors (and /v1/connections)', () => {
  it('lists every connector of every target, wrapped as Fivetran wraps a page of items', async () => {
    const { status, body } = await call(`${base}/v1/connectors`)
    expect(status).toBe(200)
    expect(body.code).toBe('Success')
    expect(body.data.next_cursor).toBeNull()
    expect(body.data.items.map((c: { id: string }) => c.id)).toEqual(['crm', 'ledger', 'orders', 'shop'])
    const again = await call(`${base}/v1/connections`)
    expect(again.body).toEqual(body)
    const group = await call(`${base}/v1/groups/sluice/connectors`)
    expect(group.body.data.items).toHaveLength(4)
    expect((await call(`${base}/v1/groups/other/connectors`)).body.code).toBe('NotFound_Group')
  })

  it('answers 401 without a key, with a wrong key or a wrong secret', async () => {
    for (const init of [{ auth: false }, { key: 'nope' }, { secret: `${SECRET}x` }, { key: KEY, secret: '' }]) {
      const { status, body } = await call(`${base}/v1/connectors`, init)
      expect(status).toBe(401)
      expect(body.code).toBe('AuthFailed')
      expect(typeof body.message).toBe('string')
    }
  })
})

describe('GET /v1/connectors/{id}', () => {
  it('maps a connector that succeeded then failed: succeeded_at, failed_at, status and the failure as a warning', async () => {
    const { status, body } = await call(`${base}/v1/connectors/crm`)
    expect(status).toBe(200)
    expect(body.code).toBe('Success')
    const c = body.data
    expect(c).toMatchObject({ id: 'crm', group_id: 'sluice', service: 'connector_sdk', schema: 'crm', paused: false, schedule_type: 'manual', sync_frequency: null, config: {} })
    expect(Date.parse(c.succeeded_at)).toBeLessThan(Date.parse(c.failed_at))
    expect(c.status).toMatchObject({ setup_state: 'connected', sync_state: 'scheduled', update_state: 'on_schedule', is_historical_sync: false })
    expect(c.status.warnings).toEqual([{ code: 'SOURCE_FAILED', message: expect.stringContaining('crm api down') }])
  })

  it('maps a scheduled Connector: auto schedule, sync_frequency in minutes', async () => {
    const { body } = await call(`${base}/v1/connections/ledger`)
    expect(body.data).toMatchObject({ id: 'ledger', schedule_type: 'auto', sync_frequency: 15, paused: false })
    expect(body.data.succeeded_at).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(body.data.failed_at).toBeNull()
  })

  it('answers 404 in Fivetran\'s shape for an unknown id, under both names', async () => {
    const a = await call(`${base}/v1/connectors/nope`)
    expect(a.status).toBe(404)
    expect(a.body).toEqual({ code: 'NotFound_Connector', message: expect.stringContaining("'nope'") })
    const b = await call(`${base}/v1/connections/nope`)
    expect(b.status).toBe(404)
    expect(b.body.code).toBe('NotFound_Connection')
    expect((await call(`${base}/v1/connectors/nope/sync`, { method: 'POST', body: {} })).status).toBe(404)
  })

  it('answers what it does not support in the same shape: other resources 404, other methods 405', async () => {
    expect((await call(`${base}/v1/destinations/x`)).body).toEqual({ code: 'NotFound', message: expect.any(String) })
    const deleted = await call(`${base}/v1/connectors/orders`, { method: 'DELETE' })
    expect(deleted.status).toBe(405)
    expect(deleted.body.code).toBe('MethodNotAllowed')
    expect((await call(`${base}/v1/connectors/orders/resync`, { method: 'POST' })).status).toBe(404)
    expect((await call(`${base}/v1/connectors`, { method: 'POST', body: { service: 'x' } })).status).toBe(405)
    expect((await call(`${base}/v1/connectors/orders`)).body.data.id).toBe('orders')
  })
})

describe('POST /v1/connectors/{id}/sync', () => {
  it('triggers a sync of a connector folder; a trigger while it runs starts no second one', async () => {
    const before = (await call(`${base}/api/connectors/orders/syncs`)).body as unknown[]
    const gate = closeGate()
    const reads = gate.reads
    const first = await call(`${base}/v1/connectors/orders/sync`, { method: 'POST', body: { force: true } })
    expect(first.status).toBe(200)
    expect(first.body).toEqual({ code: 'Success', message: expect.stringContaining('successfully triggered') })
    // The sync is inside the source's read now, waiting on the gate.
    await eventually(async () => gate.reads === reads + 1, 'the sync to start reading')
    const second = await call(`${base}/v1/connectors/orders/sync`, { method: 'POST', body: { force: true } })
    expect(second.status).toBe(200)
    expect(second.body.message).toContain('already running')
    const page = await call(`${base}/api/connectors/orders/sync`, { method: 'POST' })
    expect(page.status).toBe(409)
    expect(page.body.code).toBe('AlreadyRunning')
    expect((await call(`${base}/v1/connectors/orders`)).body.data.status.sync_state).toBe('syncing')
    gate.open()
    await eventually(async () => ((await call(`${base}/api/connectors/orders/syncs`)).body as unknown[]).length === before.length + 1, 'the sync to finish')
    expect(gate.reads).toBe(reads + 1)
    const after = await call(`${base}/v1/connectors/orders`)
    expect(after.body.data.status.sync_state).toBe('scheduled')
    expect(after.body.data.succeeded_at).toMatch(/^\d{4}-/)
  })

  it('refuses a body it does not know, a read-only connector and a paused one', async () => {
    const bad = await call(`${base}/v1/connectors/orders/sync`, { method: 'POST', body: { force: true, resync: true } })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('InvalidInput')
    const readOnly = await call(`${base}/v1/connectors/shop/sync`, { method: 'POST', body: {} })
    expect(readOnly.status).toBe(409)
    expect(readOnly.body.code).toBe('NotSupported')
  })
})

describe('PATCH /v1/connectors/{id}', () => {
  it('pauses and resumes a connector; a paused one is not synced', async () => {
    const paused = await call(`${base}/v1/connectors/orders`, { method: 'PATCH', body: { paused: true } })
    expect(paused.status).toBe(200)
    expect(paused.body).toMatchObject({ code: 'Success', data: { id: 'orders', paused: true, status: { sync_state: 'paused' } } })
    const refused = await call(`${base}/v1/connectors/orders/sync`, { method: 'POST' })
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('Paused')
    expect((await call(`${base}/api/overview`)).body.connectors.find((c: { id: string }) => c.id === 'orders')).toMatchObject({ paused: true, state: 'paused' })
    const resumed = await call(`${base}/v1/connections/orders`, { method: 'PATCH', body: { paused: false } })
    expect(resumed.body.data.paused).toBe(false)
  })

  it('refuses a sync_frequency it can\'t honour, never ignoring it; the current one is accepted', async () => {
    const changed = await call(`${base}/v1/connectors/ledger`, { method: 'PATCH', body: { sync_frequency: 60 } })
    expect(changed.status).toBe(400)
    expect(changed.body).toEqual({ code: 'InvalidInput', message: expect.stringContaining('every 15m') })
    const same = await call(`${base}/v1/connectors/ledger`, { method: 'PATCH', body: { sync_frequency: 15, paused: false } })
    expect(same.status).toBe(200)
    const manual = await call(`${base}/v1/connectors/orders`, { method: 'PATCH', body: { sync_frequency: 360 } })
    expect(manual.status).toBe(400)
    expect(manual.body.message).toContain('no schedule')
  })

  it('refuses unknown fields, wrong types, and pausing a connector it only reads', async () => {
    expect((await call(`${base}/v1/connectors/orders`, { method: 'PATCH', body: { daily_sync_time: '03:00' } })).body.code).toBe('InvalidInput')
    expect((await call(`${base}/v1/connectors/orders`, { method: 'PATCH', body: { paused: 'yes' } })).status).toBe(400)
    const readOnly = await call(`${base}/v1/connectors/shop`, { method: 'PATCH', body: { paused: true } })
    expect(readOnly.status).toBe(409)
    expect(readOnly.body.code).toBe('NotSupported')
    expect((await call(`${base}/v1/connectors/shop`)).body.data.paused).toBe(false)
  })

  it('needs the key like every /v1 call', async () => {
    const { status } = await call(`${base}/v1/connectors/orders`, { method: 'PATCH', body: { paused: true }, key: 'intruder' })
    expect(status).toBe(401)
    expect((await call(`${base}/v1/connectors/orders`)).body.data.paused).toBe(false)
  })
})

describe('GET /v1/connectors/{id}/schemas', () => {
  it('lists tables and columns with destination names, primary keys, sync modes and enabled / hashed flags', async () => {
    const { status, body } = await call(`${base}/v1/connectors/shop/schemas`)
    expect(status).toBe(200)
    expect(body.code).toBe('Success')
    const schema = body.data.schemas.shop
    expect(schema.enabled).toBe(true)
    const orders = schema.tables.orders
    expect(orders).toMatchObject({ name_in_destination: 'orders', enabled: true, sync_mode: 'SOFT_DELETE' })
    expect(orders.columns.id).toEqual({ name_in_destination: 'id', enabled: true, hashed: false, is_primary_key: true })
    // Added by the second sync: the schema change.
    expect(orders.columns.email).toMatchObject({ enabled: true, is_primary_key: false })
    expect(Object.keys(schema.tables).sort()).toEqual(['customers', 'orders'])
  })
})
