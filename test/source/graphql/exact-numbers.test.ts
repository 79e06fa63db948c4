import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeClock, memory, sync } from '../../../src/index.js'
import { graphql } from '../../../src/source/graphql/graphql.js'
import { localServer, type LocalServer } from '../../http/local-server.js'

// Raw text: JSON.stringify can't write these numbers.
const BODY =
  '{"data":{"orders":{"nodes":[{"id":9007199254740992,"total":1},{"id":9007199254740993,"total":12345678901234567890.123}],' +
  '"pageInfo":{"hasNextPage":false,"endCursor":"c1"}}}}'

let server: LocalServer
beforeAll(async () => {
  server = await localServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(BODY)
  })
})
afterAll(() => server.close())

describe('graphql keeps numbers beyond a double exact', () => {
  it('lands ids one apart beyond 2^53 as two rows and a DECIMAL(38,3) total digit for digit', async () => {
    const sink = memory()
    const report = await sync({
      source: graphql({
        endpoint: `${server.url}/graphql`,
        query: 'query($first: Int, $after: String) { orders(first: $first, after: $after) { nodes { id total } pageInfo { hasNextPage endCursor } } }',
        connection: 'data.orders',
        table: 'orders',
        primaryKey: ['id'],
        columns: { total: 'DECIMAL(38,3)' },
        clock: fakeClock({ autoAdvance: true }),
      }),
      destination: sink,
    })
    expect(report.status).toBe('succeeded')
    expect(sink.rows('orders').map((r) => [r['id'], r['total']])).toEqual([
      [9007199254740992n, '1'],
      [9007199254740993n, '12345678901234567890.123'],
    ])
  })
})
