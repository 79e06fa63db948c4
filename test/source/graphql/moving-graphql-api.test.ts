import { afterEach, describe, expect, it } from 'vitest'
import { memory, sync, type MemorySink, type SyncReport } from '../../../src/index.js'
import { graphql, type GraphqlOptions } from '../../../src/source/graphql/graphql.js'
import { prng } from '../../support/crash-source.js'
import { compareRows, type Churn } from '../../support/moving-api.js'
import { movingGraphqlApi, type MovingGraphqlApi } from '../../support/moving-graphql-api.js'

/**
 * Issue 11 item 3 for graphql(): incremental paging over a GraphQL API whose rows are updated, inserted and
 * hard-deleted before it answers each request. Once the changes stop, one more incremental sync must leave every row
 * the API holds in the destination, in its latest version (rows it deleted may stay: an updatedSince query can't
 * report them). Each configuration docs/incremental-paging.md presents as safe is synced from its own API.
 */

const PAGE = 250
const BUDGET: Churn = { updates: 300, inserts: 60, deletes: 60 }
const PER_REQUEST: Churn = { updates: 10, inserts: 2, deletes: 2 }
const query = (orderBy: 'ID' | 'UPDATED_AT') => `query($first: Int!, $after: String, $since: String) {
  orders(first: $first, after: $after, updatedSince: $since, orderBy: ${orderBy}) { nodes { id name version amount updatedAt } pageInfo { hasNextPage endCursor } }
}`

interface Config {
  readonly style: 'offset' | 'keyset'
  readonly options: Partial<GraphqlOptions>
}
const incremental = { cursor: 'updatedAt', variable: 'since' } as const
/** Configuration → how it is built: the cursor style the server uses, and graphql()'s options. */
const CONFIGS: Readonly<Record<string, Config>> = {
  // The graphql template: nodes ascending by updatedAt, endCursor a position (graphql-relay): paged by the cursor.
  sorted_offset: { style: 'offset', options: { query: query('UPDATED_AT'), incremental: { ...incremental, sorted: true } } },
  // Ascending and keyset cursors: endCursor followed, the bound saved every page.
  sorted_keyset: { style: 'keyset', options: { query: query('UPDATED_AT'), incremental: { ...incremental, sorted: true }, keyset: true } },
  // In id order with keyset cursors: the bound saved at the end, capped at the run's start.
  keyset: { style: 'keyset', options: { query: query('ID'), incremental, keyset: true } },
}

let api: MovingGraphqlApi | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
})

const source = (moving: MovingGraphqlApi, config: Config) =>
  graphql({ endpoint: moving.endpoint(config.style), connection: 'data.orders', table: 'orders', primaryKey: ['id'], pageSize: PAGE, query: '', ...config.options })
const live = (sink: MemorySink) => sink.rows('orders').filter((r) => r['_sluice_deleted'] !== true)
const succeeded = (report: SyncReport) => expect(report.status, `${report.error?.code} ${report.error?.message}`).toBe('succeeded')

function expectNothingLost(moving: MovingGraphqlApi, sink: MemorySink): void {
  const { lost, stale, unknown } = compareRows(moving.rows, live(sink))
  expect({ lost: lost.slice(0, 10), lostCount: lost.length, stale: stale.slice(0, 10), staleCount: stale.length, unknown: unknown.length }).toEqual({ lost: [], lostCount: 0, stale: [], staleCount: 0, unknown: 0 })
}

describe('graphql(): incremental paging over an API whose rows change while it is paged', () => {
  it.each(Object.keys(CONFIGS))('%s loses no row while 300 rows are updated, 60 inserted and 60 hard-deleted during the sync', { timeout: 120_000 }, async (name) => {
    const moving = (api = await movingGraphqlApi({ rows: 10_000, perRequest: PER_REQUEST, budget: BUDGET }))
    const sink = memory()
    const s = source(moving, CONFIGS[name]!)
    succeeded(await sync({ source: s, destination: sink }))
    expect(moving.rows.made).toEqual(BUDGET) // every change happened while the stream was being paged
    moving.rows.freeze()
    succeeded(await sync({ source: s, destination: sink })) // the next incremental sync
    expectNothingLost(moving, sink)
  })

  it.each(Object.keys(CONFIGS))('%s stopped three times mid-sync and resumed: no row lost', { timeout: 120_000 }, async (name) => {
    const moving = (api = await movingGraphqlApi({ rows: 10_000, perRequest: PER_REQUEST, budget: BUDGET, seed: 2 }))
    const sink = memory()
    const s = source(moving, CONFIGS[name]!)
    const rand = prng(7)
    for (let stop = 0; stop < 3; stop++) {
      const ac = new AbortController()
      const at = moving.rows.requests + 5 + Math.floor(rand() * 10)
      moving.rows.onRequest = (n) => void (n >= at && ac.abort())
      const report = await sync({ source: s, destination: sink, signal: ac.signal })
      expect(report.status, `stop ${stop}: ${report.error?.message}`).toBe('stopped')
    }
    moving.rows.onRequest = undefined
    succeeded(await sync({ source: s, destination: sink }))
    moving.rows.freeze()
    succeeded(await sync({ source: s, destination: sink }))
    expectNothingLost(moving, sink)
  })

  it('a sorted stream paged by its cursor fails with CURSOR_TIES, saying how to page it, on a page full of nodes sharing one updatedAt', async () => {
    const moving = (api = await movingGraphqlApi({ rows: 2_000, bigTie: [501, 600], budget: { updates: 0, inserts: 0, deletes: 0 } }))
    const report = await sync({ source: source(moving, CONFIGS['sorted_offset']!), destination: memory() })
    expect(report.error).toMatchObject({ code: 'CURSOR_TIES', context: { table: 'orders', field: 'updatedAt', value: moving.rows.rows().get(501)!['updated_at'] } })
    expect(report.error?.message).toMatch(/set pageSize above .*\(it is 250\).*keyset: true/)
  })
})
