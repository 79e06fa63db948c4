import { describe, expect, it } from 'vitest'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestOptions, RestStream } from '../../../src/source/rest/rest-options.js'

const BASE = 'https://api.example.com/v1'
const orders: RestStream = { table: 'orders', path: '/orders', primaryKey: ['id'] }
const build = (over: Partial<RestOptions>) => () => rest({ baseUrl: BASE, streams: [orders], ...over } as RestOptions)

describe('rest() validates the whole configuration when it is built', () => {
  it.each([
    ['a missing baseUrl', { baseUrl: undefined }, '`baseUrl`'],
    ['a non-http baseUrl', { baseUrl: 'ftp://x' }, '`url`'],
    ['no streams', { streams: [] }, '`streams`'],
    ['a zero concurrency', { concurrency: 0 }, '`concurrency`'],
    ['a retry that is not a policy', { retry: { attempts: 3 } }, '`retry`'],
    ['an unknown auth shape', { auth: { token: 'x' } }, '`auth`'],
    ['an unknown option', { pageSize: 10 }, '`pageSize`'],
    ['a duplicate table', { streams: [orders, orders] }, '`streams[1].table`'],
    ['a placeholder without a parent', { streams: [{ ...orders, path: '/x/{id}' }] }, '`streams[0].path`'],
    ['an unknown parent', { streams: [orders, { table: 'lines', path: '/orders/{id}/lines', parent: 'order' }] }, '`streams[1].parent`'],
    ['a grandchild', { streams: [orders, { table: 'lines', path: '/o/{id}', parent: 'orders' }, { table: 'notes', path: '/l/{id}', parent: 'lines' }] }, '`streams[2].parent`'],
    ['parentFields without a parent', { streams: [{ ...orders, parentFields: { a: 'b' } }] }, '`streams[0].parentFields`'],
    ['an unknown stream option', { streams: [{ ...orders, paginat: offset({ limit: 1 }) }] }, '`streams[0].paginat`'],
    ['a bad records path', { streams: [{ ...orders, records: 'data..items' }] }, '`streams[0].records`'],
    ['an unknown paginator type', { streams: [{ ...orders, paginate: { type: 'offsets', limit: 1 } }] }, '`streams[0].paginate.type`'],
    ['a bad paginator option as data', { streams: [{ ...orders, paginate: { type: 'offset', limit: -1 } }] }, '`streams[0].paginate.limit`'],
    ['a paginator with no stop rule as data', { streams: [{ ...orders, paginate: { type: 'pageNumber', stop: { emptyPage: false } } }] }, '`streams[0].paginate.stop`'],
    ['a cursor param the paginator also sets', { streams: [{ ...orders, paginate: offset({ limit: 5 }), incremental: { cursor: 'u', param: 'offset' } }] }, '`streams[0].incremental.param`'],
    ['a cursor param also in params', { streams: [{ ...orders, params: { since: 'x' }, incremental: { cursor: 'u', param: 'since' } }] }, '`streams[0].incremental.param`'],
    ['a bad incremental option', { streams: [{ ...orders, incremental: { cursor: 'u', lookback: 'a while' } }] }, '`streams[0].incremental.lookback`'],
    ['sorted on a child stream', { streams: [orders, { table: 'lines', path: '/o/{id}', parent: 'orders', incremental: { cursor: 'u', sorted: 'asc' } }] }, '`streams[1].incremental.sorted`'],
    ['a param that is an object', { streams: [{ ...orders, params: { filter: { a: 1 } } }] }, '`streams[0].params.filter`'],
    ['an unknown column type', { streams: [{ ...orders, columns: { total: 'MONEY' } }] }, 'streams[0].columns.total'],
  ])('refuses %s, naming the option', (_name, over, option) => {
    expect(build(over as Partial<RestOptions>)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(option) }))
  })

  it('declares each stream as a table with its key, types and mode', async () => {
    const source = rest({
      baseUrl: BASE,
      streams: [
        { ...orders, columns: { total: 'DECIMAL(12,2)' } },
        { table: 'lines', path: '/orders/{id}/lines', parent: 'orders', mode: 'append' },
      ],
    })
    expect(await source.tables!({ configuration: {} })).toEqual([
      { table: 'orders', primaryKey: ['id'], columns: { total: 'DECIMAL(12,2)' } },
      { table: 'lines', mode: 'append' },
    ])
    expect(source.id).toBe('rest:api.example.com')
  })
})
