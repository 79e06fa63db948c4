import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeClock, httpClient, memory, sync, type HttpClient } from '../../../src/index.js'
import { timeWindows } from '../../../src/source/time-windows/time-windows.js'
import { localServer, type LocalServer } from '../../http/local-server.js'

const T0 = Date.UTC(2026, 0, 1)
const T1 = Date.UTC(2026, 0, 2)

let server: LocalServer
let api: HttpClient
beforeAll(async () => {
  server = await localServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    // Raw text: JSON.stringify can't write these numbers.
    res.end('[{"id":9007199254740992,"amount":1},{"id":9007199254740993,"amount":12345678901234567890.123}]')
  })
  api = httpClient({ baseUrl: server.url })
})
afterAll(async () => {
  await api.close()
  await server.close()
})

describe('timeWindows keeps numbers beyond a double exact', () => {
  it('lands ids one apart beyond 2^53 as two rows and a DECIMAL(38,3) read through requestJson digit for digit', async () => {
    const sink = memory()
    const report = await sync({
      source: timeWindows({
        table: 'events',
        primaryKey: ['id'],
        columns: { amount: 'DECIMAL(38,3)' },
        start: T0,
        end: T1,
        clock: fakeClock({ autoAdvance: true, now: T1 }),
        fetch: async ({ from, to, signal }) => (await api.requestJson<object[]>({ path: '/events', query: { from, to }, signal })).data,
      }),
      destination: sink,
    })
    expect(report.status).toBe('succeeded')
    expect(sink.rows('events').map((r) => [r['id'], r['amount']])).toEqual([
      [9007199254740992n, '1'],
      [9007199254740993n, '12345678901234567890.123'],
    ])
  })
})
