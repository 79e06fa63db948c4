import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memory } from '../../../src/index.js'
import { cursor } from '../../../src/source/rest/cursor-paginator.js'
import { linkHeader } from '../../../src/source/rest/link-header-paginator.js'
import { nextUrl } from '../../../src/source/rest/next-url-paginator.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { pageNumber } from '../../../src/source/rest/page-number-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import { faultApi, type FaultApi } from '../../support/fault-api.js'
import { expectSameAsSource, expectSucceeded, ordersStream, requests, syncInto } from './rest-fixtures.js'

let api: FaultApi
beforeAll(async () => {
  api = await faultApi({ rows: 25 })
})
afterAll(() => api.close())

async function read(stream: Parameters<typeof ordersStream>[0]) {
  api.resetLog()
  const sink = memory()
  const report = await syncInto(rest({ baseUrl: api.url, retry: false, streams: [ordersStream(stream)] }), sink)
  return { report, sink, log: requests(api) }
}

describe('every paginator reads every row exactly once', () => {
  it.each([
    ['offset', { path: '/offset/orders', paginate: offset({ limit: 10 }) }, 4],
    ['pageNumber', { path: '/page/orders', paginate: pageNumber({ size: 10, sizeParam: 'per_page' }) }, 4],
    ['cursor', { path: '/cursor/orders', paginate: cursor({ next: 'meta.next_cursor', param: 'cursor', limit: 10 }) }, 3],
    ['linkHeader', { path: '/link/orders', paginate: linkHeader({ limit: 10, limitParam: 'per_page' }) }, 3],
    ['nextUrl', { path: '/next/orders', paginate: nextUrl({ path: 'next', limit: 10 }) }, 3],
    ['nextUrl (data config)', { path: '/next/orders', paginate: { type: 'nextUrl' as const, path: 'next', limit: 10 } }, 3],
  ])('%s', async (_name, stream, expectedRequests) => {
    const { report, sink, log } = await read(stream)
    expectSucceeded(report)
    expectSameAsSource(sink, api)
    expect(report.rows).toBe(25)
    expect(log).toHaveLength(expectedRequests)
    expect(report.checkpoints).toBe(expectedRequests) // one per page
  })

  it('follows relative next links and Link headers', async () => {
    const relative = await faultApi({ rows: 25, relativeLinks: true })
    try {
      for (const stream of [
        { path: '/link/orders', paginate: linkHeader({ limit: 10, limitParam: 'per_page' }) },
        { path: '/next/orders', paginate: nextUrl({ path: 'next', limit: 10 }) },
      ]) {
        const sink = memory()
        expectSucceeded(await syncInto(rest({ baseUrl: relative.url, streams: [ordersStream(stream)] }), sink))
        expectSameAsSource(sink, relative)
      }
    } finally {
      await relative.close()
    }
  })

  it('keeps a base URL path prefix and the stream params on next links', async () => {
    const { log } = await read({ path: '/next/orders', params: { status: 'open' }, paginate: nextUrl({ path: 'next', limit: 10 }) })
    expect(log.every((r) => r.query['status'] === 'open')).toBe(true)
  })

  it('advances offsets by the records received, so an API that caps the page size loses nothing', async () => {
    const capped = await faultApi({ rows: 25, maxLimit: 7 })
    try {
      const sink = memory()
      expectSucceeded(await syncInto(rest({ baseUrl: capped.url, streams: [ordersStream({ paginate: offset({ limit: 10 }) })] }), sink))
      expectSameAsSource(sink, capped)
      expect(requests(capped).map((r) => r.query['offset'])).toEqual(['0', '7', '14', '21', '25'])
    } finally {
      await capped.close()
    }
  })
})

describe('stop rules', () => {
  it('empty page (the default for offset)', async () => {
    const { log } = await read({ paginate: offset({ limit: 10 }) })
    expect(log.map((r) => r.query['offset'])).toEqual(['0', '10', '20', '25'])
  })

  it('short page saves the final empty request', async () => {
    const { log, report } = await read({ paginate: offset({ limit: 10, stop: { shortPage: true } }) })
    expect(report.rows).toBe(25)
    expect(log).toHaveLength(3)
  })

  it('total reached', async () => {
    const { log, report } = await read({ paginate: offset({ limit: 5, stop: { total: 'meta.total', emptyPage: false } }) })
    expect(report.rows).toBe(25)
    expect(log).toHaveLength(5)
  })

  it('has-more false', async () => {
    const { log, report } = await read({ path: '/page/orders', paginate: pageNumber({ size: 10, sizeParam: 'per_page', stop: { hasMore: 'meta.has_more', emptyPage: false } }) })
    expect(report.rows).toBe(25)
    expect(log).toHaveLength(3)
  })

  it('total pages (page numbers)', async () => {
    const { log } = await read({ path: '/page/orders', paginate: pageNumber({ size: 10, sizeParam: 'per_page', totalPages: 'meta.pages', stop: { emptyPage: false } }) })
    expect(log).toHaveLength(3)
  })

  it('max pages ends the stream early (a bound the user chose)', async () => {
    const { log, report } = await read({ paginate: offset({ limit: 5, stop: { maxPages: 2 } }) })
    expectSucceeded(report)
    expect(report.rows).toBe(10)
    expect(log).toHaveLength(2)
  })

  it('rules combine: the first that fires stops', async () => {
    const { log } = await read({ path: '/cursor/orders', paginate: cursor({ next: 'meta.next_cursor', limit: 5, stop: { maxPages: 2, hasMore: 'meta.has_more' } }) })
    expect(log).toHaveLength(2)
  })
})

describe('configurations that could loop forever', () => {
  it.each([
    ['offset with every rule off', () => offset({ limit: 10, stop: { emptyPage: false } }), '`offset.stop`'],
    ['page numbers with every rule off', () => pageNumber({ stop: { emptyPage: false } }), '`pageNumber.stop`'],
    ['short page without a size', () => pageNumber({ stop: { shortPage: true, emptyPage: false } }), '`pageNumber.size`'],
    ['a zero limit', () => offset({ limit: 0 }), '`offset.limit`'],
    ['a zero maxPages', () => cursor({ next: 'next', stop: { maxPages: 0 } }), '`cursor.stop.maxPages`'],
    ['an unknown stop rule', () => offset({ limit: 1, stop: { whenDone: true } as never }), '`offset.stop.whenDone`'],
    ['a cursor without a path', () => cursor({ next: '' }), '`cursor.next`'],
  ])('refuses %s at build time', (_name, build, option) => {
    expect(build).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(option) }))
  })

  it('names the stream in a paginator given as data', () => {
    expect(() => rest({ baseUrl: 'http://127.0.0.1:1', streams: [ordersStream({ paginate: { type: 'offset', limit: 0 } })] })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('`streams[0].paginate.limit`') }),
    )
  })

  it.each([
    ['a cursor token that repeats', 3, { path: '/cursor/orders', paginate: cursor({ next: 'meta.next_cursor', limit: 10 }) }],
    ['a next URL that repeats', 2, { path: '/next/orders', paginate: nextUrl({ path: 'next', limit: 10 }) }],
    ['a Link header that repeats', 2, { path: '/link/orders', paginate: linkHeader({ limit: 10, limitParam: 'per_page' }) }],
  ])('stops %s with PAGINATION_LOOP', async (_name, at, stream) => {
    api.resetLog()
    api.fault(at, { kind: 'repeatCursor' })
    const report = await syncInto(rest({ baseUrl: api.url, retry: false, streams: [ordersStream(stream)] }))
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'PAGINATION_LOOP', context: { table: 'orders' } })
    expect(requests(api)).toHaveLength(at) // the repeated request is never sent
  })

  it('stops an API that ignores the offset (the same page again) with PAGINATION_LOOP', async () => {
    api.resetLog()
    api.fault(2, { kind: 'ignoreParams' }) // offset 25 is answered with the first page again
    const report = await syncInto(rest({ baseUrl: api.url, retry: false, streams: [ordersStream({ paginate: offset({ limit: 100 }) })] }))
    expect(report.error).toMatchObject({ code: 'PAGINATION_LOOP', message: expect.stringContaining('page 2 repeats page 1') })
    expect(requests(api)).toHaveLength(2)
  })
})
