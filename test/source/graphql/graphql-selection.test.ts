import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeClock, memory, sqlite, sync, type ColumnType, type State } from '../../../src/index.js'
import { graphql, type GraphqlOptions } from '../../../src/source/graphql/graphql.js'
import { select, type SelectOptions } from '../../../src/stage/select.js'
import { normRows } from '../../support/sources.js'
import { graphqlServer, type GraphqlTestServer } from '../../support/graphql-server.js'

const FIELDS = 'id name total updatedAt customer { email tier }'
const INCREMENTAL = `query($first: Int, $after: String, $updatedSince: String) {
  orders(first: $first, after: $after, updatedSince: $updatedSince) { nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } }
}`
const WITH_FIELDS = `query($first: Int, $after: String, $fields: [String!]) {
  orders(first: $first, after: $after, fields: $fields) { nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } }
}`
const COLUMNS: Record<string, ColumnType> = { id: 'LONG', name: 'STRING', total: 'DOUBLE', updatedAt: 'UTC_DATETIME', customer: 'JSON' }
const incremental = { cursor: 'updatedAt', variable: 'updatedSince' } as const

const dir = mkdtempSync(join(tmpdir(), 'sluice-graphql-select-'))
let files = 0
const servers: GraphqlTestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
async function server(rows = 30) {
  const s = await graphqlServer({ rows })
  servers.push(s)
  return s
}
// The test server's endCursor continues after the last node returned: a keyset.
const source = (s: GraphqlTestServer, over: Partial<GraphqlOptions> = {}) =>
  graphql({ endpoint: s.url, query: INCREMENTAL, connection: 'data.orders', table: 'orders', primaryKey: ['id'], pageSize: 10, keyset: true, clock: fakeClock({ autoAdvance: true }), ...over })
const stages = (options: SelectOptions) => [select(options)]

describe('graphql() under select()', () => {
  it.each<SelectOptions>([{ exclude: ['ord*'] }, { include: ['orders.id'], exclude: ['orders'] }])('never queries a blocked table (%j)', async (options) => {
    const s = await server()
    const sink = memory()
    const report = await sync({ source: source(s, { incremental }), destination: sink, stages: stages(options) })
    expect(report.status).toBe('succeeded')
    expect(s.requests).toEqual([])
    expect(sink.rows('orders')).toEqual([])
  })

  it('drops blocked columns from the nodes before batches are built, keeping the key', async () => {
    const s = await server()
    const { selection } = select({ exclude: ['orders.customer', '*.tot?l', 'orders.updated_at'] })
    const names = new Set<string>()
    for await (const m of source(s, { incremental }).read({ state: undefined, signal: new AbortController().signal, configuration: {}, recordError: () => {}, selection })) {
      if (m.kind === 'records') for (const name of m.batch.names) names.add(name)
    }
    expect([...names].sort()).toEqual(['id', 'name'])
    expect(s.requests).toHaveLength(3)
  })

  it('blocked columns never reach the destination, and a blocked cursor still advances the state (SQLite)', async () => {
    const s = await server()
    const sink = sqlite({ path: join(dir, `g${files++}.db`) })
    const states: State[] = []
    const options = { source: source(s, { incremental }), destination: sink, stages: stages({ exclude: ['orders.customer', '*.tot?l', 'orders.updated_at'] }) }
    expect((await sync({ ...options, on: { checkpoint: (e) => void states.push(e.state) } })).status).toBe('succeeded')
    const columns = (await sink.describe!()).find((t) => t.table === 'orders')!.columns.map((c) => c.name).filter((c) => !c.startsWith('_sluice_'))
    expect(columns.sort()).toEqual(['id', 'name'])
    const newest = s.orders.map((o) => o.updatedAt).sort().at(-1)!
    // The keys of the rows at the saved cursor: the next sync reads them again (closed bound) and skips them.
    expect(states.at(-1)).toEqual({ cursor: newest, keys: s.orders.filter((o) => o.updatedAt === newest).map((o) => String(o.id)) })

    s.orders[4]!.name = 'renamed'
    s.orders[4]!.updatedAt = '2027-01-01T00:00:00.000Z'
    s.requests.length = 0
    expect((await sync(options)).status).toBe('succeeded')
    expect(s.requests[0]?.variables['updatedSince']).toBe(newest)
    const rows = normRows(await sink.read!({ table: 'orders' }), 'id')
    expect(rows).toHaveLength(30)
    expect(rows.find((r) => r['id'] === 5)).toMatchObject({ name: 'renamed' })
    expect(Object.keys(rows[0]!).filter((c) => !c.startsWith('_sluice_')).sort()).toEqual(['id', 'name'])
  })
})

describe('graphql() fieldsVariable', () => {
  it('sends the selected declared columns, the key and the cursor when the selection narrows them', async () => {
    const s = await server()
    const sink = memory()
    const gql = source(s, { query: WITH_FIELDS, columns: COLUMNS, fieldsVariable: 'fields' })
    expect((await sync({ source: gql, destination: sink, stages: stages({ exclude: ['orders.customer', 'orders.tot*'] }) })).status).toBe('succeeded')
    expect(s.requests).toHaveLength(3)
    expect(s.requests.map((r) => r.variables['fields'])).toEqual([['id', 'name', 'updatedAt'], ['id', 'name', 'updatedAt'], ['id', 'name', 'updatedAt']])
    expect(sink.rows('orders')).toHaveLength(30)

    s.requests.length = 0
    const withCursor = source(s, {
      query: WITH_FIELDS.replace('$fields: [String!]', '$fields: [String!], $updatedSince: String').replace('fields: $fields', 'fields: $fields, updatedSince: $updatedSince'),
      columns: COLUMNS, fieldsVariable: 'fields', incremental,
    })
    expect((await sync({ source: withCursor, destination: memory(), stages: stages({ include: ['orders.id', 'orders.name'] }) })).status).toBe('succeeded')
    expect(new Set(s.requests.map((r) => JSON.stringify(r.variables['fields'])))).toEqual(new Set([JSON.stringify(['id', 'name', 'updatedAt'])]))
  })

  it('is left unset when the selection blocks no declared column, or without a selection', async () => {
    const s = await server(5)
    const gql = source(s, { query: WITH_FIELDS, columns: COLUMNS, fieldsVariable: 'fields' })
    expect((await sync({ source: gql, destination: memory(), stages: stages({ exclude: ['*.note'] }) })).status).toBe('succeeded')
    expect((await sync({ source: gql, destination: memory() })).status).toBe('succeeded')
    expect(s.requests).toHaveLength(2)
    expect(s.requests.every((r) => !('fields' in r.variables))).toBe(true)
  })

  it('is refused at build time when the query does not declare it, it clashes, or columns are missing', () => {
    const build = (over: Partial<GraphqlOptions>) => () =>
      graphql({ endpoint: 'http://127.0.0.1:1/graphql', query: WITH_FIELDS, connection: 'data.orders', table: 'orders', primaryKey: ['id'], columns: COLUMNS, ...over })
    expect(build({ fieldsVariable: 'columns' })).toThrow(/graphql\.fieldsVariable.*declared in the query as \$columns/)
    expect(build({ fieldsVariable: 'first' })).toThrow(/graphql\.fieldsVariable.*different from the page and cursor variables/)
    expect(build({ fieldsVariable: 'fields', columns: undefined })).toThrow(/graphql\.fieldsVariable.*graphql\.columns/)
    expect(build({ fieldsVariable: 'fields', variables: { fields: ['id'] } })).toThrow(/graphql\.variables\.fields/)
    expect(build({ fieldsVariable: '$fields' })).toThrow(/graphql\.fieldsVariable.*variable name/)
  })
})
