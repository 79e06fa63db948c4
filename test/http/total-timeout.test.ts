import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceError } from '../../src/core/sluice-error.js'
import { oauth2ClientCredentials } from '../../src/http/auth/oauth2-client-credentials.js'
import { httpClient } from '../../src/http/http-client.js'
import { constantBackoff } from '../../src/retry/backoff.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

// Regression (issue 11): a server sending one byte at a time kept a request alive forever; bodyMs limits only the gap.
const TRICKLE_MS = 50
const TRICKLE_BYTES = 40 // the whole body takes ~2 s: far above the limits below, short enough to end a failing test

/** Sends `[`, then a space every TRICKLE_MS, then `]`: valid JSON that never stalls for bodyMs. */
function trickle(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.write('[')
  let sent = 0
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer)
    if (++sent < TRICKLE_BYTES) return void res.write(' ')
    clearInterval(timer)
    res.end(']')
  }, TRICKLE_MS)
}

let server: LocalServer
let hits = 0
beforeAll(async () => {
  server = await localServer((req, res) => {
    if (req.url === '/trickle') return trickle(res)
    if (req.url === '/trickle-once') return ++hits === 1 ? trickle(res) : sendJson(res, 200, [1])
    return sendJson(res, 200, [])
  })
})
afterAll(() => server.close())

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected failure') }, (e: unknown) => e as SluiceError)

describe('httpClient timeouts.totalMs', () => {
  it('ends a trickling response at the total limit with a retryable HTTP_TIMEOUT naming the option', async () => {
    const client = httpClient({ baseUrl: server.url, timeouts: { totalMs: 300, bodyMs: 10_000 } })
    const error = await failure(client.requestJson({ path: '/trickle' }))
    await client.close()
    expect(error.code).toBe('HTTP_TIMEOUT')
    expect(error.retryable).toBe(true)
    expect(error.message).toContain('did not complete within 300 ms')
    expect(error.message).toContain('httpClient({ timeouts: { totalMs } })')
    expect(error.context).toMatchObject({ method: 'GET', url: `${server.url}/trickle`, totalMs: 300 })
  })

  it('retries a request that hit the total limit', async () => {
    hits = 0
    const client = httpClient({ baseUrl: server.url, timeouts: { totalMs: 300 } })
    const res = await client.requestJson({ path: '/trickle-once', retry: constantBackoff({ delayMs: 1, attempts: 2 }) })
    await client.close()
    expect(res.data).toEqual([1])
    expect(hits).toBe(2)
  })

  it('a per-request totalMs overrides the client default and is named as such', async () => {
    const client = httpClient({ baseUrl: server.url })
    const error = await failure(client.request({ path: '/trickle', timeouts: { totalMs: 200 } }))
    await client.close()
    expect(error.code).toBe('HTTP_TIMEOUT')
    expect(error.message).toContain('did not complete within 200 ms')
    expect(error.message).toContain("the request's timeouts.totalMs")
  })

  it('a request done in time leaves no timer behind to fire later', async () => {
    const client = httpClient({ baseUrl: server.url, timeouts: { totalMs: 100 } })
    const res = await client.requestJson({ path: '/fast' })
    await new Promise((resolve) => setTimeout(resolve, 150))
    await client.close()
    expect(res.data).toEqual([])
  })

  it.each([0, -1, Number.NaN])('refuses totalMs %s', (totalMs) => {
    expect(() => httpClient({ timeouts: { totalMs } })).toThrow('`httpClient.timeouts.totalMs` must be')
  })

  it('refuses an unknown timeouts key', () => {
    expect(() => httpClient({ timeouts: { totalMS: 5 } as never })).toThrow('`httpClient.timeouts.totalMS` must be one of')
  })
})

describe('oauth2ClientCredentials timeoutMs', () => {
  it('bounds the whole token request: a trickling token endpoint ends in a retryable HTTP_TIMEOUT', async () => {
    const auth = oauth2ClientCredentials({ tokenUrl: `${server.url}/trickle`, clientId: 'etl', clientSecret: 'cs_TRICKLE_123456', timeoutMs: 300 })
    const error = await failure(Promise.resolve(auth.apply({ method: 'GET', url: new URL(server.url), headers: {} })))
    expect(error.code).toBe('HTTP_TIMEOUT')
    expect(error.retryable).toBe(true)
    expect(error.message).toContain('oauth2ClientCredentials({ timeoutMs })')
    expect(error.message).not.toContain('cs_TRICKLE_123456')
  })
})
