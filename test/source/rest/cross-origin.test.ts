import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { memory, sync, type AuthConfig, type Paginator, type State } from '../../../src/index.js'
import { isSluiceError } from '../../../src/core/sluice-error.js'
import { linkHeader } from '../../../src/source/rest/link-header-paginator.js'
import { nextUrl } from '../../../src/source/rest/next-url-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestOptions } from '../../../src/source/rest/rest-options.js'
import { localServer, sendJson, type LocalServer } from '../../http/local-server.js'

// Regression (issue 11): a next link to another origin received the API's credentials and custom headers.
const TOKEN = 'tok_XORIGIN_BEARER_55d1'
const KEY = 'k_XORIGIN_APIKEY_93ab'
const PASSWORD = 'pw_XORIGIN_BASIC_7c2e'
const CLIENT_SECRET = 'cs_XORIGIN_OAUTH_1f4d'
const ISSUED = 'at_XORIGIN_ISSUED_0a9b'
const CUSTOM = 'hdr_XORIGIN_CUSTOM_6e3f'
const SESSION = 'sess_XORIGIN_CUSTOM_AUTH_2b8c'

let api: LocalServer // the API at baseUrl: pages 1 of /orders and /linked point at `next`
let other: LocalServer // another origin that records what it gets
let tokens: LocalServer // an OAuth2 token endpoint, on its own origin
let next = ''

beforeAll(async () => {
  api = await localServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/orders') return sendJson(res, 200, { data: [{ id: 1 }], next })
    if (url.pathname === '/linked') return sendJson(res, 200, { data: [{ id: 1 }] }, { link: `<${next}>; rel="next"` })
    if (url.pathname === '/customers') return sendJson(res, 200, { data: [{ id: 7 }] })
    if (url.pathname === '/customers/7/orders') return sendJson(res, 200, { data: [{ id: 1 }], next })
    return sendJson(res, 200, { data: [{ id: 3 }] })
  })
  other = await localServer((_req, res) => sendJson(res, 200, { data: [{ id: 2 }] }))
  tokens = await localServer((_req, res) => sendJson(res, 200, { access_token: ISSUED, expires_in: 3600 }))
})
afterAll(async () => {
  await Promise.all([api.close(), other.close(), tokens.close()])
})
afterEach(() => {
  api.requests.length = 0
  other.requests.length = 0
  tokens.requests.length = 0
})

/** Every credential a request carried, by where it was found. */
function credentials(request: LocalServer['requests'][number]): string[] {
  const found: string[] = []
  const query = new URL(request.url, 'http://x').searchParams
  if (request.headers.authorization) found.push(`authorization: ${request.headers.authorization}`)
  if (request.headers['x-api-key']) found.push(`x-api-key: ${String(request.headers['x-api-key'])}`)
  if (query.has('api_key')) found.push(`api_key=${query.get('api_key')}`)
  if (request.headers['x-custom']) found.push(`x-custom: ${String(request.headers['x-custom'])}`)
  if (request.headers['x-session']) found.push(`x-session: ${String(request.headers['x-session'])}`)
  return found
}

const basic = `Basic ${Buffer.from(`etl:${PASSWORD}`).toString('base64')}`
const AUTHS: [string, () => AuthConfig, string[]][] = [
  ['bearer', () => ({ bearer: TOKEN }), [`authorization: Bearer ${TOKEN}`]],
  ['basic', () => ({ basic: { username: 'etl', password: PASSWORD } }), [`authorization: ${basic}`]],
  ['an api key in a header', () => ({ apiKey: { key: KEY } }), [`x-api-key: ${KEY}`]],
  ['an api key in the query', () => ({ apiKey: { key: KEY, in: 'query' } }), [`api_key=${KEY}`]],
  ['oauth2', () => ({ oauth2: { tokenUrl: `${tokens.url}/token`, clientId: 'etl', clientSecret: CLIENT_SECRET } }), [`authorization: Bearer ${ISSUED}`]],
  ['a custom Auth', () => ({ apply: ({ headers }) => void (headers['x-session'] = SESSION), secrets: () => [SESSION] }), [`x-session: ${SESSION}`]],
]
const PAGINATORS: [string, string, () => Paginator][] = [
  ['nextUrl', '/orders', () => nextUrl('next')],
  ['linkHeader', '/linked', () => linkHeader()],
]

const source = (auth: AuthConfig, path: string, paginate: Paginator, over: Partial<RestOptions> = {}) =>
  rest({ baseUrl: api.url, auth, headers: { 'x-custom': CUSTOM }, retry: false, streams: [{ table: 'orders', path, records: 'data', primaryKey: ['id'], paginate }], ...over })

describe.each(PAGINATORS)('a %s link to another origin', (_name, path, paginator) => {
  describe.each(AUTHS)('with %s and custom headers', (_auth, auth, sent) => {
    it('is refused with CROSS_ORIGIN_LINK, and the other origin receives nothing', async () => {
      next = `${other.url}/steal?page=2`
      const report = await sync({ source: source(auth(), path, paginator()), destination: memory() })
      expect(report.status).toBe('failed')
      expect(report.error?.code).toBe('CROSS_ORIGIN_LINK')
      expect(report.error?.message).toContain(`'${other.url}'`)
      expect(report.error?.message).toContain('allowOrigins')
      expect(other.requests).toEqual([])
    })

    it('allowed without credentials, is followed with neither auth nor custom headers', async () => {
      next = `${other.url}/steal?page=2`
      const sink = memory()
      const report = await sync({ source: source(auth(), path, paginator(), { allowOrigins: [other.url] }), destination: sink })
      expect(report.error?.message ?? '').toBe('')
      expect(sink.rows('orders').map((r) => r['id'])).toEqual([1, 2])
      expect(credentials(api.requests[0]!).sort()).toEqual([...sent, `x-custom: ${CUSTOM}`].sort())
      expect(other.requests).toHaveLength(1)
      expect(credentials(other.requests[0]!)).toEqual([])
    })

    it('allowed with credentials, is followed with auth and custom headers', async () => {
      next = `${other.url}/steal?page=2`
      const report = await sync({ source: source(auth(), path, paginator(), { allowOrigins: [{ origin: other.url, credentials: true }] }), destination: memory() })
      expect(report.status).toBe('succeeded')
      expect(credentials(other.requests[0]!).sort()).toEqual([...sent, `x-custom: ${CUSTOM}`].sort())
    })
  })
})

describe('CROSS_ORIGIN_LINK', () => {
  it('names only the link origin, never its path or query, and says how to allow it', async () => {
    next = `${other.url}/steal/sk_in_path_123?token=leak_query_456&page=2`
    const report = await sync({ source: source({ bearer: TOKEN }, '/orders', nextUrl('next')), destination: memory() })
    const message = report.error?.message ?? ''
    expect(report.error?.code).toBe('CROSS_ORIGIN_LINK')
    expect(message).toContain(`allowOrigins: ['${other.url}']`)
    expect(message).toContain(`{ origin: '${other.url}', credentials: true }`)
    for (const secret of ['sk_in_path_123', 'leak_query_456', TOKEN, CUSTOM]) expect(message).not.toContain(secret)
  })

  it('treats another host on the same port as another origin', async () => {
    const port = new URL(api.url).port
    next = `http://localhost:${port}/orders?page=2`
    const report = await sync({ source: source({ bearer: TOKEN }, '/orders', nextUrl('next')), destination: memory() })
    expect(report.error?.code).toBe('CROSS_ORIGIN_LINK')
    expect(report.error?.message).toContain(`'http://localhost:${port}'`)
  })

  it('refuses the link before the page that carries it is checkpointed, so the state never holds it', async () => {
    next = `${other.url}/steal?page=2`
    const states: State[] = []
    await sync({ source: source({ bearer: TOKEN }, '/orders', nextUrl('next')), destination: memory(), on: { checkpoint: (e) => void states.push(e.state) } })
    expect(JSON.stringify(states)).not.toContain(other.url)
  })

  it('refuses a child stream link to another origin', async () => {
    next = `${other.url}/steal?page=2`
    const report = await sync({
      source: rest({
        baseUrl: api.url, auth: { bearer: TOKEN }, retry: false,
        streams: [
          { table: 'customers', path: '/customers', records: 'data', primaryKey: ['id'] },
          { table: 'orders', path: '/customers/{id}/orders', parent: 'customers', records: 'data', primaryKey: ['id'], paginate: nextUrl('next') },
        ],
      }),
      destination: memory(),
    })
    expect(report.error?.code).toBe('CROSS_ORIGIN_LINK')
    expect(report.error?.message).toContain('streams[1]')
    expect(other.requests).toEqual([])
  })

  it('refuses a custom paginator URL and a saved state URL to another origin', async () => {
    const foreign: Paginator = { kind: 'foreign', first: () => ({ url: `${other.url}/orders` }), next: () => undefined }
    const custom = await sync({ source: source({ bearer: TOKEN }, '/orders', foreign), destination: memory() })
    expect(custom.error?.code).toBe('CROSS_ORIGIN_LINK')

    const resumed = source({ bearer: TOKEN }, '/orders', nextUrl('next'))
    const state = { streams: { orders: { run: { position: { page: { url: `${other.url}/orders?page=5` }, pages: 4, received: 4 } } } } } as unknown as State
    const error = await (async () => {
      for await (const _ of resumed.read({ state, signal: new AbortController().signal, configuration: {}, recordError: () => {} })) void _
    })().then(() => undefined, (e: unknown) => e)
    expect(isSluiceError(error) && error.code).toBe('CROSS_ORIGIN_LINK')
    expect(other.requests).toEqual([])
  })
})

describe('rest({ allowOrigins }) is validated when built', () => {
  const build = (allowOrigins: unknown) => () => rest({ baseUrl: 'https://api.example.com', allowOrigins: allowOrigins as never, streams: [{ table: 't', path: '/t' }] })

  it('accepts origins as strings and { origin, credentials } objects', () => {
    expect(build(['https://cdn.example.com', { origin: 'https://eu.example.com:8443/', credentials: true }, { origin: 'http://other.example.com' }])).not.toThrow()
  })

  it.each([
    ['not an array', 'https://cdn.example.com', '`allowOrigins` must be'],
    ['a URL with a path', ['https://cdn.example.com/files'], '`allowOrigins[0]` must be an origin'],
    ['a URL with a query', ['https://cdn.example.com?x=1'], '`allowOrigins[0]` must be an origin'],
    ['not http(s)', ['ftp://cdn.example.com'], '`allowOrigins[0]` must be an origin'],
    ['not a URL', ['cdn.example.com'], '`allowOrigins[0]` must be an origin'],
    ['credentials not a boolean', [{ origin: 'https://cdn.example.com', credentials: 'yes' }], '`allowOrigins[0].credentials` must be'],
    ['an unknown key', [{ origin: 'https://cdn.example.com', sendAuth: true }], '`allowOrigins[0].sendAuth` must be'],
  ])('refuses %s', (_name, value, message) => {
    expect(build(value)).toThrow(message)
  })

  it('never echoes credentials written into an allowed origin', () => {
    expect(build(['https://user:pw_ALLOWED_SECRET@cdn.example.com'])).toThrow(/allowOrigins\[0\]/)
    expect(build(['https://user:pw_ALLOWED_SECRET@cdn.example.com'])).not.toThrow(/pw_ALLOWED_SECRET/)
  })
})
