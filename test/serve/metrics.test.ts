import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { op, sqlite, sync, type Connector } from '../../src/index.js'
import type { ServerHandle } from '../../src/serve.js'
import { month } from './dashboard-warehouse.js'
import { startServe } from './serve-fixture.js'

interface Family {
  name: string
  help: string
  type: string
  metrics: { value: string; labels?: Record<string, string> }[]
}

const root = mkdtempSync(join(tmpdir(), 'sluice-serve-metrics-'))
const NOW = Date.now()
/** A connector id with every character the text format escapes in a label value. */
const WEIRD = 'acme "eu"\\prod\nline2'
let server: ServerHandle
let ledger: Connector
let families: Map<string, Family>
let text: string

beforeAll(async () => {
  const weird = sqlite({ path: join(root, 'weird.db') })
  await sync({ connectorId: WEIRD, destination: weird, source: { tables: () => [{ table: 'a"b', primaryKey: ['id'] }], async *read() { yield op.upsert('a"b', [{ id: 1 }]); yield op.checkpoint({}) } } })
  ;({ server, ledger } = await startServe(root, NOW, [{ destination: weird, label: 'weird.db' }]))
  const res = await fetch(`${server.url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  text = await res.text()
  families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]))
}, 60_000)

afterAll(async () => {
  await server?.close()
  await ledger?.stop()
  rmSync(root, { recursive: true, force: true })
})

/** The value of the sample of `family` whose labels include `labels`. */
function value(family: string, labels: Record<string, string>): number | undefined {
  const f = families.get(family)
  const sample = f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return sample === undefined ? undefined : Number(sample.value)
}

describe('GET /metrics', () => {
  it('parses as Prometheus text, every family with HELP and TYPE', () => {
    expect(families.size).toBe(12)
    for (const f of families.values()) {
      expect(f.help.length).toBeGreaterThan(10)
      expect(['COUNTER', 'GAUGE']).toContain(f.type)
    }
    expect(families.get('sluice_syncs_total')!.type).toBe('COUNTER')
    expect(families.get('sluice_mar_rows')!.type).toBe('GAUGE')
  })

  it('counts syncs by outcome and their duration, per connector', () => {
    expect(value('sluice_syncs_total', { connector: 'shop', status: 'succeeded' })).toBe(3)
    expect(value('sluice_syncs_total', { connector: 'shop', status: 'failed' })).toBe(0)
    expect(value('sluice_syncs_total', { connector: 'crm', status: 'succeeded' })).toBe(1)
    expect(value('sluice_syncs_total', { connector: 'crm', status: 'failed' })).toBe(1)
    expect(value('sluice_sync_duration_seconds_total', { connector: 'shop', status: 'succeeded' })).toBeGreaterThanOrEqual(0)
    expect(value('sluice_last_sync_duration_seconds', { connector: 'crm' })).toBeGreaterThanOrEqual(0)
  })

  it('reports rows written per table and operation, and the rows recorded in _sluice_errors', () => {
    // shop upserted orders 1,2,3 then 4,5 then 5 again, and customer 1 three times.
    expect(value('sluice_rows_written_total', { connector: 'shop', table: 'orders', op: 'upsert' })).toBe(6)
    expect(value('sluice_rows_written_total', { connector: 'shop', table: 'customers', op: 'upsert' })).toBe(3)
    expect(value('sluice_rows_written_total', { connector: 'shop', table: 'orders', op: 'delete' })).toBe(0)
    expect(value('sluice_sync_errors_total', { connector: 'shop' })).toBe(1)
    expect(value('sluice_sync_errors_total', { connector: 'crm' })).toBe(0)
  })

  it('reports MAR per table for this month only', () => {
    const m = month(NOW)
    // This month shop wrote orders 4 and 5 (and customer 1); last month's 1, 2, 3 are not this month's.
    expect(value('sluice_mar_rows', { connector: 'shop', table: 'orders', month: m })).toBe(2)
    expect(value('sluice_mar_rows', { connector: 'shop', table: 'customers', month: m })).toBe(1)
    expect(families.get('sluice_mar_rows')!.metrics.every((s) => s.labels?.month === m)).toBe(true)
  })

  it('reports freshness lag, lateness, pause, syncing and the leases held', () => {
    expect(value('sluice_freshness_lag_seconds', { connector: 'shop' })).toBeGreaterThanOrEqual(0)
    expect(value('sluice_last_success_timestamp_seconds', { connector: 'ledger' })).toBeGreaterThan(NOW / 1000 - 600)
    expect(value('sluice_connector_late', { connector: 'ledger' })).toBe(0)
    expect(value('sluice_connector_paused', { connector: 'orders' })).toBe(0)
    expect(value('sluice_connector_syncing', { connector: 'shop' })).toBe(0)
    expect(value('sluice_lease_held', { name: 'connector:billing', holder: 'worker-7 (pid 4242)' })).toBeGreaterThan(3000)
  })

  it('escapes backslash, double quote and line feed in label values', () => {
    expect(text).toContain('connector="acme \\"eu\\"\\\\prod\\nline2"')
    expect(value('sluice_syncs_total', { connector: WEIRD, status: 'succeeded' })).toBe(1)
    expect(value('sluice_rows_written_total', { connector: WEIRD, table: 'a"b', op: 'upsert' })).toBe(1)
  })
})
