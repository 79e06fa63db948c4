// A sluice connector over a GraphQL API: `graphql()` pages through a Relay connection
// (`first`/`after` ← `pageInfo.endCursor`) and reads incrementally through the `$updatedSince`
// variable, so a second run asks only for what changed. Run it with `npx sluice debug` (see README.md).
//
// Adapt it to your API: the query (keep `$first`, `$after` and the bound variable), the
// `connection` path to it in the response, and the cursor field of the nodes.
import { configuredSource, configurationInteger, checkConfiguration, graphql, type Configuration, type Source } from 'sluice'
import { withMockApi } from './mock-api.js'

/** Keys configuration.json must hold (all values are strings). */
const REQUIRED = ['endpoint', 'token']

// Nodes come sorted by updatedAt, so the saved bound advances after every page: a stopped sync
// resumes from the last page read instead of starting the stream over.
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
    // instant are read again, harmless upserts), or start_date on the first sync.
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
