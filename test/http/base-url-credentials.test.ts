import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memory, sync } from '../../src/index.js'
import { isSluiceError, type SluiceError } from '../../src/core/sluice-error.js'
import { bearerAuth } from '../../src/http/auth/bearer-auth.js'
import { httpClient } from '../../src/http/http-client.js'
import { graphql } from '../../src/source/graphql/graphql.js'
import { rest } from '../../src/source/rest/rest-source.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

// Regression (issue 11): user:password in baseUrl was dropped silently (and could reach error messages).
const PASSWORD = 'pw_USERINFO_3c9d@x'
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

let server: LocalServer
beforeAll(async () => {
  server = await localServer((req, res) => {
    if (req.url?.startsWith('/not-records')) return sendJson(res, 200, { data: [1] })
    if (req.url?.startsWith('/graphql')) return sendJson(res, 200, { data: { orders: { nodes: [{ id: 1 }], pageInfo: { hasNextPage: false, endCursor: null } } } })
    if (req.url?.startsWith('/missing')) return sendJson(res, 404, { authorization: req.headers.authorization })
    return sendJson(res, 200, { data: [{ id: 1 }] })
  })
})
afterAll(() => server.close())

const withUser = (user = 'alice', password = encodeURIComponent(PASSWORD)) => server.url.replace('http://', `http://${user}:${password}@`)
const views = (error: unknown): string => (isSluiceError(error) ? `${error.message} ${JSON.stringify(error.context)} ${inspect(error, { depth: 5 })}` : inspect(error))

describe('credentials in baseUrl are sent as Basic auth', () => {
  it('httpClient sends user:password from baseUrl as Basic auth, decoded', async () => {
    const client = httpClient({ baseUrl: withUser() })
    const res = await client.request({ path: '/orders' })
    await client.close()
    expect(server.requests.at(-1)!.headers.authorization).toBe(basic('alice', PASSWORD))
    expect(res.url).not.toContain('alice')
  })

  it('rest() sends them as Basic auth, and they appear in no error', async () => {
    const report = await sync({ source: rest({ baseUrl: withUser(), retry: false, streams: [{ table: 'orders', path: '/not-records', records: 'data' }] }), destination: memory() })
    expect(server.requests.at(-1)!.headers.authorization).toBe(basic('alice', PASSWORD))
    expect(report.error?.code).toBe('HTTP_BODY')
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'alice:']) expect(`${report.error?.message} ${inspect(report)}`).not.toContain(secret)
  })

  it('a status error from such a client shows neither the user nor the password', async () => {
    const client = httpClient({ baseUrl: withUser() })
    const error = await client.request({ path: '/missing' }).then(() => undefined, (e: unknown) => e as SluiceError)
    await client.close()
    expect(error?.code).toBe('HTTP_STATUS')
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), basic('alice', PASSWORD).slice(6)]) expect(views(error)).not.toContain(secret)
  })

  it('refuses user:password in baseUrl together with another auth, without echoing the password', () => {
    const attempts = [
      () => httpClient({ baseUrl: withUser(), auth: bearerAuth({ token: 'tok_123456' }) }),
      () => rest({ baseUrl: withUser(), auth: { bearer: 'tok_123456' }, streams: [{ table: 't', path: '/t' }] }),
    ]
    for (const attempt of attempts) {
      const error = (() => {
        try {
          attempt()
        } catch (e) {
          return e
        }
        return undefined
      })()
      expect(isSluiceError(error) && error.code).toBe('CONFIG_INVALID')
      expect((error as SluiceError).message).toMatch(/`(httpClient\.)?baseUrl` must not carry user:password when `auth` is also set/)
      for (const secret of [PASSWORD, encodeURIComponent(PASSWORD)]) expect(views(error)).not.toContain(secret)
    }
  })

  it('graphql() sends user:password from its endpoint as Basic auth, and refuses it next to auth', async () => {
    const query = 'query($first: Int, $after: String) { orders(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }'
    const options = { endpoint: `${withUser()}/graphql`, query, connection: 'data.orders', table: 'orders', primaryKey: ['id'] }
    const report = await sync({ source: graphql(options), destination: memory() })
    expect(report.status).toBe('succeeded')
    expect(server.requests.at(-1)!.headers.authorization).toBe(basic('alice', PASSWORD))
    expect(() => graphql({ ...options, auth: { bearer: 'tok_123456' } })).toThrow('`graphql.endpoint` must not carry user:password')
  })

  it('refuses a password without a user name', () => {
    expect(() => rest({ baseUrl: withUser(''), streams: [{ table: 't', path: '/t' }] })).toThrow('`baseUrl`')
  })
})
