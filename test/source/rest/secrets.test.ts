import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { sqlite, sync, type AuthConfig } from '../../../src/index.js'
import { nextUrl } from '../../../src/source/rest/next-url-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import { faultApi, type FaultApi, type FaultApiOptions } from '../../support/fault-api.js'
import { ordersStream } from './rest-fixtures.js'

const KEY = 'sk_live_REST_9f3a1c77'
const TOKEN = 'tok_REST_BEARER_41d2e0'

const VARIANTS: [string, FaultApiOptions['auth'], AuthConfig, string][] = [
  // The API echoes the key back in every next URL, as some do: it must still never be stored or shown.
  ['an API key in the query', { apiKey: KEY }, { apiKey: { key: KEY, in: 'query', name: 'api_key' } }, KEY],
  ['a bearer token', { bearer: TOKEN }, { bearer: TOKEN }, TOKEN],
]

let api: FaultApi
let dir: string
afterEach(async () => {
  await api?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe.each(VARIANTS)('%s never reaches reports, state, _sluice_errors or errors', (_name, serverAuth, auth, secret) => {
  it('through failures, a pagination loop, a 401 and a resumed sync', async () => {
    api = await faultApi({ rows: 30, auth: serverAuth })
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-secrets-'))
    const path = join(dir, 'warehouse.db')
    const seen: string[] = []
    const source = rest({
      baseUrl: api.url,
      auth,
      retry: false,
      // keyset: the run (unsorted) saves its next URLs in the state, which must lose the key. The fault API's next URLs
      // carry page numbers, not a keyset: that is safe here only because no row changes during this test.
      streams: [ordersStream({ path: '/next/orders', paginate: nextUrl({ path: 'next', limit: 10, keyset: true }), incremental: { cursor: 'updated_at', param: 'updated_since', onMissing: 'exclude' } })],
    })
    const run = async () => {
      const report = await sync({ source, destination: sqlite({ path }), on: { checkpoint: (e) => void seen.push(JSON.stringify(e.state)) } })
      seen.push(JSON.stringify(report), inspect(report, { depth: Infinity }))
      return report
    }
    api.dropCursor([4])

    api.fault(2, { kind: 'status', status: 500 })
    expect((await run()).error?.code).toBe('HTTP_STATUS')
    api.resetLog()
    api.fault(2, { kind: 'repeatCursor' })
    expect((await run()).error?.code).toBe('PAGINATION_LOOP')
    api.resetLog()
    api.fault(1, { kind: 'status', status: 401 })
    expect((await run()).error?.code).toBe('HTTP_STATUS')
    api.resetLog()
    const done = await run()
    expect(done.status).toBe('succeeded') // resumed from states whose next URLs had the key stripped
    expect(await sqlite({ path }).readErrors!()).toEqual([expect.objectContaining({ code: 'CURSOR_MISSING', record: { id: 4 } })])

    // The stored next URLs really did lack the key, and the resumed requests still carried it.
    expect(seen.some((s) => s.includes('/next/orders?'))).toBe(true)
    if (serverAuth?.apiKey) expect(api.log.every((r) => r.query['api_key'] === KEY)).toBe(true)

    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1'))
    for (const text of [...seen, ...files]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(encodeURIComponent(secret))
    }
  })
})
