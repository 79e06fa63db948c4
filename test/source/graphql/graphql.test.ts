import { afterEach, describe, expect, it, vi } from 'vitest'
import { bearerAuth, fakeClock, memory, sync, type MemorySink, type Row, type State } from '../../../src/index.js'
import { graphql, type GraphqlOptions } from '../../../src/source/graphql/graphql.js'
import { graphqlServer, type GraphqlTestServer, type Order } from '../../support/graphql-server.js'
import { localServer, sendJson } from '../../http/local-server.js'

const FIELDS = 'id name total updatedAt customer { email tier }'
const EDGES = `query Orders($first: Int, $after: String) {
  orders(first: $first, after: $after) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } }
}`
const INCREMENTAL = `query($first: Int, $after: String, $updatedSince: String) {
  orders(first: $first, after: $after, updatedSince: $updatedSince) { nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } }
}`
const SORTED = `query($first: Int, $after: String, $since: String) {
  orders(first: $first, after: $after, updatedSince: $since, orderBy: UPDATED_AT) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } }
}`
const WITH_NOTE = `query($first: Int, $after: String) {
  orders(first: $first, after: $after) { edges { node { ${FIELDS} note } } pageInfo { hasNextPage endCursor } }
}`

const servers: GraphqlTestServer[] = []
async function server(options: Parameters<typeof graphqlServer>[0] = {}) {
  const s = await graphqlServer(options)
  servers.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const shape = (o: Order) => ({ id: o.id, name: o.name, total: o.total, updatedAt: o.updatedAt, customer: o.customer })
// The destination names columns in snake case.
const committed = (sink: MemorySink) =>
  sink
    .rows('orders')
    .map((r: Row) => ({ id: r.id, name: r.name, total: r.total, updatedAt: r.updated_at, customer: r.customer }))
    .sort((a, b) => (a.id as number) - (b.id as number))
const expected = (s: GraphqlTestServer) => s.orders.map(shape).sort((a, b) => a.id - b.id)

async function run(s: GraphqlTestServer, sink: MemorySink, options: Partial<GraphqlOptions> = {}, extra: { signal?: AbortSignal; grace?: number } = {}) {
  const states: State[] = []
  const clock = fakeClock({ autoAdvance: true })
  const report = await sync({
    source: graphql({ endpoint: s.url, query: EDGES, connection: 'data.orders', table: 'orders', primaryKey: ['id'], clock, ...options }),
    destination: sink,
    on: { checkpoint: (e) => states.push(e.state) },
    ...extra,
  })
  return { report, states, clock }
}

describe('graphql: pagination', () => {
  it('follows endCursor page by page through edges { node }, checkpointing each page, into exactly the server data', async () => {
    const s = await server()
    const sink = memory()
    const { report, states } = await run(s, sink)
    expect(report.status).toBe('succeeded')
    expect(committed(sink)).toEqual(expected(s))
    expect(s.requests.map((r) => [r.variables.first, typeof r.variables.after])).toEqual([
      [100, 'object'],
      [100, 'string'],
      [100, 'string'],
    ])
    expect(s.requests[0]!.variables.after).toBeNull()
    expect(states.map((st) => st.after)).toEqual([s.requests[1]!.variables.after, s.requests[2]!.variables.after, undefined])
  })

  it('reads a `nodes` list as well, with another page size', async () => {
    const s = await server({ rows: 95 })
    const sink = memory()
    const { report } = await run(s, sink, { query: INCREMENTAL.replace(', $updatedSince: String', '').replace(', updatedSince: $updatedSince', ''), pageSize: 30 })
    expect(report.status).toBe('succeeded')
    expect(s.requests).toHaveLength(4)
    expect(committed(sink)).toEqual(expected(s))
  })

  it('uses the page variable names given in pageVariables', async () => {
    const s = await server({ rows: 30 })
    const sink = memory()
    const query = `query($n: Int, $cursor: String) { orders(first: $n, after: $cursor) { nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } } }`
    const { report } = await run(s, sink, { query, pageSize: 20, pageVariables: { first: 'n', after: 'cursor' } })
    expect(report.status).toBe('succeeded')
    expect(s.requests.map((r) => Object.keys(r.variables).sort())).toEqual([['cursor', 'n'], ['cursor', 'n']])
    expect(committed(sink)).toEqual(expected(s))
  })

  it('resumes mid-stream from the saved endCursor after a stop', async () => {
    const s = await server()
    const sink = memory()
    // Stop requested before the start: the sync ends at the first checkpoint.
    const stopped = await run(s, sink, {}, { signal: AbortSignal.abort() })
    expect(stopped.report.status).toBe('stopped')
    expect(stopped.states).toHaveLength(1)
    const cursor = stopped.states[0]!.after
    expect(typeof cursor).toBe('string')
    expect(committed(sink)).toEqual(expected(s).slice(0, 100))

    s.requests.length = 0
    const resumed = await run(s, sink)
    expect(resumed.report.status).toBe('succeeded')
    expect(s.requests.map((r) => r.variables.after)[0]).toBe(cursor)
    expect(s.requests).toHaveLength(2)
    expect(committed(sink)).toEqual(expected(s))
  })

  it('fails with PAGINATION_LOOP when hasNextPage stays true but the cursor does not move', async () => {
    const stuck = await localServer((_req, res) => sendJson(res, 200, { data: { orders: { nodes: [{ id: 1 }], pageInfo: { hasNextPage: true, endCursor: 'same' } } } }))
    try {
      const report = await sync({
        source: graphql({ endpoint: `${stuck.url}/graphql`, query: EDGES, connection: 'data.orders', table: 'orders', primaryKey: ['id'] }),
        destination: memory(),
      })
      expect(report.error).toMatchObject({ code: 'PAGINATION_LOOP' })
      expect(stuck.requests).toHaveLength(2)
    } finally {
      await stuck.close()
    }
  })

  it('fails with GRAPHQL_SHAPE naming the path when the connection is not where `connection` says', async () => {
    const s = await server()
    const { report } = await run(s, memory(), { connection: 'data.order' })
    expect(report.error).toMatchObject({ code: 'GRAPHQL_SHAPE' })
    expect(report.error!.message).toContain('data.order')
  })
})

describe('graphql: incremental', () => {
  it('sends the saved bound in the variable and advances it to the largest cursor only when the stream completed', async () => {
    const s = await server()
    const sink = memory()
    const incremental = { cursor: 'updatedAt', variable: 'updatedSince' }
    const keyset = true // the test server's endCursor continues after the last node returned
    const first = await run(s, sink, { query: INCREMENTAL, incremental, keyset })
    expect(first.report.status).toBe('succeeded')
    const max = s.orders.map((o) => o.updatedAt).sort().at(-1)!
    expect(s.requests[0]!.variables.updatedSince).toBeNull()
    expect(first.states.slice(0, -1).every((st) => st.cursor === undefined)).toBe(true)
    const keysAt = (value: string) => s.orders.filter((o) => o.updatedAt === value).map((o) => String(o.id))
    expect(first.states.at(-1)).toEqual({ cursor: max, keys: keysAt(max) })

    // Three orders change, one is added; the next sync asks only for what changed since the bound.
    const later = (min: number) => new Date(Date.parse(max) + min * 60_000).toISOString()
    Object.assign(s.orders[9]!, { name: 'changed 10', updatedAt: later(1) })
    Object.assign(s.orders[199]!, { total: 1.5, updatedAt: later(2) })
    Object.assign(s.orders[0]!, { name: 'changed 1', updatedAt: later(1) })
    s.orders.push({ id: 251, name: 'new', total: 3, updatedAt: later(3), customer: { email: 'n@shop.io', tier: 'gold' } })
    s.requests.length = 0
    const second = await run(s, sink, { query: INCREMENTAL, incremental, keyset, pageSize: 2 })
    expect(second.report.status).toBe('succeeded')
    expect(s.requests.every((r) => r.variables.updatedSince === max)).toBe(true)
    expect(second.report.rows).toBe(4) // the four changes: the boundary row (closed bound) is read again and skipped by key
    // Mid-stream checkpoints keep the old bound: a crash there resumes without skipping.
    expect(second.states.slice(0, -1).every((st) => st.cursor === max)).toBe(true)
    expect(second.states.at(-1)).toEqual({ cursor: later(3), keys: ['251'] })
    expect(committed(sink)).toEqual(expected(s))
  })

  it('with sorted: true and keyset: true, follows endCursor, advances the bound at every page and resumes from it', async () => {
    const s = await server()
    const incremental = { cursor: 'updatedAt', variable: 'since', sorted: true }
    const byTime = [...s.orders].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
    const sorted = byTime.map((o) => o.updatedAt)
    const first = await run(s, memory(), { query: SORTED, incremental, keyset: true })
    expect(first.report.status).toBe('succeeded')
    expect(first.states.map((st) => st.cursor)).toEqual([sorted[99], sorted[199], sorted[249]])

    s.requests.length = 0
    const stopped = await run(s, memory(), { query: SORTED, incremental, keyset: true }, { signal: AbortSignal.abort() })
    expect(stopped.states).toEqual([{ cursor: sorted[99], keys: [String(byTime[99]!.id)] }])
  })

  it('refuses an incremental stream neither sorted nor keyset when built, saying how to page it safely (CONFIG_INVALID)', () => {
    const build = (extra: Partial<GraphqlOptions>) => () =>
      graphql({ endpoint: 'http://127.0.0.1:1/graphql', query: INCREMENTAL, connection: 'data.orders', table: 'orders', primaryKey: ['id'], incremental: { cursor: 'updatedAt', variable: 'updatedSince' }, ...extra })
    // endCursor may encode a position (graphql-relay's arrayconnection:<n>): nodes changing meanwhile shift past it.
    expect(build({})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', context: expect.objectContaining({ option: 'graphql.incremental.sorted' }) }))
    expect(build({})).toThrow(/incremental\.sorted: true if the query returns nodes ascending by updatedAt.*keyset: true/)
    expect(build({ keyset: 'yes' as unknown as boolean })).toThrow('graphql.keyset')
    expect(build({ keyset: true })).not.toThrow()
    expect(build({ incremental: { cursor: 'updatedAt', variable: 'updatedSince', sorted: true } })).not.toThrow()
    // Not incremental: every sync reads everything, so a shifted node is read by the next one.
    expect(build({ incremental: undefined as never })).not.toThrow()
  })

  it('with sorted: true and no keyset, pages by the cursor: each page is a first page (no $after) from the last node\'s updatedAt', async () => {
    const s = await server()
    const byTime = [...s.orders].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
    const sink = memory()
    const { report, states } = await run(s, sink, { query: SORTED, incremental: { cursor: 'updatedAt', variable: 'since', sorted: true } })
    expect(report.status).toBe('succeeded')
    // Page 2 starts at the last node of page 1 (closed bound), which is skipped by key: 99 new nodes a page after the first.
    expect(s.requests.map((r) => [r.variables.after, r.variables.since])).toEqual([[null, null], [null, byTime[99]!.updatedAt], [null, byTime[198]!.updatedAt]])
    expect(report.rows).toBe(250)
    expect(states.map((st) => st.cursor)).toEqual([byTime[99]!.updatedAt, byTime[198]!.updatedAt, byTime[249]!.updatedAt])
    expect(committed(sink)).toEqual(expected(s))
  })

  it('refuses sorted: true when the nodes are not ascending (GRAPHQL_UNSORTED)', async () => {
    const s = await server()
    const { report } = await run(s, memory(), { query: INCREMENTAL, incremental: { cursor: 'updatedAt', variable: 'updatedSince', sorted: true } })
    expect(report.error).toMatchObject({ code: 'GRAPHQL_UNSORTED' })
  })
})

describe('graphql: errors and throttling', () => {
  it('retries throttled answers (THROTTLED with cost data, HTTP 429, HTTP 500) after the wait the server asks for', async () => {
    const s = await server()
    s.inject('none', 'throttled', '429', '500')
    const sink = memory()
    const { report, clock } = await run(s, sink)
    expect(report.status).toBe('succeeded')
    expect(s.requests.map((r) => r.fault ?? 'ok')).toEqual(['ok', 'throttled', '429', '500', 'ok', 'ok'])
    // (202 - 2) / 50 s for the cost to restore, then Retry-After: 3 — on the fake clock.
    expect(clock.now()).toBeGreaterThanOrEqual(4000 + 3000)
    expect(committed(sink)).toEqual(expected(s))
  })

  it('fails on GraphQL errors without data (GRAPHQL_ERRORS), without retrying them', async () => {
    const s = await server()
    s.inject('errors')
    const { report } = await run(s, memory())
    expect(report.error).toMatchObject({ code: 'GRAPHQL_ERRORS' })
    expect(report.error!.message).toContain('"Internal error" (INTERNAL_SERVER_ERROR)')
    expect(s.requests).toHaveLength(1)
  })

  it('fails on a query the server rejects, quoting the validation error', async () => {
    const s = await server()
    const { report } = await run(s, memory(), { query: EDGES.replace('total', 'totl') })
    expect(report.error).toMatchObject({ code: 'GRAPHQL_ERRORS' })
    expect(report.error!.message).toContain('Cannot query field "totl"')
  })

  it('fails on partial data by default (GRAPHQL_PARTIAL), before writing the page', async () => {
    const s = await server()
    s.brokenNotes.add(5)
    const sink = memory()
    const { report } = await run(s, sink, { query: WITH_NOTE })
    expect(report.error).toMatchObject({ code: 'GRAPHQL_PARTIAL' })
    expect(report.error!.message).toContain('note of order 5 is unavailable')
    expect(report.error!.message).toContain('orders.edges.4.node.note')
    expect(sink.rows('orders')).toEqual([])
  })

  it("keeps partial data and records the errors in _sluice_errors with onPartialData: 'continue'", async () => {
    const s = await server()
    s.brokenNotes.add(5).add(120)
    const sink = memory()
    const { report } = await run(s, sink, { query: WITH_NOTE, onPartialData: 'continue' })
    expect(report.status).toBe('succeeded')
    expect(committed(sink)).toEqual(expected(s))
    const notes = new Map(sink.rows('orders').map((r) => [r.id, r.note]))
    expect([notes.get(5), notes.get(120), notes.get(6)]).toEqual([null, null, 'note 6'])
    const errors = await sink.readErrors!()
    expect(errors).toHaveLength(2)
    expect(errors[1]).toMatchObject({
      kind: 'request',
      table: 'orders',
      code: 'GRAPHQL_PARTIAL',
      context: {
        url: s.url,
        errors: [{ message: 'note of order 120 is unavailable', path: ['orders', 'edges', 19, 'node', 'note'], code: 'NOTE_UNAVAILABLE' }],
        variables: { first: 100, after: s.requests[1]!.variables.after },
      },
    })
  })

  it('sends the bearer token, fails at once on a 401, and never lets the token reach errors, state or report', async () => {
    const token = 'gql_tok_5f4e3d2c1b0a'
    const s = await server({ token })
    s.inject('none', 'errors')
    const sink = memory()
    const { report, states } = await run(s, sink, { auth: bearerAuth({ token }) })
    expect(report.error).toMatchObject({ code: 'GRAPHQL_ERRORS' })
    expect(s.requests[0]!.authorization).toBe(`Bearer ${token}`)
    expect(JSON.stringify([report, states, await sink.readErrors!()])).not.toContain(token)

    const denied = await run(s, memory(), { auth: { bearer: 'wrong_token_123' } })
    expect(denied.report.error).toMatchObject({ code: 'HTTP_STATUS', context: { status: 401 } })
    expect(JSON.stringify(denied.report)).not.toContain('wrong_token_123')
  })
})

describe('graphql: stopping and configuration', () => {
  it('an abort while a page is in flight stops cleanly: status stopped, state at the last page, the request dropped', async () => {
    const s = await server()
    s.inject('none', 'hang')
    const controller = new AbortController()
    s.onRequest = () => {
      if (s.requests.length === 2) controller.abort()
    }
    const sink = memory()
    const { report, states } = await run(s, sink, {}, { signal: controller.signal, grace: 0 })
    expect(report.status).toBe('stopped')
    expect(states).toEqual([{ after: s.requests[1]!.variables.after }])
    expect(committed(sink)).toEqual(expected(s).slice(0, 100))
    await vi.waitFor(() => expect(s.abandoned()).toBe(1))
  })

  it.each([
    [{ query: 'query($first: Int) { orders(first: $first) { nodes { id } pageInfo { hasNextPage endCursor } } }' }, 'graphql.query'],
    [{ connection: 'orders' }, 'graphql.connection'],
    [{ variables: { first: 5 } }, 'graphql.variables.first'],
    [{ incremental: { cursor: 'updatedAt', variable: 'since' } }, 'graphql.incremental.variable'],
    [{ query: INCREMENTAL, incremental: { cursor: 'updatedAt', variable: 'updatedSince' } }, 'graphql.primaryKey'],
    [{ pageSize: 0 }, 'graphql.pageSize'],
    [{ onPartialData: 'ignore' }, 'graphql.onPartialData'],
    [{ endpoint: '/graphql' }, 'graphql.endpoint'],
  ])('refuses %j when built (CONFIG_INVALID naming %s)', (bad, option) => {
    const build = () => graphql({ endpoint: 'http://127.0.0.1:1/graphql', query: EDGES, connection: 'data.orders', table: 'orders', ...(bad as object) })
    expect(build).toThrow(option)
  })
})
