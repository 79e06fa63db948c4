import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceError } from '../../src/core/sluice-error.js'
import { httpClient } from '../../src/http/http-client.js'
import { fakeClock } from '../../src/core/clock.js'
import { rateLimit } from '../../src/retry/rate-limit.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

const PAYLOAD = { data: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `row ${i}` })) }
const BODY = Buffer.from(JSON.stringify(PAYLOAD))

let server: LocalServer
beforeAll(async () => {
  server = await localServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    switch (url.pathname) {
      case '/v1/orders':
        return sendJson(res, 200, { path: url.pathname, query: Object.fromEntries(url.searchParams), method: req.method })
      case '/v1/echo':
        return sendJson(res, 200, { headers: req.headers, body: server.requests.at(-1)?.body })
      case '/v1/gzip':
        return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(BODY))
      case '/v1/br':
        return void res.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync(BODY))
      case '/v1/deflate':
        return void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync(BODY))
      case '/v1/deflate-raw':
        return void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateRawSync(BODY))
      case '/v1/bomb':
        return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(5_000_000, 32)))
      case '/v1/corrupt-gzip':
        return void res.writeHead(200, { 'content-encoding': 'gzip' }).end('definitely not gzip')
      case '/v1/big':
        return void res.writeHead(200).end(Buffer.alloc(300_000, 97))
      case '/v1/truncated':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":1},{"id":2')
      case '/v1/html':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Login</body></html>')
      case '/v1/empty':
        return void res.writeHead(200).end()
      case '/v1/no-content':
        return void res.writeHead(204).end()
      case '/v1/moved':
        return void res.writeHead(301, { location: '/v2/orders' }).end()
      default:
        return sendJson(res, 404, { error: 'no such route' })
    }
  })
})

const api = () => httpClient({ baseUrl: `${server.url}/v1`, maxResponseBytes: 100_000, timeouts: { headersMs: 2000, bodyMs: 2000 } })
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected failure') }, (e: unknown) => e as SluiceError)

describe('httpClient', () => {
  let client: ReturnType<typeof api>
  beforeAll(() => {
    client = api()
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it('joins baseUrl, path and query and parses JSON', async () => {
    const res = await client.requestJson<{ path: string; query: Record<string, string> }>({
      path: '/orders', query: { limit: 100, since: '2026-01-01', skip: undefined },
    })
    expect(res.status).toBe(200)
    expect(res.data).toEqual({ path: '/v1/orders', query: { limit: '100', since: '2026-01-01' }, method: 'GET' })
    expect(res.url).toBe(`${server.url}/v1/orders?limit=100&since=2026-01-01`)
  })

  it('accepts an absolute url (next-page links)', async () => {
    const res = await client.requestJson<{ query: Record<string, string> }>({ url: `${server.url}/v1/orders?cursor=abc` })
    expect(res.data.query).toEqual({ cursor: 'abc' })
  })

  it('sends JSON bodies, default and per-request headers', async () => {
    const c = httpClient({ baseUrl: `${server.url}/v1`, headers: { 'X-Tenant': 't1' } })
    const res = await c.requestJson<{ headers: Record<string, string>; body: string }>({
      method: 'post', path: '/echo', json: { a: 1 }, headers: { 'X-Trace': 'abc' },
    })
    await c.close()
    expect(JSON.parse(res.data.body)).toEqual({ a: 1 })
    expect(res.data.headers).toMatchObject({
      'content-type': 'application/json', 'x-tenant': 't1', 'x-trace': 'abc', 'accept-encoding': 'gzip, deflate, br',
    })
  })

  it('reuses keep-alive connections instead of opening one per request', async () => {
    const single = httpClient({ baseUrl: `${server.url}/v1`, connections: 1 })
    let before = server.connections()
    for (let i = 0; i < 10; i++) await single.requestJson({ path: '/orders' })
    await single.close()
    expect(server.connections() - before).toBe(1)
    // With a larger pool undici may hand the next request to a second socket while the first finishes up.
    const pooled = api()
    before = server.connections()
    for (let i = 0; i < 10; i++) await pooled.requestJson({ path: '/orders' })
    await pooled.close()
    expect(server.connections() - before).toBeLessThanOrEqual(2)
  })

  it.each(['gzip', 'br', 'deflate', 'deflate-raw'])('decodes %s bodies', async (coding) => {
    const res = await client.requestJson({ path: `/${coding}` })
    expect(res.data).toEqual(PAYLOAD)
  })

  it('caps the body size with a typed error saying what to raise', async () => {
    const error = await failure(client.request({ path: '/big' }))
    expect(error.code).toBe('HTTP_BODY')
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('maxResponseBytes (100000 bytes)')
    expect(error.context).toMatchObject({ status: 200, maxResponseBytes: 100_000 })
  })

  it('caps the decoded size of a compressed body (zip bomb)', async () => {
    const error = await failure(client.request({ path: '/bomb' }))
    expect(error.code).toBe('HTTP_BODY')
    expect(error.message).toContain('maxResponseBytes')
  })

  it('reports a corrupt gzip body as HTTP_BODY', async () => {
    const error = await failure(client.request({ path: '/corrupt-gzip' }))
    expect(error.code).toBe('HTTP_BODY')
    expect(error.message).toContain('could not be decoded as gzip')
  })

  it('reports truncated JSON with status, URL and an excerpt', async () => {
    const error = await failure(client.requestJson({ path: '/truncated', query: { page: 3 } }))
    expect(error.code).toBe('HTTP_BODY')
    expect(error.message).toContain('truncated JSON')
    expect(error.message).toContain(`${server.url}/v1/truncated?page=3`)
    expect(error.context).toMatchObject({ status: 200, truncated: true, excerpt: '{"data":[{"id":1},{"id":2' })
  })

  it('reports a non-JSON body and hints at the path', async () => {
    const error = await failure(client.requestJson({ path: '/html' }))
    expect(error.code).toBe('HTTP_BODY')
    expect(error.message).toContain('is not valid JSON')
    expect(error.message).toContain('text/html')
    expect(error.message).toContain('check the path and baseUrl')
    expect(error.context).toMatchObject({ truncated: false, excerpt: '<html><body>Login</body></html>' })
  })

  it('treats an empty 200 as an error but a 204 as null', async () => {
    expect((await failure(client.requestJson({ path: '/empty' }))).message).toContain('is empty where JSON was expected')
    expect((await client.requestJson({ path: '/no-content' })).data).toBeNull()
  })

  it('fails a 404 at once with the path advice and an excerpt', async () => {
    const error = await failure(client.requestJson({ path: '/nope' }))
    expect(error.code).toBe('HTTP_STATUS')
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('check the path and baseUrl')
    expect(error.context).toMatchObject({ status: 404, method: 'GET', url: `${server.url}/v1/nope`, excerpt: '{"error":"no such route"}' })
  })

  it('does not follow redirects silently', async () => {
    const error = await failure(client.request({ path: '/moved' }))
    expect(error.context).toMatchObject({ status: 301 })
    expect(error.message).toContain(`redirected to ${server.url}/v2/orders`)
  })

  it('refuses relative URLs without a baseUrl and non-http schemes', async () => {
    const c = httpClient()
    expect((await failure(c.request({ path: '/x' }))).code).toBe('CONFIG_INVALID')
    expect((await failure(c.request({ url: 'ftp://example.com/x' }))).message).toContain('must use http or https')
    await c.close()
  })

  it('takes every request from the shared rate limit', async () => {
    const clock = fakeClock({ autoAdvance: true })
    const c = httpClient({ baseUrl: `${server.url}/v1`, clock, rateLimit: rateLimit({ requests: 2, perMs: 1000, clock }) })
    for (let i = 0; i < 5; i++) await c.requestJson({ path: '/orders' })
    await c.close()
    expect(clock.now()).toBe(1500) // 2 burst, then 3 more at 500 ms each
  })

  it('validates options when built', () => {
    expect(() => httpClient({ connections: 0 })).toThrow('`httpClient.connections` must be a positive integer, got 0')
    expect(() => httpClient({ timeouts: { headersMs: -1 } })).toThrow('`httpClient.timeouts.headersMs`')
  })
})
