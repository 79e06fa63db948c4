/**
 * A GraphQL API on 127.0.0.1 (port 0) whose rows change while it is paged: a Relay connection served by the reference
 * implementation (graphql@16) over the rows of test/support/moving-api.ts, which updates, inserts and hard-deletes
 * rows before answering each request (one REST request per GraphQL request). Used by
 * test/source/graphql/moving-graphql-api.test.ts to prove that incremental `graphql()` paging loses no row.
 *
 * `POST /graphql/{style}`, the connection `orders(first, after, updatedSince, orderBy: ID | UPDATED_AT)`, nodes
 * filtered by `updatedSince` (>=) and ordered by id or by (updatedAt, id); `endCursor` by style:
 *   offset  graphql-relay's `arrayconnection:<n>` (base64): a position, which rows leaving the result shift
 *   keyset  continues after the last node returned (Shopify / GitHub style)
 * Each response carries the `Date` of the rows' clock, as the REST API's does.
 */
import { buildSchema, graphql } from 'graphql'
import { localServer, sendJson } from '../http/local-server.js'
import { movingApi, type MovingApi, type MovingApiOptions } from './moving-api.js'

const SDL = `
  enum OrderSort { ID UPDATED_AT }
  type Query { orders(first: Int!, after: String, updatedSince: String, orderBy: OrderSort = ID): OrderConnection! }
  type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }
  type OrderEdge { cursor: String! node: Order! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type Order { id: Int! name: String! version: Int! amount: Float! updatedAt: String! }
`

/** The moving rows, and the GraphQL endpoint of each cursor style over them. */
export interface MovingGraphqlApi {
  /** The rows, their changes, `freeze()` and `onRequest`, as test/support/moving-api.ts has them. */
  readonly rows: MovingApi
  /** `http://127.0.0.1:<port>/graphql/<style>`. */
  endpoint(style: 'offset' | 'keyset'): string
  close(): Promise<void>
}

interface RestPage {
  readonly data: { id: number; name: string; version: number; amount: number; updated_at: string }[]
  readonly meta: { has_more: boolean; next_cursor: string | null }
}

const b64 = (text: string) => Buffer.from(text).toString('base64')

/** Starts the rows (options as `movingApi`'s) and the GraphQL server over them. */
export async function movingGraphqlApi(options: MovingApiOptions = {}): Promise<MovingGraphqlApi> {
  const rows = await movingApi(options)
  const schema = buildSchema(SDL)
  let date = ''

  const orders = async (style: string, args: { first: number; after?: string | null; updatedSince?: string | null; orderBy: string }) => {
    const q = new URLSearchParams({ limit: String(args.first) })
    if (args.orderBy === 'UPDATED_AT') q.set('sort', 'updated_at')
    if (args.updatedSince != null) q.set('updated_since', args.updatedSince)
    let start = 0
    if (style === 'offset') {
      if (args.after) start = Number(Buffer.from(args.after, 'base64').toString().replace('arrayconnection:', '')) + 1
      q.set('offset', String(start))
    } else if (args.after) q.set('cursor', args.after)
    const res = await fetch(`${rows.url}/${style === 'offset' ? 'offset' : 'cursor'}/orders?${q}`)
    if (!res.ok) throw new Error(await res.text())
    date = res.headers.get('date') ?? ''
    const page = (await res.json()) as RestPage
    const nodes = page.data.map((r) => ({ id: r.id, name: r.name, version: r.version, amount: r.amount, updatedAt: r.updated_at }))
    const cursorAt = (i: number) => (style === 'offset' ? b64(`arrayconnection:${start + i}`) : (page.meta.next_cursor ?? ''))
    return {
      nodes,
      edges: nodes.map((node, i) => ({ node, cursor: cursorAt(i) })),
      pageInfo: { hasNextPage: page.meta.has_more, endCursor: nodes.length === 0 ? null : cursorAt(nodes.length - 1) },
    }
  }

  const server = await localServer(async (req, res, body) => {
    const style = /^\/graphql\/(offset|keyset)$/.exec(req.url ?? '')?.[1]
    if (req.method !== 'POST' || !style) return sendJson(res, 404, { errors: [{ message: 'POST /graphql/offset or /graphql/keyset' }] })
    const { query, variables } = JSON.parse(body) as { query: string; variables?: Record<string, unknown> }
    const result = await graphql({ schema, source: query, variableValues: variables ?? {}, rootValue: { orders: (args: Parameters<typeof orders>[1]) => orders(style, args) } })
    sendJson(res, 200, result, date ? { date } : {})
  })

  return {
    rows,
    endpoint: (style) => `${server.url}/graphql/${style}`,
    close: async () => {
      await server.close()
      await rows.close()
    },
  }
}
