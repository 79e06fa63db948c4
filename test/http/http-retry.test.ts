import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceError } from '../../src/core/sluice-error.js'
import { httpClient, type HttpClient } from '../../src/http/http-client.js'
import { constantBackoff, exponentialBackoff } from '../../src/retry/backoff.js'
import { fakeClock } from '../../src/core/clock.js'
import type { RetryEvent } from '../../src/retry/retry.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

const SERVER_NOW = Date.parse('2026-11-22T12:00:00Z')
const hits = new Map<string, number>()
let server: LocalServer
let client: HttpClient
const clock = fakeClock({ autoAdvance: true })

beforeAll(async () => {
  server = await localServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const n = (hits.get(path) ?? 0) + 1
    hits.set(path, n)
    const later = (ms: number, fn: () => void) => setTimeout(() => { if (!res.destroyed) fn() }, ms).unref()
    switch (path) {
      case '/burst':
        return n <= 3 ? sendJson(res, 500, { error: 'boom' }) : sendJson(res, 200, { ok: n })
      case '/always-500':
        return sendJson(res, 503, { error: 'down' })
      case '/retry-after-seconds':
        return n === 1 ? sendJson(res, 429, {}, { 'retry-after': '2' }) : sendJson(res, 200, { ok: n })
      case '/retry-after-date':
        return n === 1
          ? sendJson(res, 429, {}, { date: new Date(SERVER_NOW).toUTCString(), 'retry-after': new Date(SERVER_NOW + 3000).toUTCString() })
          : sendJson(res, 200, { ok: n })
      case '/ratelimit-reset':
        return n === 1
          ? sendJson(res, 429, {}, { date: new Date(SERVER_NOW).toUTCString(), 'x-ratelimit-reset': String(SERVER_NOW / 1000 + 4) })
          : sendJson(res, 200, { ok: n })
      case '/quota-403':
        return n === 1
          ? sendJson(res, 403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '5' })
          : sendJson(res, 200, { ok: n })
      case '/forbidden':
        return sendJson(res, 403, { message: 'Resource not accessible' })
      case '/reset-mid-body':
        if (n === 1) {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
          res.write('{"data":[1,2,3,')
          return later(20, () => res.socket?.destroy())
        }
        return sendJson(res, 200, { ok: n })
      case '/slow-headers':
        // undici's headers/body timers tick at ~1 s resolution, so "slow" must clearly exceed 200 ms + 1 s.
        return later(n === 1 ? 2500 : 0, () => sendJson(res, 200, { ok: n }))
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"data":')
        return later(2500, () => res.end('[]}'))
      default:
        return sendJson(res, 404, {})
    }
  })
  client = httpClient({ baseUrl: server.url, clock, timeouts: { headersMs: 200, bodyMs: 200 } })
})

afterAll(async () => {
  await client.close()
  await server.close()
})

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected failure') }, (e: unknown) => e as SluiceError)
const recorder = () => {
  const events: RetryEvent[] = []
  return { events, onRetry: (e: RetryEvent) => events.push(e) }
}

describe('httpClient retries a single request', () => {
  it('rides out a burst of 500s and succeeds', async () => {
    const { events, onRetry } = recorder()
    const res = await client.requestJson({ path: '/burst', retry: exponentialBackoff({ initialMs: 100, jitter: 'none' }), onRetry })
    expect(res.data).toEqual({ ok: 4 })
    expect(events.map((e) => [e.delayMs, (e.error as SluiceError).context['status']])).toEqual([[100, 500], [200, 500], [400, 500]])
  })

  it('throws RETRY_EXHAUSTED with the last HTTP error as cause', async () => {
    const error = await failure(client.requestJson({ path: '/always-500', retry: constantBackoff({ delayMs: 10, attempts: 3 }) }))
    expect(error.code).toBe('RETRY_EXHAUSTED')
    expect(error.context['attempts']).toBe(3)
    expect((error.cause as SluiceError).code).toBe('HTTP_STATUS')
    expect((error.cause as SluiceError).context).toMatchObject({ status: 503, url: `${server.url}/always-500` })
    expect(hits.get('/always-500')).toBe(3)
  })

  it('honours 429 Retry-After in seconds', async () => {
    const { events, onRetry } = recorder()
    await client.requestJson({ path: '/retry-after-seconds', retry: exponentialBackoff({ initialMs: 10 }), onRetry })
    expect(events.map((e) => e.delayMs)).toEqual([2000])
    expect((events[0]!.error as SluiceError).context).toMatchObject({ status: 429, retryAfterMs: 2000 })
  })

  it('honours 429 Retry-After as an HTTP-date', async () => {
    const { events, onRetry } = recorder()
    await client.requestJson({ path: '/retry-after-date', retry: exponentialBackoff({ initialMs: 10 }), onRetry })
    expect(events.map((e) => e.delayMs)).toEqual([3000])
  })

  it('honours X-RateLimit-Reset epoch seconds', async () => {
    const { events, onRetry } = recorder()
    await client.requestJson({ path: '/ratelimit-reset', retry: exponentialBackoff({ initialMs: 10 }), onRetry })
    expect(events.map((e) => e.delayMs)).toEqual([4000])
  })

  it('caps a server-given wait at maxRetryAfterMs', async () => {
    hits.delete('/retry-after-seconds')
    const { events, onRetry } = recorder()
    await client.requestJson({ path: '/retry-after-seconds', retry: exponentialBackoff({ maxRetryAfterMs: 500 }), onRetry })
    expect(events.map((e) => e.delayMs)).toEqual([500])
  })

  it('retries a 403 that is a spent rate-limit quota, but not a plain 403', async () => {
    const { events, onRetry } = recorder()
    await client.requestJson({ path: '/quota-403', retry: exponentialBackoff(), onRetry })
    expect(events.map((e) => e.delayMs)).toEqual([5000])
    const error = await failure(client.requestJson({ path: '/forbidden', retry: exponentialBackoff() }))
    expect(error.code).toBe('HTTP_STATUS')
    expect(error.message).toContain('check the credential and its scopes')
    expect(hits.get('/forbidden')).toBe(1)
  })

  it('retries a connection reset mid-body', async () => {
    const { events, onRetry } = recorder()
    const res = await client.requestJson({ path: '/reset-mid-body', retry: exponentialBackoff({ initialMs: 10 }), onRetry })
    expect(res.data).toEqual({ ok: 2 })
    const first = events[0]!.error as SluiceError
    expect(first.code).toBe('HTTP_NETWORK')
    expect(first.retryable).toBe(true)
  })

  it('reports a connection reset as retryable HTTP_NETWORK without a policy', async () => {
    hits.delete('/reset-mid-body')
    const error = await failure(client.requestJson({ path: '/reset-mid-body' }))
    expect(error.code).toBe('HTTP_NETWORK')
    expect(error.retryable).toBe(true)
    expect(error.context).toMatchObject({ method: 'GET', url: `${server.url}/reset-mid-body` })
  })

  it('times out a response slower than headersTimeout, then retries it', async () => {
    const { events, onRetry } = recorder()
    const res = await client.requestJson({ path: '/slow-headers', retry: exponentialBackoff({ initialMs: 10 }), onRetry })
    expect(res.data).toEqual({ ok: 2 })
    const first = events[0]!.error as SluiceError
    expect(first.code).toBe('HTTP_TIMEOUT')
    expect(first.retryable).toBe(true)
    expect(first.message).toContain('no response headers within 200 ms')
  })

  it('times out a body that stalls longer than bodyTimeout', async () => {
    const error = await failure(client.requestJson({ path: '/slow-body' }))
    expect(error.code).toBe('HTTP_TIMEOUT')
    expect(error.message).toContain('response body stalled for 200 ms')
  })

  it('fails a 404 once, without retrying', async () => {
    const error = await failure(client.requestJson({ path: '/missing', retry: exponentialBackoff() }))
    expect(error.code).toBe('HTTP_STATUS')
    expect(hits.get('/missing')).toBe(1)
  })

  it('times out connecting and reports a refused connection as retryable', async () => {
    const dead = await localServer(() => undefined)
    const url = dead.url
    await dead.close()
    const c = httpClient({ baseUrl: url })
    const error = await failure(c.requestJson({ path: '/x' }))
    await c.close()
    expect(error.code).toBe('HTTP_NETWORK')
    expect(error.retryable).toBe(true)
    expect(error.context['networkCode']).toBe('ECONNREFUSED')
  })
})
