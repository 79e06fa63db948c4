import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeClock, httpClient, memory, sync, type HttpClient } from '../../../src/index.js'
import { idCursor } from '../../../src/source/id-cursor/id-cursor.js'
import { localServer, type LocalServer } from '../../http/local-server.js'

// Raw text: JSON.stringify can't write these numbers.
const PAGES: Record<string, string> = {
  '0': '[{"id":1,"ref":9007199254740992,"amount":1},{"id":2,"ref":9007199254740993,"amount":12345678901234567890.123}]',
  '2': '[]',
}

let server: LocalServer
let api: HttpClient
beforeAll(async () => {
  server = await localServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(url.pathname === '/big-ids' ? '[{"id":9007199254740993}]' : (PAGES[url.searchParams.get('after') ?? ''] ?? '[]'))
  })
  api = httpClient({ baseUrl: server.url })
})
afterAll(async () => {
  await api.close()
  await server.close()
})

describe('idCursor keeps numbers beyond a double exact', () => {
  it('lands a LONG beyond 2^53 and a DECIMAL(38,3) read through requestJson digit for digit', async () => {
    const sink = memory()
    const report = await sync({
      source: idCursor({
        table: 'orders',
        columns: { amount: 'DECIMAL(38,3)' },
        clock: fakeClock({ autoAdvance: true }),
        fetch: async ({ after, size, signal }) => (await api.requestJson<object[]>({ path: '/orders', query: { after, limit: size }, signal })).data,
      }),
      destination: sink,
    })
    expect(report.status).toBe('succeeded')
    expect(sink.rows('orders').map((r) => [r['id'], r['ref'], r['amount']])).toEqual([
      [1, 9007199254740992n, '1'],
      [2, 9007199254740993n, '12345678901234567890.123'],
    ])
  })

  it('refuses an integer id beyond 2^53 with ID_CURSOR_CONTRACT saying what to do (building the message threw a raw TypeError)', async () => {
    const report = await sync({
      source: idCursor({
        table: 'orders',
        clock: fakeClock({ autoAdvance: true }),
        fetch: async ({ signal }) => (await api.requestJson<object[]>({ path: '/big-ids', signal })).data,
      }),
      destination: memory(),
    })
    expect(report.error).toMatchObject({ code: 'ID_CURSOR_CONTRACT', message: expect.stringContaining("9007199254740993 in `id` at row 0; it must be a safe integer; ids beyond 2^53 can't be integer cursors") })
  })
})
