import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { exponentialBackoff, httpClient, memory, op, silentLogger, type Source } from '../../src/index.js'
import { apiRateLimit, fleet, runWorker, type Fleet, type FleetWorker } from '../../src/bullmq.js'
import { dropPrefix, REDIS, testPrefix } from './fleet-support.js'

const open: { close(): Promise<void> }[] = []
let server: Server | undefined
let prefix = ''
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close().catch(() => {})
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
  server = undefined
  await dropPrefix(prefix)
})

/** An API that records when each request came, and answers 429 (Retry-After: 1) to the `throttleAt`-th. */
async function api(throttleAt?: number): Promise<{ url: string; times: number[]; throttled: number[] }> {
  const times: number[] = []
  const throttled: number[] = []
  server = createServer((req, res) => {
    const now = Date.now()
    if (throttleAt !== undefined && times.length + throttled.length + 1 === throttleAt) {
      throttled.push(now)
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"slow down"}')
      return
    }
    times.push(now)
    const page = Number(new URL(req.url!, 'http://x').searchParams.get('page'))
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ id: page, at: now }]))
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, times, throttled }
}

/** A source that reads `pages` pages of the API, one request each, through the fleet's shared limit. */
function pagesSource(url: string, table: string, pages: number): Source {
  const client = httpClient({ baseUrl: url, rateLimit: apiRateLimit('shop'), retry: exponentialBackoff({ attempts: 4, initialMs: 10 }) })
  return {
    tables: () => [{ table, primaryKey: ['id'] }],
    async *read({ signal }) {
      for (let page = 1; page <= pages; page++) {
        const { data } = await client.requestJson<{ id: number }[]>({ path: '/items', query: { page }, signal })
        yield op.upsert(table, data)
      }
      yield op.checkpoint({ done: true })
    },
  }
}

async function start(url: string, pages: number, apis: Parameters<typeof fleet>[0]['apis']): Promise<Fleet> {
  prefix = testPrefix()
  const connectors = ['a', 'b'].map((id) => ({ id, api: 'shop', source: pagesSource(url, `t_${id}`, pages), destination: memory(), logger: silentLogger }))
  const f = await fleet({ connection: REDIS, prefix, connectors, apis })
  open.push(f)
  for (let i = 0; i < 2; i++) open.push((await runWorker({ connection: REDIS, prefix, connectors, apis, logger: silentLogger })) as FleetWorker)
  return f
}

/** The most requests that fell in any window of `ms`. */
function busiest(times: readonly number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

describe('shared API limits', () => {
  it('two workers syncing two connectors of one API stay under its request quota together', async () => {
    const { url, times } = await api()
    const f = await start(url, 12, { shop: { requests: 4, per: '1s' } })
    const runs = await Promise.all([f.sync('a'), f.sync('b')])
    const outcomes = await Promise.all(runs.map((r) => r.finished({ timeout: '60s' })))
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded'])
    expect(times).toHaveLength(24)
    // A bucket of 4 refilled at 4/s: at most 4 + 4 in any second, whichever worker sent them.
    expect(busiest(times, 1000)).toBeLessThanOrEqual(8)
  })

  it("a 429's Retry-After holds back every worker's requests to that API", async () => {
    const { url, times, throttled } = await api(5)
    const f = await start(url, 6, { shop: { requests: 100, per: '1s' } })
    const runs = await Promise.all([f.sync('a'), f.sync('b')])
    const outcomes = await Promise.all(runs.map((r) => r.finished({ timeout: '60s' })))
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded'])
    expect(throttled).toHaveLength(1)
    // Nothing reached the API, from either worker, within the second the 429 asked for. A request the other
    // worker had sent before the 429 came back may still arrive just after it (it can't be recalled): 150 ms of slack.
    const during = times.filter((t) => t > throttled[0]! + 150 && t < throttled[0]! + 950)
    expect(during).toEqual([])
    expect(times).toHaveLength(12)
  })

  it("a 429 pauses that API's queue only: another connector of the API waits, a connector of another API runs", async () => {
    const shop = await api(1) // the first request gets 429, Retry-After: 1
    const otherServer = server
    const other = await (async () => {
      const times: number[] = []
      const s = createServer((req, res) => {
        times.push(Date.now())
        res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":1}]')
      })
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
      open.push({ close: () => new Promise<void>((r) => s.close(() => r())) })
      return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, times }
    })()
    server = otherServer
    prefix = testPrefix()
    const plain = (url: string): Source => {
      const client = httpClient({ baseUrl: url })
      return { tables: () => [{ table: 't', primaryKey: ['id'] }], async *read() { yield op.upsert('t', (await client.requestJson<{ id: number }[]>({ path: '/items' })).data); yield op.checkpoint({ done: true }) } }
    }
    const connectors = [
      { id: 'a', api: 'shop', source: pagesSource(shop.url, 't_a', 2), destination: memory(), logger: silentLogger },
      { id: 'b', api: 'shop', source: pagesSource(shop.url, 't_b', 2), destination: memory(), logger: silentLogger },
      { id: 'c', source: plain(other.url), destination: memory(), logger: silentLogger },
    ]
    const apis = { shop: { requests: 100, per: '1s' } }
    const f = await fleet({ connection: REDIS, prefix, connectors, apis })
    open.push(f)
    for (let i = 0; i < 2; i++) open.push(await runWorker({ connection: REDIS, prefix, connectors, apis, logger: silentLogger, concurrency: 2 }))
    const runA = await f.sync('a')
    while (shop.throttled.length === 0) await new Promise((r) => setTimeout(r, 5))
    // The 429 came: the shop API is blocked for a second. b (same API) and c (another) are enqueued now.
    const blockedUntil = shop.throttled[0]! + 1000
    const [b, c] = await Promise.all([f.sync('b'), f.sync('c')])
    const outcomes = await Promise.all([runA, b, c].map((r) => r.finished({ timeout: '30s' })))
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(shop.throttled).toHaveLength(1)
    // Nothing reached the shop API during the block (a's retry and b waited); c's API was called meanwhile.
    expect(shop.times.every((t) => t >= blockedUntil - 50)).toBe(true)
    expect(other.times).toHaveLength(1)
    expect(other.times[0]!).toBeLessThan(blockedUntil)
  })

  it("an API's job limiter spaces the starts of its connectors' jobs, fleet-wide", async () => {
    prefix = testPrefix()
    const started: number[] = []
    const timed = (table: string): Source => ({
      tables: () => [{ table, primaryKey: ['id'] }],
      async *read() {
        started.push(Date.now())
        yield op.upsert(table, [{ id: 1 }])
        yield op.checkpoint({ done: true })
      },
    })
    const connectors = ['x', 'y', 'z'].map((id) => ({ id, api: 'slow', source: timed(`t_${id}`), destination: memory(), logger: silentLogger }))
    const apis = { slow: { jobs: { max: 1, per: '1s' } } }
    const f = await fleet({ connection: REDIS, prefix, connectors, apis })
    open.push(f)
    // Room for all three at once: only the limiter holds them back.
    open.push(await runWorker({ connection: REDIS, prefix, connectors, apis, logger: silentLogger, concurrency: 3 }))
    const runs = await Promise.all(['x', 'y', 'z'].map((id) => f.sync(id)))
    const outcomes = await Promise.all(runs.map((r) => r.finished({ timeout: '30s' })))
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    const sorted = [...started].sort((a, b) => a - b)
    expect(sorted).toHaveLength(3)
    // One job start per second on the API's queue (a little slack for timers).
    expect(sorted[1]! - sorted[0]!).toBeGreaterThanOrEqual(900)
    expect(sorted[2]! - sorted[1]!).toBeGreaterThanOrEqual(900)
  })

  it('refuses apiRateLimit outside a worker that declares the API', async () => {
    await expect(apiRateLimit('nowhere').take()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('apis.nowhere') })
  })
})
