import { afterEach, describe, expect, it } from 'vitest'
import { memory, type State } from '../../../src/index.js'
import type { IncrementalOptions } from '../../../src/cursor/incremental-options.js'
import { cursor } from '../../../src/source/rest/cursor-paginator.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'
import { faultApi, isoMicros, type FaultApi, type FaultApiOptions } from '../../support/fault-api.js'
import { destRows, expectSameAsSource, expectSucceeded, ordersStream, requests, syncInto } from './rest-fixtures.js'

const T = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString() // row id i has T(i - 1) when tie = 1
let api: FaultApi
afterEach(() => api?.close())

async function setup(options: FaultApiOptions, incremental: Partial<IncrementalOptions> = {}, stream: Partial<RestStream> = {}) {
  api = await faultApi(options)
  const sink = memory()
  const states: State[] = []
  const source = rest({
    baseUrl: api.url,
    retry: false,
    streams: [ordersStream({ incremental: { cursor: 'updated_at', param: 'updated_since', ...incremental }, ...stream })],
  })
  const run = async () => {
    const report = await syncInto(source, sink, { on: { checkpoint: (e) => void states.push(e.state) } })
    return report
  }
  return { sink, states, run, lastState: () => states.at(-1) as { streams: Record<string, Record<string, unknown>> } }
}

/** The fault API's cursor endpoint: keyset tokens (rows changing meanwhile can't shift the pages), rows in id order. */
const keysetStream: Partial<RestStream> = { path: '/cursor/orders', paginate: cursor({ next: 'meta.next_cursor', limit: 10, keyset: true }) }

const upserts = (report: { tables: Record<string, { upserts: number }> }) => report.tables['orders']?.upserts ?? 0

describe('incremental sync', () => {
  it('first sync reads from initial; the next reads only rows changed since, from the saved cursor', async () => {
    const { sink, run, lastState } = await setup({ rows: 30, order: 'cursor' }, { initial: T(5), sorted: 'asc' })
    const first = await run()
    expectSucceeded(first)
    expect(upserts(first)).toBe(25) // ids 6…30
    expect(requests(api)[0]?.query['updated_since']).toBe(T(5))
    expect(lastState().streams['orders']).toEqual({ cursor: T(29), keys: ['30'] })

    api.resetLog()
    api.update([7, 12])
    api.insert(3)
    const second = await run()
    expectSucceeded(second)
    expect(upserts(second)).toBe(5) // 2 changed + 3 new; row 30 at the closed bound is not written again
    expect(requests(api)[0]?.query['updated_since']).toBe(T(29))
    const all = api.rows().filter((r) => Number(r['id']) > 5)
    expect(destRows(sink)).toEqual(all)
  })

  it('rows tied at the cursor value across a page boundary: resumed, none lost and none written twice', async () => {
    // 4 rows per timestamp, pages of 10: ids 9–12 share a value and straddle pages 1 and 2.
    const { sink, run, lastState } = await setup({ rows: 30, tie: 4, order: 'cursor' }, { sorted: 'asc' })
    api.fault(2, { kind: 'status', status: 500 })
    const failed = await run()
    expect(failed.status).toBe('failed')
    expect(upserts(failed)).toBe(10)
    expect(lastState().streams['orders']).toEqual({ cursor: T(2), keys: ['9', '10'] }) // sorted: advanced after page 1

    api.resetLog()
    const resumed = await run()
    expectSucceeded(resumed)
    expect(requests(api)[0]?.query['updated_since']).toBe(T(2)) // closed bound: re-reads 9 and 10 …
    expect(upserts(resumed)).toBe(20) // … but writes only 11–30
    expectSameAsSource(sink, api)

    const again = await run()
    expect(upserts(again)).toBe(0) // the last tie group (29, 30) comes back and is skipped
  })

  it('an unsorted API: the cursor moves only when the stream completes, and a resumed run loses nothing', async () => {
    // Keyset tokens over rows in id order, the stream not declared sorted.
    const { sink, run, lastState } = await setup({ rows: 30 }, {}, keysetStream)
    api.fault(3, { kind: 'status', status: 503 })
    const failed = await run()
    expect(failed.status).toBe('failed')
    const mid = lastState().streams['orders']!
    expect(mid['cursor']).toBeUndefined() // not advanced past rows an unsorted API may still return
    expect(mid['run']).toMatchObject({ position: { page: { query: { cursor: expect.any(String), limit: 10 } }, pages: 2, received: 20 } })
    expect(typeof (mid['run'] as { max?: unknown }).max).toBe('string')
    const token = (mid['run'] as { position: { page: { query: { cursor: string } } } }).position.page.query.cursor

    api.resetLog()
    const resumed = await run()
    expectSucceeded(resumed)
    expect(requests(api)[0]?.query['cursor']).toBe(token) // resumes at the page after the last checkpoint
    expect(upserts(failed) + upserts(resumed)).toBe(30)
    expectSameAsSource(sink, api)
    expect(lastState().streams['orders']).toEqual({ cursor: T(29), keys: ['30'] })
  })

  it('lookback re-reads the overlap window as idempotent upserts', async () => {
    const { sink, run } = await setup({ rows: 30, order: 'cursor' }, { lookback: '10s', sorted: 'asc' })
    expectSucceeded(await run())
    api.resetLog()
    api.insert(1)
    const second = await run()
    expect(requests(api)[0]?.query['updated_since']).toBe(T(19))
    expect(upserts(second)).toBe(11) // ids 20–29 again (30 sits at the saved value and is skipped) + 1 new
    expectSameAsSource(sink, api)
  })

  it('end bounds a backfill: rows at or past end are not written', async () => {
    const { sink, run, lastState } = await setup({ rows: 30 }, { initial: T(0), end: T(10) }, keysetStream)
    expectSucceeded(await run())
    expect(destRows(sink).map((r) => r['id'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(lastState().streams['orders']).toEqual({ cursor: T(9), keys: ['10'] })
  })

  it('end with endParam is sent to the API, and a sorted stream stops paginating past it', async () => {
    const { sink, run } = await setup({ rows: 60, order: 'cursor' }, { end: T(15), endParam: 'updated_before', sorted: 'asc' })
    expectSucceeded(await run())
    expect(requests(api)[0]?.query['updated_before']).toBe(T(15))
    expect(requests(api)).toHaveLength(2) // page 2 holds T(15): nothing after it is wanted
    expect(destRows(sink)).toHaveLength(15)
  })

  it.each([
    ['fail', 'failed', 29],
    ['include', 'succeeded', 30],
    ['exclude', 'succeeded', 29],
  ] as const)('a row without a cursor value under onMissing %s', async (onMissing, status, written) => {
    const { sink, run, lastState } = await setup({ rows: 30 }, { onMissing }, keysetStream)
    api.dropCursor([5])
    const report = await run()
    expect(report.status).toBe(status)
    if (onMissing === 'fail') {
      expect(report.error).toMatchObject({ code: 'CURSOR_MISSING', context: { table: 'orders', key: { id: 5 } } })
      return
    }
    expect(destRows(sink)).toHaveLength(written)
    expect(lastState().streams['orders']).toEqual({ cursor: T(29), keys: ['30'] })
    const errors = await sink.readErrors!()
    expect(errors).toEqual(onMissing === 'exclude' ? [expect.objectContaining({ code: 'CURSOR_MISSING', table: 'orders', record: { id: 5 } })] : [])
  })

  it('compares timestamps with offsets and microseconds as instants', async () => {
    const { sink, run, lastState } = await setup({ rows: 12, format: 'micro', order: 'cursor' }, { sorted: 'asc' }, { paginate: offset({ limit: 5 }) })
    expectSucceeded(await run())
    const saved = lastState().streams['orders']!['cursor'] as string
    expect(saved).toMatch(/\.\d{6}\+02:00$/)
    api.resetLog()
    api.update([3])
    const second = await run()
    expect(upserts(second)).toBe(1)
    expect(requests(api)[0]?.query['updated_since']).toBe(saved)
    // The destination stores UTC_DATETIME in UTC: compare instants, to the microsecond.
    const instant = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, updated_at: isoMicros(String(r['updated_at'])) }))
    expect(instant(destRows(sink))).toEqual(instant(api.rows()))
  })

  it('rows updated while paginating: the next sync brings the destination level with the source', async () => {
    const { sink, run } = await setup({ rows: 40, order: 'cursor' }, {}, { path: '/cursor/orders', paginate: cursor({ next: 'meta.next_cursor', limit: 10, keyset: true }) })
    api.fault(2, { kind: 'run', fn: () => api.update([3, 25, 33]) }) // one row already read, two not yet
    api.fault(3, { kind: 'run', fn: () => api.insert(2) })
    expectSucceeded(await run())
    expectSucceeded(await run())
    expectSameAsSource(sink, api)
  })
})
