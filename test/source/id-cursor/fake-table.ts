import { SluiceError, type Row } from '../../../src/index.js'
import type { IdCursorFetchArgs } from '../../../src/source/id-cursor/id-cursor-fetch.js'

/** A fetch call as the fake table saw it. */
export interface Call {
  after: number | string | undefined
  before: number | undefined
  size: number
}

/** Rows `{ id, name, score }` for the given ids, ascending. */
export function rowsFor(ids: readonly number[]): Row[] {
  return [...ids].sort((a, b) => a - b).map((id) => ({ id, name: `row ${id}`, score: id * 2 }))
}

/** Ids lo…hi. */
export function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
}

/** A retryable 500, as the HTTP client would throw it. */
export function http500(what: string): SluiceError {
  return new SluiceError({ code: 'HTTP_STATUS', message: `GET /orders returned 500: ${what}`, retryable: true, context: { status: 500 } })
}

/**
 * An API over `rows` honouring the idCursor fetch contract, with hooks: `fault` may throw for a call,
 * `gate` may delay it. Records every call.
 */
export function fakeTable(rows: readonly Row[], hooks: { fault?: (call: Call, page: Row[]) => void; gate?: (call: Call, signal: AbortSignal) => Promise<void> } = {}) {
  const calls: Call[] = []
  const fetch = async ({ after, before, size, signal }: IdCursorFetchArgs<number>): Promise<Row[]> => {
    const call: Call = { after, before, size }
    calls.push(call)
    await hooks.gate?.(call, signal)
    const page = rows.filter((r) => (r.id as number) > after && (before === undefined || (r.id as number) < before)).slice(0, size)
    hooks.fault?.(call, page)
    return page
  }
  return { fetch, calls }
}
