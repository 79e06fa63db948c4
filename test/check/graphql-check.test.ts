import { afterEach, describe, expect, it } from 'vitest'
import { check, configuredSource, graphql } from '../../src/index.js'
import { graphqlServer, type GraphqlTestServer } from '../support/graphql-server.js'

const TOKEN = 'gql_CHECK_token_7a41c0'
const EDGES = `query($first: Int!, $after: String) { orders(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`

let server: GraphqlTestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const source = (endpoint: string, query = EDGES) =>
  configuredSource('gql', (configuration) => graphql({ endpoint, query, connection: 'data.orders', table: 'orders', primaryKey: ['id'], auth: { bearer: configuration.gql_token ?? '' } }))

describe('check() of a GraphQL source', () => {
  it('asks { __typename }, then the query with a page of 1', async () => {
    server = await graphqlServer({ rows: 5, token: TOKEN })
    const report = await check({ source: source(server.url), configuration: { gql_token: TOKEN } })
    expect(report.ok).toBe(true)
    expect(report.results.map((r) => [r.name, r.ok])).toEqual([
      ['graphql: endpoint', true],
      ['orders: first page', true],
    ])
    expect(report.results[1]?.message).toBe('the query returned 1 node at data.orders')
    expect(server.requests.at(-1)?.variables).toMatchObject({ first: 1, after: null })
  })

  it('says the token was rejected on a 401 and names its configuration key', async () => {
    server = await graphqlServer({ rows: 5, token: TOKEN })
    const report = await check({ source: source(server.url), configuration: { gql_token: 'gql_wrong_token_000' } })
    expect(report.results).toEqual([
      expect.objectContaining({ name: 'graphql: endpoint', ok: false, message: `401 from ${new URL(server.url).host}: the credentials were rejected`, hint: expect.stringContaining('`gql_token`') }),
    ])
    expect(JSON.stringify(report)).not.toContain('gql_wrong_token_000')
  })

  it('fails a query the schema refuses with the server\'s own words', async () => {
    server = await graphqlServer({ rows: 5, token: TOKEN })
    const report = await check({ source: source(server.url, EDGES.replace('node { id }', 'node { idd }')), configuration: { gql_token: TOKEN } })
    expect(report.results[0]).toMatchObject({ ok: true })
    expect(report.results[1]).toMatchObject({ name: 'orders: first page', ok: false, code: 'GRAPHQL_ERRORS', hint: 'check the query, its variables and the connection path' })
    expect(report.results[1]?.message).toContain('idd')
  })
})
