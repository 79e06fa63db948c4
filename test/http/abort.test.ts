import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceError } from '../../src/core/sluice-error.js'
import { httpClient, type HttpClient } from '../../src/http/http-client.js'
import { constantBackoff } from '../../src/retry/backoff.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

const CONNECTIONS = 2
const ROUNDS = CONNECTIONS * 2 + 1
let server: LocalServer
let client: HttpClient

beforeAll(async () => {
  server = await localServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/hang') return // never answers
    if (path === '/partial') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.write('{"data":[')
    }
    if (path === '/endless' || path === '/endless-error') {
      res.writeHead(path === '/endless' ? 200 : 500)
      const chunk = Buffer.alloc(16 * 1024, 120)
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(chunk)), 1)
      return
    }
    if (path === '/flaky') return sendJson(res, 503, {})
    return sendJson(res, 200, { ok: true })
  })
  client = httpClient({ baseUrl: server.url, connections: CONNECTIONS, maxResponseBytes: 64 * 1024 })
  await client.requestJson({ path: '/ok' }) // undici loads with the first client, not with sluice: not inside a timed round
})

afterAll(async () => {
  await client.close()
  await server.close()
})

const abortAfter = (ms: number): AbortSignal => AbortSignal.timeout(ms)
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected failure') }, (e: unknown) => e as SluiceError)

/** The pool must still serve a request: a leaked socket would leave it waiting forever (the test timeout). */
async function stillServes(): Promise<void> {
  const results = await Promise.all(Array.from({ length: CONNECTIONS + 1 }, () => client.requestJson({ path: '/ok' })))
  expect(results.every((r) => r.status === 200)).toBe(true)
}

describe('aborting and failing requests release their sockets', () => {
  it(`aborts while waiting for headers, ${ROUNDS} times over a pool of ${CONNECTIONS}`, { timeout: 5000 }, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const started = Date.now()
      const error = await failure(client.requestJson({ path: '/hang', signal: abortAfter(30) }))
      expect(error.code).toBe('ABORTED')
      expect(Date.now() - started).toBeLessThan(1000)
    }
    await stillServes()
  })

  it(`aborts mid-body, ${ROUNDS} times`, { timeout: 5000 }, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      expect((await failure(client.requestJson({ path: '/partial', signal: abortAfter(50) }))).code).toBe('ABORTED')
    }
    await stillServes()
  })

  it(`stops reading an over-size body, ${ROUNDS} times`, { timeout: 5000 }, async () => {
    for (let i = 0; i < ROUNDS; i++) expect((await failure(client.request({ path: '/endless' }))).code).toBe('HTTP_BODY')
    await stillServes()
  })

  it(`stops reading an endless error body after the excerpt, ${ROUNDS} times`, { timeout: 5000 }, async () => {
    for (let i = 0; i < ROUNDS; i++) expect((await failure(client.request({ path: '/endless-error' }))).code).toBe('HTTP_STATUS')
    await stillServes()
  })

  it('closes the server side of aborted sockets', { timeout: 5000 }, async () => {
    for (let i = 0; i < ROUNDS; i++) await failure(client.requestJson({ path: '/hang', signal: abortAfter(20) }))
    for (let waited = 0; server.openSockets() > CONNECTIONS && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20))
    expect(server.openSockets()).toBeLessThanOrEqual(CONNECTIONS)
  })

  it('aborts promptly during a retry wait', { timeout: 5000 }, async () => {
    const started = Date.now()
    const error = await failure(client.requestJson({ path: '/flaky', retry: constantBackoff({ delayMs: 60_000, attempts: 3 }), signal: abortAfter(100) }))
    expect(error.code).toBe('ABORTED')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('sends nothing when the signal is already aborted', async () => {
    const before = server.requests.length
    expect((await failure(client.requestJson({ path: '/ok', signal: AbortSignal.abort() }))).code).toBe('ABORTED')
    expect(server.requests.length).toBe(before)
  })
})
