// A sluice connector over a REST API: `rest()` pages through /orders with a cursor token and
// reads incrementally by `updated_at`, so a second run asks only for what changed. Run it with
// `npx sluice debug` (see README.md).
//
// Adapt it to your API: the endpoint path, where the records are in the body (`records`), the
// paginator (offset, pageNumber, cursor, linkHeader, nextUrl) and the cursor field.
import { configuredSource, configurationInteger, checkConfiguration, cursor, rest, type Configuration, type Source } from 'sluice'
import { withMockApi } from './mock-api.js'

/** Keys configuration.json must hold (all values are strings). */
const REQUIRED = ['base_url', 'token']

/** The REST source for one configuration: built when a sync starts, since the URL and token live in configuration.json. */
function ordersApi(configuration: Configuration): Source {
  checkConfiguration(configuration, REQUIRED)
  const pageSize = configurationInteger(configuration, 'page_size', 100)
  return rest({
    baseUrl: configuration.base_url!,
    // Sent as `Authorization: Bearer …`; sluice keeps it out of logs, errors and the saved state.
    auth: { bearer: configuration.token! },
    streams: [
      {
        table: 'orders',
        path: '/orders',
        records: 'data',
        primaryKey: ['id'],
        columns: { id: 'LONG', updated_at: 'UTC_DATETIME' },
        // The body's `meta.next_cursor` is sent back as `?cursor=`; a missing token ends the stream.
        // `keyset: true` says the token continues after the last order returned (not a page number or
        // offset), so orders changing during a sync can't shift one past the pages. If your API's token
        // counts rows, drop it and add `sorted: 'asc'` below with the API sorting by updated_at
        // (see sluice's docs/incremental-paging.md).
        paginate: cursor({ next: 'meta.next_cursor', param: 'cursor', limit: pageSize, keyset: true }),
        // `?updated_since=` gets the largest `updated_at` of the last sync (a closed bound: rows at
        // that instant are read again and de-duplicated by key); `lookback` widens it for late writes.
        incremental: {
          cursor: 'updated_at',
          param: 'updated_since',
          ...(configuration.start_date ? { initial: configuration.start_date } : {}),
          ...(configuration.lookback ? { lookback: configuration.lookback } : {}),
        },
      },
    ],
  })
}

// Built from configuration.json when a sync starts; `id` keys the saved state and the sync history.
// While base_url is "mock" (as scaffolded), the sync runs against the local API in mock-api.ts.
export default configuredSource('__CONNECTOR_ID__', withMockApi('base_url', ordersApi))
