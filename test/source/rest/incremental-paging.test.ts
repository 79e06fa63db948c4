import { describe, expect, it } from 'vitest'
import { cursor } from '../../../src/source/rest/cursor-paginator.js'
import { linkHeader } from '../../../src/source/rest/link-header-paginator.js'
import { nextUrl } from '../../../src/source/rest/next-url-paginator.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { pageNumber } from '../../../src/source/rest/page-number-paginator.js'
import type { Paginator } from '../../../src/source/rest/paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'

const since = { cursor: 'updated_at', param: 'updated_since' } as const
const sorted = { ...since, sorted: 'asc' } as const
const orders = (over: Partial<RestStream>): RestStream => ({ table: 'orders', path: '/orders', records: 'data', primaryKey: ['id'], incremental: since, ...over })
const build = (...streams: RestStream[]) => () => rest({ baseUrl: 'https://api.example.com', streams })
/** A user's paginator that doesn't say what its requests continue from. */
const custom: Paginator = { kind: 'afterToken', first: () => ({}), next: () => undefined }

/** Asserts CONFIG_INVALID whose message starts with the option in backquotes and contains every `says`. */
function refused(fn: () => unknown, option: string, ...says: (string | RegExp)[]): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(error).toMatchObject({ code: 'CONFIG_INVALID', context: { option } })
  const message = (error as Error).message
  expect(message.startsWith(`\`${option}\``)).toBe(true)
  for (const s of says) expect(message).toMatch(s)
}

describe('rest() refuses incremental streams that would lose rows changing during a sync', () => {
  it("refuses the README's former example (offset, not sorted), saying how to configure it safely", () => {
    refused(
      build(orders({ paginate: offset({ limit: 1000 }), incremental: { ...since, lookback: '5m' } })),
      'streams[0].paginate',
      'offset pagination, which counts rows',
      /unchanged rows of the incremental stream orders move across page boundaries and are never read/,
      "Set streams[0].incremental.sorted: 'asc'",
      "params: { sort: 'updated_at' }",
      'keyset: true',
    )
  })

  it.each<[string, Paginator, string]>([
    ['pageNumber', pageNumber({ size: 100, sizeParam: 'per_page' }), 'counts pages'],
    ['cursor', cursor({ next: 'meta.next' }), 'next-page tokens may encode a row offset or page number'],
    ['linkHeader', linkHeader(), 'next-page links may encode a row offset or page number'],
    ['nextUrl', nextUrl('next'), 'next-page links may encode a row offset or page number'],
    ['a custom paginator', custom, 'afterToken pagination'],
  ])('refuses %s without sorted or keyset, naming both fixes', (_name, paginate, why) => {
    refused(build(orders({ paginate })), 'streams[0].paginate', why, "sorted: 'asc'", 'keyset: true')
  })

  it('refuses an incremental stream without primaryKey, saying to set it', () => {
    refused(build(orders({ primaryKey: undefined })), 'streams[0].primaryKey', 'incremental stream (orders)', "set primaryKey to the field(s) that identify a row, e.g. ['id']")
    refused(build(orders({ primaryKey: [], paginate: cursor({ next: 'n', keyset: true }) })), 'streams[0].primaryKey')
  })

  it('refuses sorted paging by the cursor without the bound parameter', () => {
    refused(build(orders({ paginate: offset({ limit: 10 }), incremental: { cursor: 'updated_at', sorted: 'asc' } })), 'streams[0].incremental.param', "the API's lower-bound parameter")
  })

  it('refuses sorted pageNumber that would recognise the last page only by asking for one more', () => {
    refused(build(orders({ paginate: pageNumber({ size: 100, sizeParam: 'per_page' }), incremental: sorted })), 'streams[0].paginate.stop', 'stop.shortPage', 'totalPages')
  })

  it('refuses an incremental child stream paged by position (it cannot be sorted)', () => {
    const lines: RestStream = { table: 'lines', path: '/orders/{id}/lines', parent: 'orders', records: 'data', primaryKey: ['line_id'], paginate: offset({ limit: 10 }), incremental: since }
    refused(build(orders({ paginate: cursor({ next: 'n', keyset: true }) }), lines), 'streams[1].paginate', 'incremental child stream (lines)', 'leave paginate out', 'keyset: true')
  })

  it.each(['maxPages', 'total'] as const)('refuses stop.%s on an unsorted keyset stream: the saved cursor would pass rows never read', (rule) => {
    const stop = rule === 'maxPages' ? { maxPages: 10 } : { total: 'meta.total' }
    refused(build(orders({ paginate: cursor({ next: 'n', keyset: true, stop }) })), `streams[0].paginate.stop.${rule}`, 'past rows it never read', "incremental.sorted: 'asc'")
  })

  it('refuses a keyset flag that is not a boolean', () => {
    expect(() => cursor({ next: 'n', keyset: 'yes' as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('`cursor.keyset`') }))
    expect(build(orders({ paginate: { type: 'linkHeader', keyset: 1 as never } }))).toThrow(expect.objectContaining({ message: expect.stringContaining('`streams[0].paginate.keyset`') }))
  })

  it.each<[string, Partial<RestStream>]>([
    ['one request (no paginate)', {}],
    ['sorted offset', { paginate: offset({ limit: 100 }), incremental: sorted }],
    ['sorted pageNumber that knows its last page', { paginate: pageNumber({ size: 100, sizeParam: 'per_page', stop: { shortPage: true } }), incremental: sorted }],
    ['sorted linkHeader', { paginate: linkHeader({ limit: 100 }), incremental: sorted }],
    ['keyset tokens, unsorted', { paginate: cursor({ next: 'meta.next', keyset: true }) }],
    ['keyset links, unsorted, without a param', { paginate: nextUrl({ path: 'next', keyset: true }), incremental: { cursor: 'updated_at' } }],
    ['sorted keyset with maxPages', { paginate: cursor({ next: 'n', keyset: true, stop: { maxPages: 5 } }), incremental: sorted }],
    ['a keyset child stream', {}],
  ])('accepts %s', (name, over) => {
    const streams = name === 'a keyset child stream'
      ? [orders({}), { table: 'lines', path: '/orders/{id}/lines', parent: 'orders', primaryKey: ['line_id'], paginate: cursor({ next: 'n', keyset: true }), incremental: since }]
      : [orders(over)]
    expect(build(...streams)).not.toThrow()
  })

  it('leaves streams that are not incremental as they were', () => {
    expect(build({ table: 'orders', path: '/orders', paginate: offset({ limit: 100 }) })).not.toThrow()
  })
})
