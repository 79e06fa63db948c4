import { readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphqlServer, makeOrder, type GraphqlTestServer } from '../../support/graphql-server.js'
import { calls, runCli, tempDir, warehouseValue } from '../run-cli.js'

const TOKEN = 'gql-template-s3cret-token'

describe('sluice init --template graphql → debug against a local GraphQL server', () => {
  const cwd = tempDir()
  const dir = join(cwd, 'shop_graph')
  let server: GraphqlTestServer
  beforeAll(async () => {
    server = await graphqlServer({ rows: 120, token: TOKEN })
  })
  afterAll(async () => {
    await server.close()
    await rm(cwd, { recursive: true, force: true })
  })
  const query = (sql: string) => warehouseValue(dir, sql)

  it('scaffolds a graphql() connector with string configuration values, each explained in the README', async () => {
    const result = await runCli(['init', 'shop_graph', '--template', 'graphql'], { cwd })
    expect(result.code).toBe(0)
    const configuration = JSON.parse(readFileSync(join(dir, 'configuration.json'), 'utf8')) as Record<string, unknown>
    expect(Object.keys(configuration)).toEqual(expect.arrayContaining(['endpoint', 'token']))
    expect(Object.values(configuration).every((v) => typeof v === 'string')).toBe(true)
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    for (const key of Object.keys(configuration)) expect(readme).toContain(`\`${key}\``)
  })

  it('debug reads the whole connection page by page with the bearer token', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ endpoint: server.url, token: TOKEN, page_size: '50' }))
    const result = await runCli(['debug', 'shop_graph'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(120)
    expect(query('SELECT COUNT(*) FROM orders')).toBe(120)
    expect(server.requests.map((r) => r.variables.first)).toEqual([50, 50, 50])
    expect(server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true)
    const state = readFileSync(join(dir, 'files', 'state.json'), 'utf8')
    const latest = server.orders.map((o) => o.updatedAt).sort().at(-1)
    // The ids at the saved cursor: the next sync reads them again (closed bound) and skips them.
    expect(JSON.parse(state)).toEqual({ cursor: latest, keys: server.orders.filter((o) => o.updatedAt === latest).map((o) => String(o.id)) })
    for (const text of [result.stdout, state]) expect(text).not.toContain(TOKEN)
  })

  it('a second debug sends the saved bound as $updatedSince, reads only the nodes at it and skips them by key', async () => {
    server.requests.length = 0
    const result = await runCli(['debug', 'shop_graph'], { cwd })
    expect(result.code).toBe(0)
    const latest = server.orders.map((o) => o.updatedAt).sort().at(-1)
    expect(server.requests.map((r) => r.variables.updatedSince)).toEqual([latest])
    expect(calls(result.stdout, 'Upserts')).toBe(0)
  })

  it('changed and new nodes are picked up by the next debug', async () => {
    const later = new Date(Date.UTC(2027, 0, 1)).toISOString()
    server.orders[9] = { ...server.orders[9]!, name: 'Order 10 (edited)', updatedAt: later }
    server.orders.push({ ...makeOrder(121, 121), updatedAt: later })
    const result = await runCli(['debug', 'shop_graph'], { cwd })
    expect(result.code).toBe(0)
    // The two changed nodes only: the ones at the saved (closed) bound are read again and skipped by key.
    expect(calls(result.stdout, 'Upserts')).toBe(2)
    expect(query('SELECT COUNT(*) FROM orders')).toBe(121)
    expect(query('SELECT name FROM orders WHERE id = 10')).toBe('Order 10 (edited)')
  })
})
