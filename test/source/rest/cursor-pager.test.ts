import { describe, expect, it } from 'vitest'
import { parseIncremental } from '../../../src/cursor/incremental-options.js'
import { cursor } from '../../../src/source/rest/cursor-paginator.js'
import { CursorPager } from '../../../src/source/rest/cursor-pager.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import type { Page, PageRequest, Paginator } from '../../../src/source/rest/paginator.js'

const incremental = { ...parseIncremental({ cursor: 'at', param: 'since', sorted: 'asc', type: 'number' }, 'incremental'), param: 'since' }
const pager = (paginator: Paginator = offset({ limit: 4 }), from?: number) =>
  new CursorPager({ table: 'orders', incremental, paginator, path: '/orders', from, keyOf: (r) => String((r as { id: number }).id) })
/** Rows `[id, at]`. */
const page = (...rows: [number, number][]): Page => ({ data: {}, headers: {}, records: rows.map(([id, at]) => ({ id, at })), url: 'http://x/orders', number: 1, received: rows.length })
const more: PageRequest = { query: { more: 1 } } // what the paginator would propose: there are more pages
const ask = (p: CursorPager, records: Page) => p.next({ request: {}, page: records, proposed: more })
/** The page the paginator (or a stop rule) says is the last. */
const askLast = (p: CursorPager, records: Page) => p.next({ request: {}, page: records, proposed: undefined })

describe('CursorPager: a sorted incremental stream paged by its cursor', () => {
  it('asks for the first page again from the last row’s value instead of moving an offset', () => {
    const p = pager()
    expect(ask(p, page([1, 10], [2, 11], [3, 12], [4, 13]))).toEqual({ request: { query: { offset: 0, limit: 4, since: 13 } }, fresh: true, restarted: false })
    expect(ask(p, page([4, 13], [5, 14], [6, 14], [7, 15]))).toEqual({ request: { query: { offset: 0, limit: 4, since: 15 } }, fresh: true, restarted: false })
  })

  it('ends with the query whose result ended (the paginator or a stop rule proposes nothing)', () => {
    expect(askLast(pager(), page([1, 10], [2, 11]))).toBeUndefined()
  })

  it('steps by offset through a page all at one value, one row of overlap, and goes on when that row is still first', () => {
    const p = pager(offset({ limit: 4 }), 20)
    expect(ask(p, page([1, 20], [2, 20], [3, 20], [4, 20]))).toEqual({ request: { query: { offset: 3, limit: 4, since: 20 } }, fresh: false, restarted: false })
    expect(ask(p, page([4, 20], [5, 20], [6, 20], [7, 20]))).toEqual({ request: { query: { offset: 6, limit: 4, since: 20 } }, fresh: false, restarted: false })
    expect(ask(p, page([7, 20], [8, 20], [9, 21]))).toEqual({ request: { query: { offset: 0, limit: 4, since: 21 } }, fresh: true, restarted: false })
  })

  it('stops when the page after the overlap holds nothing new', () => {
    const p = pager(offset({ limit: 4 }), 20)
    ask(p, page([1, 20], [2, 20], [3, 20], [4, 20]))
    expect(ask(p, page([4, 20]))).toBeUndefined()
  })

  it('when rows before the last one read left, looks for it a little back, then a page back, then reads the value again', () => {
    const p = pager(offset({ limit: 4 }), 20)
    ask(p, page([1, 20], [2, 20], [3, 20], [4, 20])) // anchor 4 expected at offset 3
    // Offset 3 starts with 6: rows 2 and 3 changed. Look 1 row back (a sixteenth of 4, at least 1) …
    expect(ask(p, page([6, 20], [7, 20], [8, 20], [9, 20]))).toEqual({ request: { query: { offset: 2, limit: 4, since: 20 } }, fresh: true, restarted: true })
    // … not there either: a whole page back …
    expect(ask(p, page([5, 20], [6, 20], [7, 20], [8, 20]))).toEqual({ request: { query: { offset: 0, limit: 4, since: 20 } }, fresh: true, restarted: true })
    // … found at index 1: the rows after it are new, the next page starts at the last of them.
    expect(ask(p, page([1, 20], [4, 20], [5, 20], [6, 20]))).toEqual({ request: { query: { offset: 3, limit: 4, since: 20 } }, fresh: false, restarted: false })
  })

  it('reads the value again from its first row when the last row read changed itself, and gives up with CURSOR_TIES after 20 times', () => {
    const p = pager(offset({ limit: 4 }), 20)
    ask(p, page([1, 20], [2, 20], [3, 20], [4, 20]))
    const lost = page([8, 20], [9, 20], [10, 20], [11, 20]) // never holds the anchor: an API whose order of ties changes
    for (let i = 0; i < 20; i++) {
      ask(p, lost)
      ask(p, lost)
      expect(ask(p, lost)).toEqual({ request: { query: { offset: 0, limit: 4, since: 20 } }, fresh: true, restarted: true })
      ask(p, page([1, 20], [2, 20], [3, 20], [4, 20]))
    }
    ask(p, lost)
    ask(p, lost)
    expect(() => ask(p, lost)).toThrow(expect.objectContaining({ code: 'CURSOR_TIES', message: expect.stringMatching(/at = 20 moved between requests 20 times.*sort by at then a unique key/) }))
  })

  it('looks for rows that moved even on the page that ends the query', () => {
    const p = pager(offset({ limit: 4 }), 20)
    ask(p, page([1, 20], [2, 20], [3, 20], [4, 20]))
    expect(askLast(p, page([6, 20]))).toMatchObject({ restarted: true })
  })

  it('fails with CURSOR_TIES on a page all at one value when the paginator can’t be stepped by row', () => {
    const p = pager(cursor({ next: 'next', limit: 4 }), 20)
    expect(() => ask(p, page([1, 20], [2, 20], [3, 20], [4, 20]))).toThrow(
      expect.objectContaining({ code: 'CURSOR_TIES', context: expect.objectContaining({ value: 20, paginator: 'cursor' }), message: expect.stringMatching(/4 rows has at = 20.*larger pages.*offset pagination.*keyset: true/) }),
    )
  })

  it('fails with CURSOR_UNSORTED when a page ends below the bound it asked for (the API ignores the parameter)', () => {
    const p = pager(offset({ limit: 4 }), 20)
    expect(() => ask(p, page([1, 5], [2, 6]))).toThrow(expect.objectContaining({ code: 'CURSOR_UNSORTED', message: expect.stringContaining("incremental.param 'since'") }))
  })
})
