/**
 * The incremental stream configurations the docs present as safe (README, docs/incremental-paging.md, the rest
 * template, TSDoc examples), one table each, over the paths of test/support/moving-api.ts. Shared by
 * test/source/rest/moving-api.test.ts and the SIGKILL child test/support/moving-child.ts.
 */
// Direct module imports rather than the barrel, which also loads Arrow: the child pays startup at every kill.
import type { RestStream } from '../../src/source/rest/rest-options.js'

export const PAGE = 500
const since = { cursor: 'updated_at', param: 'updated_since' } as const
const sorted = { ...since, sorted: 'asc' } as const
const byCursor = { sort: 'updated_at' } // the API's parameter that orders rows by updated_at, then id

/** Table → the stream's configuration (the table name is the key). */
export const CONFIGS: Readonly<Record<string, Omit<RestStream, 'table'>>> = {
  // README's example: offset pages over rows sorted by the cursor, with a lookback.
  offset_sorted: { path: '/offset/orders', params: byCursor, paginate: { type: 'offset', limit: PAGE }, incremental: { ...sorted, lookback: '5m' } },
  page_sorted: { path: '/page/orders', params: byCursor, paginate: { type: 'pageNumber', size: PAGE, sizeParam: 'per_page', stop: { shortPage: true } }, incremental: sorted },
  // Tokens that encode an offset: safe only because sorted makes sluice page by the cursor.
  cursor_sorted: { path: '/cursor-offset/orders', params: byCursor, paginate: { type: 'cursor', next: 'meta.next_cursor', limit: PAGE }, incremental: sorted },
  // The rest template: keyset tokens over rows in id order (not sorted by the cursor).
  cursor_keyset: { path: '/cursor/orders', paginate: { type: 'cursor', next: 'meta.next_cursor', param: 'cursor', limit: PAGE, keyset: true }, incremental: since },
  cursor_keyset_sorted: { path: '/cursor/orders', params: byCursor, paginate: { type: 'cursor', next: 'meta.next_cursor', limit: PAGE, keyset: true }, incremental: sorted },
  link_sorted: { path: '/link/orders', params: byCursor, paginate: { type: 'linkHeader', limit: PAGE, limitParam: 'per_page' }, incremental: sorted },
  link_keyset: { path: '/link-keyset/orders', paginate: { type: 'linkHeader', limit: PAGE, keyset: true }, incremental: since },
  next_sorted: { path: '/next/orders', params: byCursor, paginate: { type: 'nextUrl', path: 'next', limit: PAGE }, incremental: sorted },
  next_keyset: { path: '/next-keyset/orders', paginate: { type: 'nextUrl', path: 'next', limit: PAGE, keyset: true }, incremental: since },
  // No pagination: the whole result in one response.
  single: { path: '/offset/orders', params: { limit: 1_000_000 }, incremental: since },
}

/** Every configuration as a stream of its own table. */
export function movingStreams(): RestStream[] {
  return Object.entries(CONFIGS).map(([table, config]) => ({ table, records: 'data', primaryKey: ['id'], columns: { id: 'LONG', version: 'INT' }, ...config }))
}
