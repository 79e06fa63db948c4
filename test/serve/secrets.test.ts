import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { op, sync, type Connector } from '../../src/index.js'
import { postgres } from '../../src/postgres.js'
import type { ServerHandle } from '../../src/serve.js'
import { describeWithService, pgUnavailable, PG_URL, schemas } from '../source/postgres/pg-service.js'
import { eventually } from '../connector/helpers.js'
import { call, CONFIG_SECRET, KEY, SECRET, startServe } from './serve-fixture.js'

// No secret leaves the server: not a connector folder's configuration value (even when the
// connector's own error message quotes it), not the API key or secret, not a Postgres password.
const PG_PASSWORD = 'pgPassw0rd_Secret_71'
const root = mkdtempSync(join(tmpdir(), 'sluice-serve-secrets-'))
const NOW = Date.now()
const unavailable = await pgUnavailable()
const { next } = schemas('serve_secrets')
let server: ServerHandle
let ledger: Connector
let base: string

describeWithService('secrets never leave sluice serve', 'Postgres', unavailable, () => {
  beforeAll(async () => {
    const schema = next()
    // Trust auth ignores the password; it is in the connection string all the same, as in production.
    const connection = PG_URL.replace('postgres@', `postgres:${PG_PASSWORD}@`)
    const warehouse = postgres({ connection, schema })
    await sync({ connectorId: 'pg_orders', destination: warehouse, source: { tables: () => [{ table: 't', primaryKey: ['id'] }], async *read() { yield op.upsert('t', [{ id: 1 }]); yield op.checkpoint({}) } } })
    ;({ server, ledger } = await startServe(root, NOW, [{ destination: warehouse, label: `postgres schema ${schema}` }]))
    base = server.url
    // A failed sync of the folder whose error message quotes its API key.
    globalThis.__sluiceServeFail = true
    const before = (await call(`${base}/api/connectors/orders/syncs`)).body.length
    expect((await call(`${base}/api/connectors/orders/sync`, { method: 'POST' })).status).toBe(202)
    await eventually(async () => (await call(`${base}/api/connectors/orders/syncs`)).body.length === before + 1, 'the failed sync')
    globalThis.__sluiceServeFail = false
  }, 60_000)

  afterAll(async () => {
    await server?.close()
    await ledger?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  it('no page, API answer or metric holds a configuration value, the API key or secret, or a database password', async () => {
    const [failed] = (await call(`${base}/api/connectors/orders/syncs`)).body
    expect(failed.status).toBe('failed')
    expect(failed.error.message).toContain('the API refused key [redacted]')
    const overview = (await call(`${base}/api/overview`)).body
    expect(overview.connectors.find((c: { id: string }) => c.id === 'pg_orders')).toMatchObject({ lastSync: { status: 'succeeded' } })

    const paths = ['/', '/assets/app.js', '/metrics', '/api/overview', '/v1/connectors', '/v1/connections']
    for (const id of ['orders', 'pg_orders', 'shop', 'crm', 'ledger']) {
      paths.push(`/v1/connectors/${id}`, `/v1/connectors/${id}/schemas`, `/api/connectors/${id}/syncs`, `/api/connectors/${id}/mar`, `/api/connectors/${id}/schema-changes`)
      for (const s of (await call(`${base}/api/connectors/${id}/syncs`)).body) paths.push(`/api/connectors/${id}/syncs/${s.syncId}/errors`)
    }
    // Answers to refused and failed calls too.
    const answers = [
      (await call(`${base}/v1/connectors`, { key: 'wrong' })).text,
      (await call(`${base}/v1/connectors/orders`, { method: 'PATCH', body: { sync_frequency: 5 } })).text,
      (await call(`${base}/v1/connectors/orders/sync`, { method: 'POST', body: { bogus: CONFIG_SECRET } })).text,
    ]
    for (const path of paths) {
      const { status, text } = await call(`${base}${path}`)
      expect(status, path).toBe(200)
      answers.push(text)
    }
    const all = answers.join('\n')
    expect(all.length).toBeGreaterThan(10_000)
    for (const secret of [CONFIG_SECRET, KEY, SECRET, PG_PASSWORD]) expect(all).not.toContain(secret)
    expect(all).toContain('pg_orders')
  })
})
