import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { buildSchema, graphql, GraphQLError } from 'graphql'

/**
 * A real GraphQL server for tests: the reference implementation (graphql@16) over node:http on 127.0.0.1,
 * port 0, serving a Relay connection of deterministic orders, filterable by `updatedSince` and sortable by
 * `updatedAt`, with injectable faults. `orders(fields:)` is accepted and ignored (its value shows in `requests`).
 */

const SDL = `
  enum OrderSort { ID UPDATED_AT }
  type Query {
    orders(first: Int, after: String, updatedSince: String, orderBy: OrderSort = ID, fields: [String!]): OrderConnection!
  }
  type OrderConnection { edges: [OrderEdge!]! nodes: [Order]! pageInfo: PageInfo! totalCount: Int! }
  type OrderEdge { cursor: String! node: Order }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type Customer { email: String! tier: String! }
  type Order { id: Int! name: String! total: Float! updatedAt: String! note: String customer: Customer! }
`

export interface Order {
  id: number
  name: string
  total: number
  updatedAt: string
  customer: { email: string; tier: string }
}

/**
 * What the next request gets instead of a normal answer ('none': the normal answer): a Shopify-style THROTTLED error with cost data,
 * an HTTP 429 with Retry-After, an HTTP 500, a GraphQL error with no data, or no answer until the client leaves.
 */
export type Fault = 'none' | 'throttled' | '429' | '500' | 'errors' | 'hang'

export interface GraphqlTestServer {
  /** The endpoint, `http://127.0.0.1:<port>/graphql`. */
  readonly url: string
  /** The data; change it between syncs. */
  readonly orders: Order[]
  /** Every request: variables and the authorization header. */
  readonly requests: { variables: Record<string, unknown>; authorization: string | undefined; fault?: Fault }[]
  /** Faults for the next requests, in order. */
  inject(...faults: Fault[]): void
  /** Orders whose `note` field fails to resolve (partial data: the field is null, an error names its path). */
  readonly brokenNotes: Set<number>
  /** Called when a request arrives (before faults apply). */
  onRequest?: (variables: Record<string, unknown>) => void
  /** Requests waiting on a 'hang' fault whose client went away. */
  abandoned(): number
  close(): Promise<void>
}

const BASE = Date.UTC(2026, 0, 1)

/** Order `i` (1-based) of `n`: updatedAt is a permutation of minutes, so id order is not time order. */
export function makeOrder(i: number, n: number): Order {
  return {
    id: i,
    name: `Order ${i}`,
    total: ((i * 37) % 1000) / 10,
    updatedAt: new Date(BASE + ((i * 7919) % n) * 60_000).toISOString(),
    customer: { email: `c${i % 17}@shop.io`, tier: i % 3 ? 'gold' : 'basic' },
  }
}

const encode = (text: string) => Buffer.from(text).toString('base64')
const decode = (cursor: string) => Buffer.from(cursor, 'base64').toString('utf8')

export async function graphqlServer(options: { rows?: number; token?: string } = {}): Promise<GraphqlTestServer> {
  const n = options.rows ?? 250
  const orders = Array.from({ length: n }, (_, i) => makeOrder(i + 1, n))
  const schema = buildSchema(SDL)
  const faults: Fault[] = []
  const brokenNotes = new Set<number>()
  const sockets = new Set<Socket>()
  let abandoned = 0

  const key = (o: Order, by: string) => (by === 'UPDATED_AT' ? `${o.updatedAt}|${String(o.id).padStart(10, '0')}` : String(o.id).padStart(10, '0'))
  const root = {
    orders(args: { first?: number; after?: string; updatedSince?: string; orderBy: string }) {
      const first = args.first ?? 50
      if (first < 0 || first > 250) throw new GraphQLError('first must be between 0 and 250', { extensions: { code: 'BAD_USER_INPUT' } })
      let after: string | undefined
      if (args.after) {
        const [by, k] = decode(args.after).split('~')
        if (by !== args.orderBy || k === undefined) throw new GraphQLError('invalid cursor', { extensions: { code: 'BAD_USER_INPUT' } })
        after = k
      }
      const all = orders
        .filter((o) => args.updatedSince == null || o.updatedAt >= args.updatedSince)
        .map((o) => ({ o, k: key(o, args.orderBy) }))
        .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
        .filter((x) => after === undefined || x.k > after)
      const page = all.slice(0, first)
      const node = (o: Order) => ({
        ...o,
        note: () => {
          if (brokenNotes.has(o.id)) throw new GraphQLError(`note of order ${o.id} is unavailable`, { extensions: { code: 'NOTE_UNAVAILABLE' } })
          return `note ${o.id}`
        },
      })
      return {
        edges: page.map((x) => ({ cursor: encode(`${args.orderBy}~${x.k}`), node: node(x.o) })),
        nodes: page.map((x) => node(x.o)),
        pageInfo: { hasNextPage: all.length > first, endCursor: page.length ? encode(`${args.orderBy}~${page.at(-1)!.k}`) : null },
        totalCount: all.length,
      }
    },
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
    res.end(text)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { errors: [{ message: 'POST /graphql' }] })
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 401, { errors: [{ message: 'unauthorized' }] })
    }
    const { query, variables = {} } = JSON.parse(raw) as { query: string; variables?: Record<string, unknown> }
    const next = faults.shift()
    const fault = next === 'none' ? undefined : next
    server.requests.push({ variables, authorization: req.headers.authorization, ...(fault ? { fault } : {}) })
    server.onRequest?.(variables)
    if (fault === 'hang') {
      req.socket.once('close', () => abandoned++)
      return
    }
    if (fault === '429') return send(res, 429, { errors: [{ message: 'Too many requests' }] }, { 'retry-after': '3' })
    if (fault === '500') return send(res, 500, 'upstream failed')
    if (fault === 'errors') return send(res, 200, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }], data: null })
    if (fault === 'throttled') {
      return send(res, 200, {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost: 202, actualQueryCost: null, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 2, restoreRate: 50 } } },
      })
    }
    const result = await graphql({ schema, source: query, variableValues: variables, rootValue: root })
    send(res, 200, result)
  }

  const http = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => send(res, 500, String(error)))
    })
  })
  http.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo

  const server: GraphqlTestServer = {
    url: `http://127.0.0.1:${port}/graphql`,
    orders,
    requests: [],
    brokenNotes,
    inject: (...more) => void faults.push(...more),
    abandoned: () => abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
  return server
}
