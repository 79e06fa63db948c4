import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceError } from '../../src/core/sluice-error.js'
import { apiKeyAuth } from '../../src/http/auth/api-key-auth.js'
import type { Auth } from '../../src/http/auth/auth.js'
import { basicAuth } from '../../src/http/auth/basic-auth.js'
import { bearerAuth } from '../../src/http/auth/bearer-auth.js'
import { oauth2ClientCredentials } from '../../src/http/auth/oauth2-client-credentials.js'
import { httpClient } from '../../src/http/http-client.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

// Regression (issue 11): the client attached auth and custom headers to a request for any origin.
const TOKEN = 'tok_CLIENT_ORIGIN_4a1f'
const KEY = 'k_CLIENT_ORIGIN_8d2c'
const PASSWORD = 'pw_CLIENT_ORIGIN_3e7b'
const CLIENT_SECRET = 'cs_CLIENT_ORIGIN_9a0e'
const ISSUED = 'at_CLIENT_ORIGIN_5c6d'
const CUSTOM = 'hdr_CLIENT_ORIGIN_1b2a'
const SESSION = 'sess_CLIENT_ORIGIN_7f8e'

let api: LocalServer
let other: LocalServer
let tokens: LocalServer
beforeAll(async () => {
  api = await localServer((_req, res) => sendJson(res, 200, { ok: 'api' }))
  other = await localServer((req, res) => (req.url === '/401' ? sendJson(res, 401, {}) : sendJson(res, 200, { ok: 'other' })))
  tokens = await localServer((_req, res) => sendJson(res, 200, { access_token: ISSUED, expires_in: 3600 }))
})
afterAll(async () => {
  await Promise.all([api.close(), other.close(), tokens.close()])
})
afterEach(() => {
  for (const s of [api, other, tokens]) s.requests.length = 0
})

function credentials(request: LocalServer['requests'][number]): string[] {
  const found: string[] = []
  const query = new URL(request.url, 'http://x').searchParams
  for (const name of ['authorization', 'x-api-key', 'x-custom', 'x-session']) {
    if (request.headers[name] !== undefined) found.push(`${name}: ${String(request.headers[name])}`)
  }
  if (query.has('api_key')) found.push(`api_key=${query.get('api_key')}`)
  return found.sort()
}

const AUTHS: [string, () => Auth, string][] = [
  ['bearer', () => bearerAuth({ token: TOKEN }), `authorization: Bearer ${TOKEN}`],
  ['basic', () => basicAuth({ username: 'etl', password: PASSWORD }), `authorization: Basic ${Buffer.from(`etl:${PASSWORD}`).toString('base64')}`],
  ['an api key in a header', () => apiKeyAuth({ key: KEY }), `x-api-key: ${KEY}`],
  ['an api key in the query', () => apiKeyAuth({ key: KEY, in: 'query' }), `api_key=${KEY}`],
  ['oauth2', () => oauth2ClientCredentials({ tokenUrl: `${tokens.url}/token`, clientId: 'etl', clientSecret: CLIENT_SECRET }), `authorization: Bearer ${ISSUED}`],
  ['a custom Auth', () => ({ apply: ({ headers }) => void (headers['x-session'] = SESSION), secrets: () => [SESSION] }), `x-session: ${SESSION}`],
]

describe.each(AUTHS)('httpClient with %s and custom headers', (_name, auth, sent) => {
  it('sends them to the baseUrl origin but not to another origin', async () => {
    const client = httpClient({ baseUrl: api.url, auth: auth(), headers: { 'X-Custom': CUSTOM } })
    await client.request({ path: '/orders' })
    await client.request({ url: `${other.url}/steal?page=2` })
    await client.close()
    expect(credentials(api.requests[0]!)).toEqual([sent, `x-custom: ${CUSTOM}`].sort())
    expect(other.requests).toHaveLength(1)
    expect(credentials(other.requests[0]!)).toEqual([])
    expect(new URL(other.requests[0]!.url, 'http://x').searchParams.get('page')).toBe('2')
  })

  it('sends them to an origin listed in credentialOrigins', async () => {
    const client = httpClient({ baseUrl: api.url, auth: auth(), headers: { 'x-custom': CUSTOM }, credentialOrigins: [other.url] })
    await client.request({ url: `${other.url}/elsewhere` })
    await client.close()
    expect(credentials(other.requests[0]!)).toEqual([sent, `x-custom: ${CUSTOM}`].sort())
  })
})

describe('httpClient credential origins', () => {
  it('the OAuth2 token endpoint gets the client credentials, and the token goes only to the API', async () => {
    const client = httpClient({ baseUrl: api.url, auth: oauth2ClientCredentials({ tokenUrl: `${tokens.url}/token`, clientId: 'etl', clientSecret: CLIENT_SECRET }) })
    await client.request({ path: '/orders' })
    await client.request({ url: `${other.url}/steal` })
    await client.close()
    expect(tokens.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`etl:${CLIENT_SECRET}`).toString('base64')}`)
    expect(api.requests[0]!.headers.authorization).toBe(`Bearer ${ISSUED}`)
    expect(credentials(other.requests[0]!)).toEqual([])
  })

  it('does not renew credentials after a 401 from another origin', async () => {
    let refreshed = 0
    const auth: Auth = { apply: ({ headers }) => void (headers['authorization'] = `Bearer ${TOKEN}`), refresh: async () => void refreshed++ }
    const client = httpClient({ baseUrl: api.url, auth })
    const error = await client.request({ url: `${other.url}/401` }).then(() => undefined, (e: unknown) => e as SluiceError)
    await client.close()
    expect(error?.code).toBe('HTTP_STATUS')
    expect(refreshed).toBe(0)
    expect(other.requests).toHaveLength(1)
  })

  it('per-request headers are sent wherever the request goes (the caller chose them for it)', async () => {
    const client = httpClient({ baseUrl: api.url })
    await client.request({ url: `${other.url}/x`, headers: { 'x-custom': 'chosen' } })
    await client.close()
    expect(other.requests[0]!.headers['x-custom']).toBe('chosen')
  })

  it('refuses auth or headers without a baseUrl or credentialOrigins (nowhere to send them)', () => {
    expect(() => httpClient({ auth: bearerAuth({ token: TOKEN }) })).toThrow('`httpClient.baseUrl` must be')
    expect(() => httpClient({ headers: { 'x-custom': CUSTOM } })).toThrow('`httpClient.baseUrl` must be')
    expect(() => httpClient({ auth: bearerAuth({ token: TOKEN }), credentialOrigins: ['https://api.example.com'] })).not.toThrow()
  })

  it.each([
    ['a path', ['https://api.example.com/v1'], '`httpClient.credentialOrigins[0]` must be an origin'],
    ['not http(s)', ['file:///etc'], '`httpClient.credentialOrigins[0]` must be an origin'],
    ['not an array', 'https://api.example.com', '`httpClient.credentialOrigins` must be'],
  ])('refuses credentialOrigins with %s', (_name, value, message) => {
    expect(() => httpClient({ baseUrl: 'https://api.example.com', credentialOrigins: value as never })).toThrow(message)
  })
})
