import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { memory, sqlite, sync, type ColumnType, type State } from '../../../src/index.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { pageNumber } from '../../../src/source/rest/page-number-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'
import { select, type SelectOptions } from '../../../src/stage/select.js'
import { faultApi, type FaultApi } from '../../support/fault-api.js'
import { normRows } from '../../support/sources.js'
import { destRows, expectSucceeded, ordersStream, requests, syncInto } from './rest-fixtures.js'

let api: FaultApi
afterEach(() => api?.close())
const dir = mkdtempSync(join(tmpdir(), 'sluice-rest-select-'))
let files = 0

/** Every field the fault API serves for an order. */
const ORDER_COLUMNS: Record<string, ColumnType> = { id: 'LONG', updated_at: 'UTC_DATETIME', email: 'STRING', name: 'STRING', amount: 'DOUBLE', active: 'BOOLEAN', tags: 'JSON' }

const lines: RestStream = {
  table: 'lines', path: '/offset/orders/{id}/lines', parent: 'orders', parentFields: { order_id: 'id' },
  records: 'data', primaryKey: ['line_id'], paginate: offset({ limit: 2, stop: { shortPage: true } }),
}
const ordersByPage: RestStream = { table: 'orders_by_page', path: '/page/orders', records: 'data', primaryKey: ['id'], paginate: pageNumber({ size: 5, sizeParam: 'per_page' }) }
const incremental = { cursor: 'updated_at', param: 'updated_since', sorted: 'asc' } as const

const withSelect = (options: SelectOptions) => ({ stages: [select(options)] })
const columnsOf = async (sink: ReturnType<typeof sqlite>, table: string) =>
  (await sink.describe!()).find((t) => t.table === table)!.columns.map((c) => c.source).filter((c) => !c.startsWith('_sluice_')).sort()

describe('rest() under select(): blocked streams', () => {
  it.each<[string, SelectOptions, string]>([
    ['exclude globs', { exclude: ['orders_*', 'lines'] }, '/offset/orders'],
    ['include', { include: ['orders_by_page'] }, '/page/orders'],
  ])('a blocked stream is never requested (%s)', async (_, options, only) => {
    api = await faultApi({ rows: 12 })
    const sink = memory()
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream(), ordersByPage, lines] })
    const report = await syncInto(source, sink, withSelect(options))
    expectSucceeded(report)
    expect(requests(api).length).toBeGreaterThan(0)
    expect(new Set(requests(api).map((r) => r.path))).toEqual(new Set([only]))
    const table = only === '/page/orders' ? 'orders_by_page' : 'orders'
    expect(Object.keys(report.tables)).toEqual([table])
    expect(destRows(sink, table)).toEqual(api.rows())
  })

  it('a blocked parent of a selected child is read to drive it, writes no rows, and keeps its cursor so unblocking it misses nothing', async () => {
    api = await faultApi({ rows: 12 })
    const sink = memory()
    const states: State[] = []
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ paginate: offset({ limit: 5 }), incremental }), lines] })
    const report = await syncInto(source, sink, { ...withSelect({ exclude: ['orders'] }), on: { checkpoint: (e) => void states.push(e.state) } })
    expectSucceeded(report)
    // Paged by the cursor, each page from the last one's updated_at: 1–5, 5–9, 9–12, 12, then the empty page.
    expect(requests(api).filter((r) => r.path === '/offset/orders')).toHaveLength(5)
    expect(new Set(requests(api, '/offset/orders/').map((r) => r.path)).size).toBe(12)
    expect(Object.keys(report.tables)).toEqual(['lines'])
    expect(sink.rows('orders')).toEqual([])
    expect(destRows(sink, 'lines', 'line_id')).toHaveLength(api.rows().reduce((n, r) => n + (Number(r['id']) % 3) + 1, 0))
    expect(destRows(sink, 'lines', 'line_id')[0]).toEqual({ line_id: 10, sku: 'sku-0', qty: 1, order_id: 1 })
    // The parent's cursor did not move (it wrote nothing), so the unblocked parent reads everything.
    const saved = (states.at(-1)?.['streams'] ?? {}) as Record<string, unknown>
    expect(saved['orders']).toBeUndefined()
    const unblocked = await syncInto(source, sink)
    expectSucceeded(unblocked)
    expect(destRows(sink)).toEqual(api.rows())
  })

  it('a run that only drove the child is started over, not resumed, once the parent is unblocked', async () => {
    api = await faultApi({ rows: 12 })
    const sink = memory()
    const states: State[] = []
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ paginate: offset({ limit: 5 }) }), lines] })
    api.faultWhen((r) => r.path === '/offset/orders' && r.query['offset'] === '5', { kind: 'status', status: 500 })
    const failed = await syncInto(source, sink, { ...withSelect({ exclude: ['orders'] }), on: { checkpoint: (e) => void states.push(e.state) } })
    expect(failed.status).toBe('failed')
    expect(states.at(-1)).toMatchObject({ streams: { orders: { run: { drives: true, position: { page: { query: { offset: 5, limit: 5 } } } } } } })
    api.resetLog()
    expectSucceeded(await syncInto(source, sink))
    expect(requests(api)[0]?.query).toEqual({ offset: '0', limit: '5' })
    expect(destRows(sink)).toEqual(api.rows()) // orders 1–5, read but not written before, are written now
  })

  it('a blocked parent with fields asks only for what its child reads', async () => {
    api = await faultApi({ rows: 6 })
    const parent = ordersStream({ columns: ORDER_COLUMNS, fields: { param: 'fields' } })
    const report = await syncInto(rest({ baseUrl: api.url, retry: false, streams: [parent, lines] }), memory(), withSelect({ exclude: ['orders'] }))
    expectSucceeded(report)
    expect(requests(api).filter((r) => r.path === '/offset/orders').map((r) => r.query['fields'])).toEqual(['id', 'id'])
    expect(requests(api, '/offset/orders/').every((r) => r.query['fields'] === undefined)).toBe(true)
  })

  it('a child with fields asks for its own selected fields, never the columns it copies from the parent', async () => {
    api = await faultApi({ rows: 4 })
    const child: RestStream = { ...lines, columns: { line_id: 'LONG', sku: 'STRING', qty: 'INT', order_id: 'LONG' }, fields: { param: 'fields' } }
    const report = await syncInto(rest({ baseUrl: api.url, retry: false, streams: [ordersStream(), child] }), memory(), withSelect({ exclude: ['lines.sku'] }))
    expectSucceeded(report)
    expect(new Set(requests(api, '/offset/orders/').map((r) => r.query['fields']))).toEqual(new Set(['line_id,qty']))
    expect(requests(api).filter((r) => r.path === '/offset/orders').every((r) => r.query['fields'] === undefined)).toBe(true)
  })
})

describe('rest() under select(): blocked columns', () => {
  it('never reach the destination; the key is kept and a blocked cursor still moves the state (SQLite)', async () => {
    api = await faultApi({ rows: 12, order: 'cursor' })
    const sink = sqlite({ path: join(dir, `cols-${files++}.db`) })
    const states: State[] = []
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ incremental })] })
    const stages = withSelect({ exclude: ['*.email', 'orders.ta*', 'orders.updated_at'] })
    expectSucceeded(await sync({ source, destination: sink, ...stages, on: { checkpoint: (e) => void states.push(e.state) } }))
    expect(await columnsOf(sink, 'orders')).toEqual(['active', 'amount', 'id', 'name'])
    const newest = api.rows().map((r) => String(r['updated_at'])).sort().at(-1)
    expect(states.at(-1)).toMatchObject({ streams: { orders: { cursor: newest } } })

    api.update([3])
    const second = await sync({ source, destination: sink, ...stages })
    expectSucceeded(second)
    expect(second.tables['orders']?.upserts).toBe(1)
    const rows = normRows(await sink.read!({ table: 'orders' }), 'id')
    expect(rows).toHaveLength(12)
    expect(rows.find((r) => r['id'] === 3)).toMatchObject({ name: api.rows()[2]!['name'] })
    expect(Object.keys(rows[0]!).filter((c) => !c.startsWith('_sluice_')).sort()).toEqual(['active', 'amount', 'id', 'name'])
  })

  it('are dropped by the source itself, before batches are built (not only by the select stage downstream)', async () => {
    api = await faultApi({ rows: 12 })
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ incremental }), lines] })
    const { selection } = select({ exclude: ['*.email', 'orders.ta*', 'orders.updated_at', 'lines.s?u'] })
    const names = new Map<string, Set<string>>()
    for await (const message of source.read({ state: undefined, signal: new AbortController().signal, configuration: {}, recordError: () => {}, selection })) {
      if (message.kind !== 'records') continue
      const seen = names.get(message.table) ?? new Set()
      for (const name of message.batch.names) seen.add(name)
      names.set(message.table, seen)
    }
    expect([...names.get('orders')!].sort()).toEqual(['active', 'amount', 'id', 'name'])
    expect([...names.get('lines')!].sort()).toEqual(['line_id', 'order_id', 'qty'])
  })

  it('refuses to exclude the primary key (CONFIG_INVALID), as select() does for every source', async () => {
    api = await faultApi({ rows: 3 })
    const report = await syncInto(rest({ baseUrl: api.url, retry: false, streams: [ordersStream()] }), memory(), withSelect({ exclude: ['orders.id'] }))
    expect(report.error).toMatchObject({ code: 'CONFIG_INVALID', context: { table: 'orders', columns: ['id'] } })
  })
})

describe('rest() fields parameter', () => {
  it('sends exactly the selected names, plus the key and the cursor, on every page', async () => {
    api = await faultApi({ rows: 25 })
    const sink = memory()
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ columns: ORDER_COLUMNS, fields: { param: 'fields' }, incremental })] })
    expectSucceeded(await syncInto(source, sink, withSelect({ exclude: ['*.email', 'orders.ta*', 'orders.updated_at'] })))
    const sent = requests(api).map((r) => r.query['fields'])
    expect(sent.length).toBeGreaterThan(2)
    expect(new Set(sent)).toEqual(new Set(['id,updated_at,name,amount,active']))
    // The API ignores `fields` here: the blocked columns it sends anyway are still dropped.
    expect(Object.keys(destRows(sink)[0]!).sort()).toEqual(['active', 'amount', 'id', 'name'])
  })

  it('takes a separator and follows include lists', async () => {
    api = await faultApi({ rows: 5 })
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ columns: ORDER_COLUMNS, fields: { param: 'select', separator: ' ' } })] })
    expectSucceeded(await syncInto(source, memory(), withSelect({ include: ['orders.id', 'orders.na*', 'orders.amount'] })))
    expect(new Set(requests(api).map((r) => r.query['select']))).toEqual(new Set(['id name amount']))
  })

  it('is not sent when the selection narrows no column of the stream, or without a selection', async () => {
    api = await faultApi({ rows: 5 })
    const source = rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ columns: ORDER_COLUMNS, fields: { param: 'fields' } }), lines] })
    expectSucceeded(await syncInto(source, memory(), withSelect({ exclude: ['lines', 'lines.sku'] })))
    expectSucceeded(await syncInto(source, memory()))
    expect(requests(api).length).toBeGreaterThan(1)
    expect(requests(api).every((r) => !('fields' in r.query))).toBe(true)
  })

  it('is refused at build time without columns, or on a parameter the paginator, cursor or params own', () => {
    const build = (over: Partial<RestStream>) => () => rest({ baseUrl: 'http://127.0.0.1:1', streams: [ordersStream(over)] })
    expect(build({ fields: { param: 'fields' } })).toThrow(/streams\[0\]\.fields.*streams\[0\]\.columns/)
    expect(build({ columns: ORDER_COLUMNS, fields: { param: 'limit' } })).toThrow(/streams\[0\]\.fields\.param/)
    expect(build({ columns: ORDER_COLUMNS, incremental, fields: { param: 'updated_since' } })).toThrow(/streams\[0\]\.fields\.param/)
    expect(build({ columns: ORDER_COLUMNS, params: { fields: 'id' }, fields: { param: 'fields' } })).toThrow(/not also set in streams\[0\]\.params/)
    expect(build({ columns: ORDER_COLUMNS, fields: { param: 'fields', separator: '' } })).toThrow(/streams\[0\]\.fields\.separator/)
    expect(build({ columns: ORDER_COLUMNS, fields: { param: 'fields', sep: ',' } as never })).toThrow(/streams\[0\]\.fields\.sep/)
  })
})
