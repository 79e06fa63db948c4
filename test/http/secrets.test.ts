import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSluiceError } from '../../src/core/sluice-error.js'
import { apiKeyAuth } from '../../src/http/auth/api-key-auth.js'
import type { Auth } from '../../src/http/auth/auth.js'
import { basicAuth } from '../../src/http/auth/basic-auth.js'
import { bearerAuth } from '../../src/http/auth/bearer-auth.js'
import { oauth2ClientCredentials } from '../../src/http/auth/oauth2-client-credentials.js'
import { httpClient } from '../../src/http/http-client.js'
import { constantBackoff } from '../../src/retry/backoff.js'
import { fakeClock } from '../../src/core/clock.js'
import { localServer, sendJson, type LocalServer } from './local-server.js'

const API_KEY = 'sk_live_APIKEY_4f9a2c'
const TOKEN = 'tok_BEARER_77e1d0'
const PASSWORD = 'pw_BASIC_91b3aa'
const CLIENT_SECRET = 'cs_OAUTH_5d2e8f'
const ISSUED = 'at_ISSUED_0c4b19'
const SECRETS = [API_KEY, TOKEN, PASSWORD, CLIENT_SECRET, ISSUED, Buffer.from(`etl:${PASSWORD}`).toString('base64')]

let server: LocalServer
beforeAll(async () => {
  // A hostile server: every error response echoes the request line and its credentials back.
  server = await localServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const echo = `request ${req.url} authorization=${req.headers.authorization ?? ''} body=${body}`
    switch (url.pathname) {
      case '/token':
        return new URLSearchParams(body).get('scope') === 'bad'
          ? sendJson(res, 400, { error: 'invalid_scope', error_description: echo })
          : sendJson(res, 200, { access_token: ISSUED, expires_in: 3600 })
      case '/401': return sendJson(res, 401, { echo })
      case '/404': return sendJson(res, 404, { echo })
      case '/500': return sendJson(res, 500, { echo })
      case '/truncated': return void res.writeHead(200).end(`{"echo":"${echo}"`)
      case '/html': return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${echo}</p>`)
      case '/big': return void res.writeHead(200).end(echo.repeat(500))
      case '/moved': return void res.writeHead(302, { location: `/elsewhere?api_key=${API_KEY}&token=${TOKEN}` }).end()
      case '/reset':
        res.writeHead(200, { 'content-length': '10000' })
        res.write(echo)
        return void setTimeout(() => res.socket?.destroy(), 10)
      default: return sendJson(res, 200, { echo })
    }
  })
})
afterAll(() => server.close())

const AUTHS: Record<string, () => Auth> = {
  'api key in query': () => apiKeyAuth({ key: API_KEY, in: 'query', name: 'key' }),
  'api key in custom query param': () => apiKeyAuth({ key: API_KEY, in: 'query', name: 'subscription' }),
  'api key in header': () => apiKeyAuth({ key: API_KEY, name: 'X-Api-Key' }),
  bearer: () => bearerAuth({ token: TOKEN }),
  basic: () => basicAuth({ username: 'etl', password: PASSWORD }),
  oauth2: () => oauth2ClientCredentials({ tokenUrl: `${server.url}/token`, clientId: 'etl', clientSecret: CLIENT_SECRET }),
}

/** Every text view of an error and of its whole cause chain. */
function views(error: unknown): string[] {
  const out: string[] = [inspect(error, { depth: Infinity, showHidden: true })]
  for (let e: unknown = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error) out.push(e.message, String(e.stack))
    if (isSluiceError(e)) out.push(JSON.stringify(e), JSON.stringify(e.toJSON()), inspect(e.context, { depth: Infinity }))
  }
  return out
}

describe('secrets never reach errors', () => {
  for (const [name, makeAuth] of Object.entries(AUTHS)) {
    it(`${name}: no secret in any error message, JSON, stack, context or cause`, async () => {
      const client = httpClient({ baseUrl: server.url, auth: makeAuth(), maxResponseBytes: 2000, clock: fakeClock({ autoAdvance: true }) })
      const errors: unknown[] = []
      const paths = ['/401', '/404', '/500', '/truncated', '/html', '/big', '/moved', '/reset']
      for (const path of paths) {
        await client.requestJson({ path, query: { page: 2 }, retry: constantBackoff({ delayMs: 1, attempts: 2 }) }).then(
          () => { throw new Error(`expected ${path} to fail`) },
          (e: unknown) => errors.push(e),
        )
      }
      await client.close()
      expect(errors).toHaveLength(paths.length)
      for (const error of errors) {
        expect(isSluiceError(error)).toBe(true)
        for (const text of views(error)) for (const secret of SECRETS) expect(text).not.toContain(secret)
      }
      // The redaction still says where: the path and the harmless query stay visible.
      expect(JSON.stringify(errors[1])).toContain('/404?page=2')
    })
  }

  it('oauth2: a token endpoint error that echoes the client secret is redacted', async () => {
    const auth = oauth2ClientCredentials({ tokenUrl: `${server.url}/token`, clientId: 'etl', clientSecret: CLIENT_SECRET, clientAuth: 'body', scope: 'bad' })
    const client = httpClient({ baseUrl: server.url, auth })
    const error = await client.requestJson({ path: '/ok' }).catch((e: unknown) => e)
    await client.close()
    expect(String((error as Error).message)).toContain('invalid_scope')
    for (const text of views(error)) for (const secret of SECRETS) expect(text).not.toContain(secret)
  })

  it('config errors about credentials do not echo them', () => {
    const error = (() => {
      try {
        apiKeyAuth({ key: API_KEY, in: 'cookie' as 'query' })
      } catch (e) {
        return e
      }
    })()
    expect(isSluiceError(error)).toBe(true)
    for (const text of views(error)) expect(text).not.toContain(API_KEY)
  })
})
