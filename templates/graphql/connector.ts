// A sluice connector over a GraphQL API: `graphql()` reads a Relay connection page by page and
// incrementally through the `$updatedSince` variable, so a second run asks only for what changed.
// Run it with `npx sluice debug` (see README.md).
//
// Adapt it to your API: the query (keep `$first`, `$after` and the bound variable), the
// `connection` path to it in the response, and the cursor field of the nodes.
import { configuredSource, configurationInteger, checkConfiguration, graphql, type Configuration, type Source } from 'sluice'
import { withMockApi } from './mock-api.js'

/** Keys configuration.json must hold (all values are strings). */
const REQUIRED = ['endpoint', 'token']

// `orderBy: UPDATED_AT` returns the nodes ascending by updatedAt (then id), which `sorted: true`
// below declares: sluice pages by that cursor (each page asks again from the last node's
// updatedAt), so orders changing, arriving or deleted while it reads can't make it skip one, and
// a stopped sync resumes from the last page read. Your API must sort the same way.
const QUERY = `query Orders($first: Int, $after: String, $updatedSince: String) {
  orders(first: $first, after: $after, updatedSince: $updatedSince, orderBy: UPDATED_AT) {
    nodes { id name total updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}`

/** The GraphQL source for one configuration: built when a sync starts, since the endpoint and token live in configuration.json. */
function ordersGraph(configuration: Configuration): Source {
  checkConfiguration(configuration, REQUIRED)
  const pageSize = configurationInteger(configuration, 'page_size', 100)
  return graphql({
    endpoint: configuration.endpoint!,
    // Sent as `Authorization: Bearer …`; sluice keeps it out of logs, errors and the saved state.
    auth: { bearer: configuration.token! },
    query: QUERY,
    connection: 'data.orders',
    pageSize,
    table: 'orders',
    primaryKey: ['id'],
    columns: { id: 'LONG', updatedAt: 'UTC_DATETIME' },
    // `$updatedSince` gets the largest updatedAt read so far (a closed bound: the nodes at that
    // instant come back and are skipped by id), or start_date on the first sync.
    // If your API's endCursor continues after the last node returned (a keyset, as Shopify's and
    // GitHub's do), add `keyset: true` next to pageSize: sluice then follows endCursor, and more
    // orders than a page holds may share one updatedAt. Never for cursors that count positions.
    incremental: {
      cursor: 'updatedAt',
      variable: 'updatedSince',
      sorted: true,
      ...(configuration.start_date ? { initial: configuration.start_date } : {}),
    },
  })
}

// Built from configuration.json when a sync starts; `id` keys the saved state and the sync history.
// While endpoint is "mock" (as scaffolded), the sync runs against the local API in mock-api.ts.
export default configuredSource('__CONNECTOR_ID__', withMockApi('endpoint', ordersGraph))
