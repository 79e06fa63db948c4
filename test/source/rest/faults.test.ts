import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { exponentialBackoff, fakeClock, memory, sqlite, sync, type Row } from '../../../src/index.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestOptions } from '../../../src/source/rest/rest-options.js'
import { faultApi, type FaultApi, type FaultApiOptions } from '../../support/fault-api.js'
import { expectSameAsSource, expectSucceeded, ordersStream, requests, syncInto } from './rest-fixtures.js'

let api: FaultApi
afterEach(() => api?.close())

const RETRY = exponentialBackoff({ initialMs: 100, maxMs: 1000, attempts: 5, jitter: 'none' })

async function source(options: FaultApiOptions = { rows: 30 }, over: Partial<RestOptions> = {}) {
  api = await faultApi(options)
  const clock = fakeClock({ autoAdvance: true }) // retry and Retry-After waits pass in no real time
  return { clock, source: rest({ baseUrl: api.url, retry: RETRY, clock, streams: [ordersStream({ paginate: offset({ limit: 10 }) })], ...over }) }
}

describe('faults while paginating', () => {
  it('retries a burst of 500s on the page that failed, then goes on', async () => {
    const { source: s } = await source()
    for (const n of [2, 3, 4]) api.fault(n, { kind: 'status', status: 500 })
    const sink = memory()
    expectSucceeded(await syncInto(s, sink))
    expect(requests(api).map((r) => r.query['offset'])).toEqual(['0', '10', '10', '10', '10', '20', '30'])
    expectSameAsSource(sink, api)
  })

  it('fails the sync once the page runs out of attempts, keeping the pages before it', async () => {
    const { source: s } = await source()
    for (let n = 2; n <= 6; n++) api.fault(n, { kind: 'status', status: 502 })
    const sink = memory()
    const report = await syncInto(s, sink)
    expect(report.error).toMatchObject({ code: 'RETRY_EXHAUSTED', context: { attempts: 5, lastError: { code: 'HTTP_STATUS' } } })
    expect(report.rows).toBe(10)
    api.resetLog()
    expectSucceeded(await syncInto(s, sink)) // resumes at offset 10
    expect(requests(api)[0]?.query['offset']).toBe('10')
    expectSameAsSource(sink, api)
  })

  it('waits as long as a 429 Retry-After in seconds asks', async () => {
    const { source: s, clock } = await source()
    api.fault(2, { kind: 'status', status: 429, retryAfter: 7 })
    expectSucceeded(await syncInto(s))
    expect(clock.now()).toBe(7000)
  })

  it('waits as long as a 429 Retry-After HTTP-date asks, measured against the server Date', async () => {
    const { source: s, clock } = await source()
    api.fault(2, { kind: 'status', status: 429, retryAfterDate: 3 })
    expectSucceeded(await syncInto(s))
    expect(clock.now()).toBe(3000)
  })

  it('a truncated JSON body is a typed error, and the page is fetched again', async () => {
    const { source: s } = await source()
    api.fault(2, { kind: 'truncate' })
    const sink = memory()
    expectSucceeded(await syncInto(s, sink))
    expectSameAsSource(sink, api)

    api.resetLog()
    api.fault(2, { kind: 'truncate' })
    const once = rest({ baseUrl: api.url, retry: false, streams: [ordersStream()] })
    const report = await syncInto(once)
    expect(report.error).toMatchObject({ code: 'HTTP_BODY', context: { truncated: true, status: 200 } })
  })

  it('a connection reset mid-body is retried', async () => {
    const { source: s } = await source()
    api.fault(3, { kind: 'reset' })
    const sink = memory()
    expectSucceeded(await syncInto(s, sink))
    expectSameAsSource(sink, api)

    api.resetLog()
    api.fault(1, { kind: 'reset' })
    const report = await syncInto(rest({ baseUrl: api.url, retry: false, streams: [ordersStream()] }))
    expect(report.error).toMatchObject({ code: 'HTTP_NETWORK', retryable: true })
  })

  // undici checks headers timeouts on a ~1 s timer: "slow" must clearly exceed the timeout plus a second.
  it('a response slower than the timeout is abandoned and retried', { timeout: 10_000 }, async () => {
    const { source: s } = await source({ rows: 30 }, { timeouts: { headersMs: 100 } })
    api.fault(2, { kind: 'slow', ms: 1500 })
    const sink = memory()
    expectSucceeded(await syncInto(s, sink))
    expect(requests(api).map((r) => r.query['offset'])).toEqual(['0', '10', '10', '20', '30'])
    expectSameAsSource(sink, api)

    api.resetLog()
    api.fault(1, { kind: 'slow', ms: 1500 })
    const report = await syncInto(rest({ baseUrl: api.url, retry: false, timeouts: { headersMs: 100 }, streams: [ordersStream()] }))
    expect(report.error).toMatchObject({ code: 'HTTP_TIMEOUT', retryable: true })
  })

  it('an empty first page ends the stream without moving the cursor; the next sync reads everything', async () => {
    const { source: s } = await source({ rows: 30, order: 'cursor' }, { streams: [ordersStream({ incremental: { cursor: 'updated_at', param: 'updated_since', sorted: 'asc' } })] })
    api.fault(1, { kind: 'empty' })
    const sink = memory()
    const states: unknown[] = []
    const first = await syncInto(s, sink, { on: { checkpoint: (e) => void states.push(e.state) } })
    expectSucceeded(first)
    expect(first.rows).toBe(0)
    expect(states).toEqual([{ streams: {} }])
    const second = await syncInto(s, sink)
    expect(second.rows).toBe(30)
    expectSameAsSource(sink, api)
  })

  it('refreshes an expired OAuth token once and carries on', async () => {
    const oauth = { clientId: 'etl', clientSecret: 'cs_fault_5d2e8f' }
    api = await faultApi({ rows: 30, auth: { oauth } })
    const auth = { oauth2: { tokenUrl: `${api.url}/token`, ...oauth } }
    const s = rest({ baseUrl: api.url, retry: RETRY, clock: fakeClock({ autoAdvance: true }), auth, streams: [ordersStream()] })
    api.fault(3, { kind: 'expireToken' })
    const sink = memory()
    expectSucceeded(await syncInto(s, sink))
    expect(api.tokens).toHaveLength(2)
    expectSameAsSource(sink, api)

    // A token refused again right after its refresh fails the sync instead of refreshing forever.
    api.resetLog()
    api.fault(2, { kind: 'expireToken' })
    api.fault(3, { kind: 'expireToken' })
    const report = await syncInto(s)
    expect(report.error).toMatchObject({ code: 'HTTP_STATUS', context: { status: 401 } })
    expect(api.tokens).toHaveLength(3)
  })

  it('after every fault at once, a SQLite destination equals the source exactly', { timeout: 10_000 }, async () => {
    const { source: s } = await source({ rows: 95, order: 'cursor' }, {
      timeouts: { headersMs: 100 },
      streams: [ordersStream({ paginate: offset({ limit: 10 }), incremental: { cursor: 'updated_at', param: 'updated_since', sorted: 'asc' } })],
    })
    api.fault(2, { kind: 'status', status: 500 })
    api.fault(3, { kind: 'status', status: 500 })
    api.fault(5, { kind: 'status', status: 429, retryAfter: 1 })
    api.fault(7, { kind: 'truncate' })
    api.fault(9, { kind: 'reset' })
    api.fault(11, { kind: 'slow', ms: 1500 })
    api.fault(13, { kind: 'run', fn: () => api.update([2, 50, 90]) })
    const dir = mkdtempSync(join(tmpdir(), 'sluice-rest-faults-'))
    try {
      const path = join(dir, 'warehouse.db')
      expectSucceeded(await sync({ source: s, destination: sqlite({ path }) }))
      expectSucceeded(await sync({ source: s, destination: sqlite({ path }) })) // picks up the rows updated meanwhile
      const rows = await sqlite({ path }).read!({ table: 'orders' })
      expect(rows.map(plain).sort((a, b) => Number(a['id']) - Number(b['id']))).toEqual(api.rows().map(plain))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** A row as SQLite gives it back, in the API's terms: booleans as booleans, JSON parsed, no system columns. */
function plain(row: Row): Row {
  const out: Row = {}
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('_sluice_')) continue
    out[k] = k === 'active' ? Boolean(v) : k === 'tags' && typeof v === 'string' ? JSON.parse(v) : v
  }
  return out
}
