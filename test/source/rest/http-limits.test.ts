import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exponentialBackoff, fakeClock, memory, sync } from '../../../src/index.js'
import { graphql } from '../../../src/source/graphql/graphql.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestOptions } from '../../../src/source/rest/rest-options.js'
import { localServer, sendJson, type LocalServer } from '../../http/local-server.js'

// Regression (issue 11): rest()/graphql() errors named the internal client option (`httpClient.maxResponseBytes`),
// the limits were checked only at the first request, and no limit bounded a trickling response.
let server: LocalServer
let hits = 0
beforeAll(async () => {
  server = await localServer((req, res) => {
    if (req.url?.startsWith('/big')) return sendJson(res, 200, { data: Array.from({ length: 100 }, (_, id) => ({ id })) })
    if (req.url?.startsWith('/silent')) return // never answers: the headers timeout ends it
    if (req.url?.startsWith('/trickle')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"data":[')
      const first = ++hits === 1
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(' ')
      }, 50)
      setTimeout(() => {
        clearInterval(timer)
        if (!res.destroyed) res.end('{"id":1}]}')
      }, first ? 2000 : 0)
      return
    }
    if (req.url?.startsWith('/graphql')) return sendJson(res, 200, { data: { orders: { nodes: Array.from({ length: 100 }, (_, id) => ({ id })), pageInfo: { hasNextPage: false, endCursor: null } } } })
    return sendJson(res, 404, {})
  })
})
afterAll(() => server.close())

const source = (path: string, over: Partial<RestOptions> = {}) =>
  rest({ baseUrl: server.url, retry: false, streams: [{ table: 'orders', path, records: 'data', primaryKey: ['id'] }], ...over })

describe('rest() HTTP limits name the option as the user wrote it', () => {
  it('a body over maxResponseBytes names rest({ maxResponseBytes })', async () => {
    const report = await sync({ source: source('/big', { maxResponseBytes: 100 }), destination: memory() })
    expect(report.error?.code).toBe('HTTP_BODY')
    expect(report.error?.message).toContain('rest({ maxResponseBytes })')
    expect(report.error?.message).not.toContain('httpClient')
  })

  it('a headers timeout names rest({ timeouts: { headersMs } })', async () => {
    const report = await sync({ source: source('/silent', { timeouts: { headersMs: 200 } }), destination: memory() })
    expect(report.error?.code).toBe('HTTP_TIMEOUT')
    expect(report.error?.message).toContain('rest({ timeouts: { headersMs } })')
  })

  it('a trickling page ends at timeouts.totalMs with HTTP_TIMEOUT naming rest({ timeouts: { totalMs } }), and is retried', async () => {
    hits = 0
    const failed = await sync({ source: source('/trickle', { timeouts: { totalMs: 300 } }), destination: memory() })
    expect(failed.error?.code).toBe('HTTP_TIMEOUT')
    expect(failed.error?.message).toContain('within 300 ms')
    expect(failed.error?.message).toContain('rest({ timeouts: { totalMs } })')

    hits = 0
    const sink = memory()
    const retried = await sync({
      source: source('/trickle', { timeouts: { totalMs: 300 }, retry: exponentialBackoff({ initialMs: 1, attempts: 2 }), clock: fakeClock({ autoAdvance: true }) }),
      destination: sink,
    })
    expect(retried.status).toBe('succeeded')
    expect(hits).toBe(2)
    expect(sink.rows('orders').map((r) => r['id'])).toEqual([1])
  })

  it.each<[string, Partial<RestOptions>, string]>([
    ['maxResponseBytes 0', { maxResponseBytes: 0 }, '`maxResponseBytes` must be a positive integer'],
    ['a negative headersMs', { timeouts: { headersMs: -1 } }, '`timeouts.headersMs` must be'],
    ['a zero totalMs', { timeouts: { totalMs: 0 } }, '`timeouts.totalMs` must be'],
    ['an unknown timeouts key', { timeouts: { totalMS: 5 } as never }, '`timeouts.totalMS` must be one of'],
    ['timeouts not an object', { timeouts: 5 as never }, '`timeouts` must be'],
  ])('refuses %s when rest() is built, naming the rest option', (_name, over, message) => {
    expect(() => source('/big', over)).toThrow(message)
  })
})

describe('graphql() HTTP limits name the option as the user wrote it', () => {
  it('a body over maxResponseBytes names graphql({ http: { maxResponseBytes } })', async () => {
    const report = await sync({
      source: graphql({
        endpoint: `${server.url}/graphql`, table: 'orders', connection: 'data.orders', http: { maxResponseBytes: 100 },
        query: 'query($first: Int, $after: String) { orders(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
        clock: fakeClock({ autoAdvance: true }),
      }),
      destination: memory(),
    })
    expect(report.error?.code).toBe('HTTP_BODY')
    expect(report.error?.message).toContain('graphql({ http: { maxResponseBytes } })')
  })
})
