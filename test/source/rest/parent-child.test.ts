import { afterEach, describe, expect, it } from 'vitest'
import { memory, type State } from '../../../src/index.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'
import { faultApi, type FaultApi } from '../../support/fault-api.js'
import { destRows, expectSameAsSource, expectSucceeded, ordersStream, requests, syncInto } from './rest-fixtures.js'

let api: FaultApi
afterEach(() => api?.close())

const lines: RestStream = {
  table: 'lines', path: '/offset/orders/{id}/lines', parent: 'orders', parentFields: { order_id: 'id' },
  records: 'data', primaryKey: ['line_id'], paginate: offset({ limit: 2, stop: { shortPage: true } }),
}

/** Order id i has (i % 3) + 1 lines: line_id 10·i + k, qty k + 1. */
function expectedLines(orderIds: readonly number[]) {
  return orderIds.flatMap((id) => Array.from({ length: (id % 3) + 1 }, (_, k) => ({ line_id: id * 10 + k, sku: `sku-${k}`, qty: k + 1, order_id: id })))
}

const source = (over: Partial<RestStream> = {}, concurrency = 1) =>
  rest({ baseUrl: api.url, retry: false, concurrency, streams: [ordersStream({ paginate: offset({ limit: 5 }), ...over }), lines] })

describe('child streams read an endpoint per parent record', () => {
  it.each([1, 3])('reads every child page of every parent, carrying the parent key (concurrency %i)', async (concurrency) => {
    api = await faultApi({ rows: 12 })
    const sink = memory()
    expectSucceeded(await syncInto(source({}, concurrency), sink))
    expectSameAsSource(sink, api)
    expect(destRows(sink, 'lines', 'line_id')).toEqual(expectedLines(api.rows().map((r) => Number(r['id']))).sort((a, b) => a.line_id - b.line_id))
    // Orders 2, 5, 8, 11 have 3 lines: two pages each.
    expect(requests(api, '/offset/orders/5/lines')).toHaveLength(2)
  })

  it('resumes mid-children: finished endpoints are not read again, an unfinished one continues at its page', async () => {
    api = await faultApi({ rows: 12 })
    const sink = memory()
    const states: State[] = []
    // Orders page 1 holds ids 1–5: lines of order 1 complete, order 2's second page fails.
    api.faultWhen((r) => r.path === '/offset/orders/2/lines' && r.query['offset'] === '2', { kind: 'status', status: 500 })
    const failed = await syncInto(source(), sink, { on: { checkpoint: (e) => void states.push(e.state) } })
    expect(failed.status).toBe('failed')
    expect(states.at(-1)).toEqual({
      streams: { lines: { run: { done: ['/offset/orders/1/lines'], active: { '/offset/orders/2/lines': { page: { query: { offset: 2, limit: 2 } }, pages: 1, received: 2 } } } } },
    })
    api.resetLog()
    expectSucceeded(await syncInto(source(), sink))
    const paths = requests(api, '/offset/orders/').map((r) => `${r.path}?offset=${r.query['offset']}`)
    expect(requests(api)[0]?.query).toEqual({ offset: '0', limit: '5' }) // the parent page is read again …
    expect(paths.slice(0, 2)).toEqual(['/offset/orders/2/lines?offset=2', '/offset/orders/3/lines?offset=0'])
    expect(paths.filter((p) => p.startsWith('/offset/orders/1/'))).toEqual([]) // … but order 1's lines are not
    expect(destRows(sink, 'lines', 'line_id')).toHaveLength(expectedLines(api.rows().map((r) => Number(r['id']))).length)
    expectSameAsSource(sink, api)
  })

  it('an incremental parent reads children only for the parents that changed', async () => {
    api = await faultApi({ rows: 12, order: 'cursor' })
    const sink = memory()
    const s = source({ incremental: { cursor: 'updated_at', param: 'updated_since', sorted: 'asc' } })
    expectSucceeded(await syncInto(s, sink))
    api.resetLog()
    api.update([5])
    const second = await syncInto(s, sink)
    expectSucceeded(second)
    expect(second.tables['orders']?.upserts).toBe(1)
    expect(new Set(requests(api, '/offset/orders/').map((r) => r.path))).toEqual(new Set(['/offset/orders/5/lines']))
  })

  it('fails with PARENT_FIELD_MISSING naming the parent and field when a placeholder has no value', async () => {
    api = await faultApi({ rows: 3 })
    const report = await syncInto(rest({ baseUrl: api.url, streams: [ordersStream(), { ...lines, path: '/offset/orders/{customer.id}/lines' }] }))
    expect(report.error).toMatchObject({ code: 'PARENT_FIELD_MISSING', message: expect.stringContaining('customer.id') })
  })
})
