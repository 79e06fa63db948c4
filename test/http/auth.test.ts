import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceError } from '../../src/core/sluice-error.js'
import { apiKeyAuth } from '../../src/http/auth/api-key-auth.js'
import { authFromConfig } from '../../src/http/auth/auth-from-config.js'
import { basicAuth } from '../../src/http/auth/basic-auth.js'
import { bearerAuth } from '../../src/http/auth/bearer-auth.js'
import { oauth2ClientCredentials } from '../../src/http/auth/oauth2-client-credentials.js'
import { httpClient } from '../../src/http/http-client.js'
import { fakeClock } from '../../src/core/clock.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

const CLIENT_ID = 'etl-client'
const CLIENT_SECRET = 'cs_live_0123456789abcdef'
let server: LocalServer
let issued = 0
const valid = new Set<string>()
const tokenAgent = new Agent()

beforeAll(async () => {
  server = await localServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const auth = req.headers.authorization ?? ''
    switch (url.pathname) {
      case '/echo':
        return sendJson(res, 200, { authorization: auth, apiKey: req.headers['x-api-key'] ?? null, query: Object.fromEntries(url.searchParams) })
      case '/token': {
        const form = new URLSearchParams(body)
        const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
        const ok = auth === basic || (form.get('client_id') === CLIENT_ID && form.get('client_secret') === CLIENT_SECRET)
        if (!ok || form.get('grant_type') !== 'client_credentials') {
          return sendJson(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' })
        }
        const token = `at_${++issued}_secret_token_value`
        valid.add(token)
        return sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: 3600, scope: form.get('scope') })
      }
      case '/data':
        return valid.has(auth.replace(/^Bearer /, '')) ? sendJson(res, 200, { ok: true, auth }) : sendJson(res, 401, { error: 'invalid_token' })
      default:
        return sendJson(res, 404, {})
    }
  })
})

afterAll(async () => {
  await tokenAgent.close()
  await server.close()
})

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected failure') }, (e: unknown) => e as SluiceError)
type Echo = { authorization: string; apiKey: string | null; query: Record<string, string> }

describe('static auths', () => {
  it('sends an API key in a header', async () => {
    const c = httpClient({ baseUrl: server.url, auth: apiKeyAuth({ key: 'k_header_123' }) })
    expect((await c.requestJson<Echo>({ path: '/echo' })).data.apiKey).toBe('k_header_123')
    await c.close()
  })

  it('sends an API key as a query parameter and redacts it from the response URL', async () => {
    const c = httpClient({ baseUrl: server.url, auth: apiKeyAuth({ key: 'k_query_123', in: 'query', name: 'apikey' }) })
    const res = await c.requestJson<Echo>({ path: '/echo', query: { page: 1 } })
    expect(res.data.query).toEqual({ page: '1', apikey: 'k_query_123' })
    expect(res.url).toBe(`${server.url}/echo?page=1&apikey=[REDACTED]`)
    await c.close()
  })

  it('sends bearer and basic credentials', async () => {
    const bearer = httpClient({ baseUrl: server.url, auth: authFromConfig({ bearer: 'tok_abc_123' }) })
    expect((await bearer.requestJson<Echo>({ path: '/echo' })).data.authorization).toBe('Bearer tok_abc_123')
    await bearer.close()
    const basic = httpClient({ baseUrl: server.url, auth: basicAuth({ username: 'etl', password: 'pw_123456' }) })
    expect((await basic.requestJson<Echo>({ path: '/echo' })).data.authorization).toBe(`Basic ${Buffer.from('etl:pw_123456').toString('base64')}`)
    await basic.close()
  })

  it('reads a rotating bearer token per request', async () => {
    let n = 0
    const c = httpClient({ baseUrl: server.url, auth: bearerAuth({ token: async () => `tok_rotating_${++n}` }) })
    await c.requestJson({ path: '/echo' })
    expect((await c.requestJson<Echo>({ path: '/echo' })).data.authorization).toBe('Bearer tok_rotating_2')
    await c.close()
  })

  it('refuses a missing credential without echoing it', () => {
    expect(() => bearerAuth({ token: '' })).toThrow('`bearerAuth.token` must be a non-empty string, got an empty string')
    expect(() => apiKeyAuth({ key: undefined as unknown as string })).toThrow('`apiKeyAuth.key` must be a non-empty string, got undefined')
    expect(() => authFromConfig({ token: 'x' } as never)).toThrow('got keys: token')
  })
})

describe('oauth2ClientCredentials', () => {
  const make = (clock = fakeClock({ now: 1_000_000 }), extra: Partial<Parameters<typeof oauth2ClientCredentials>[0]> = {}) =>
    oauth2ClientCredentials({ tokenUrl: `${server.url}/token`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, clock, dispatcher: tokenAgent, ...extra })
  const tokenCalls = () => server.requests.filter((r) => r.url === '/token').length

  it('fetches a token once and caches it until expiry minus the margin', async () => {
    const clock = fakeClock({ now: 1_000_000 })
    const c = httpClient({ baseUrl: server.url, auth: make(clock, { expiryMarginMs: 60_000 }) })
    const before = tokenCalls()
    await c.requestJson({ path: '/data' })
    await c.requestJson({ path: '/data' })
    expect(tokenCalls() - before).toBe(1)
    await clock.advance(3600_000 - 60_000 - 1)
    await c.requestJson({ path: '/data' })
    expect(tokenCalls() - before).toBe(1)
    await clock.advance(1)
    await c.requestJson({ path: '/data' })
    expect(tokenCalls() - before).toBe(2)
    await c.close()
  })

  it('shares one token fetch between concurrent requests', async () => {
    const c = httpClient({ baseUrl: server.url, auth: make() })
    const before = tokenCalls()
    await Promise.all(Array.from({ length: 5 }, () => c.requestJson({ path: '/data' })))
    expect(tokenCalls() - before).toBe(1)
    await c.close()
  })

  it('on a 401 refreshes the token once and retries the request once', async () => {
    const c = httpClient({ baseUrl: server.url, auth: make() })
    await c.requestJson({ path: '/data' })
    valid.clear() // the server revokes every token
    const before = tokenCalls()
    const res = await c.requestJson<{ ok: boolean; auth: string }>({ path: '/data' })
    expect(res.data.ok).toBe(true)
    expect(tokenCalls() - before).toBe(1)
    await c.close()
  })

  it('gives up after one refresh when the API keeps answering 401', async () => {
    const c = httpClient({ baseUrl: server.url, auth: make() })
    await c.requestJson({ path: '/data' })
    const originalHas = valid.has.bind(valid)
    valid.has = () => false
    try {
      const tokensBefore = tokenCalls()
      const dataBefore = server.requests.filter((r) => r.url === '/data').length
      const error = await failure(c.requestJson({ path: '/data' }))
      expect(error.code).toBe('HTTP_STATUS')
      expect(error.context['status']).toBe(401)
      expect(error.message).toContain('check the credential')
      expect(tokenCalls() - tokensBefore).toBe(1)
      expect(server.requests.filter((r) => r.url === '/data').length - dataBefore).toBe(2)
    } finally {
      valid.has = originalHas
      await c.close()
    }
  })

  it('sends client credentials in the body when asked, with scope', async () => {
    const c = httpClient({ baseUrl: server.url, auth: make(undefined, { clientAuth: 'body', scope: 'read:orders' }) })
    await c.requestJson({ path: '/data' })
    const form = new URLSearchParams(server.requests.filter((r) => r.url === '/token').at(-1)!.body)
    expect(form.get('client_id')).toBe(CLIENT_ID)
    expect(form.get('scope')).toBe('read:orders')
    await c.close()
  })

  it('reports a rejected client with the OAuth error and what to check, never the secret', async () => {
    const auth = oauth2ClientCredentials({ tokenUrl: `${server.url}/token`, clientId: CLIENT_ID, clientSecret: 'cs_wrong_secret_value' })
    const c = httpClient({ baseUrl: server.url, auth })
    const error = await failure(c.requestJson({ path: '/data' }))
    expect(error.code).toBe('HTTP_STATUS')
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('OAuth2 token request')
    expect(error.message).toContain('invalid_client: Client authentication failed')
    expect(error.message).toContain('check clientId, clientSecret, scope and tokenUrl')
    expect(JSON.stringify(error) + String(error.stack)).not.toContain('cs_wrong_secret_value')
    await c.close()
  })
})
