import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { customer, generationTime, iso, order, pickIds, random, type DemoRow } from './demo-data.js'

/** Options of {@link startDemoApi}. */
export interface DemoApiOptions {
  /** Orders in the first generation (default 100_000); customers are a tenth of that. */
  readonly orders?: number
}

/** What one `advance()` changed. */
export interface AdvanceResult {
  readonly generation: number
  readonly orders: { readonly updated: number; readonly deleted: number; readonly created: number }
  readonly customers: { readonly updated: number }
}

/** A running demo API. */
export interface DemoApi {
  readonly url: string
  /** Moves the data set to the next generation: later updates, deletes and new orders. */
  advance(): AdvanceResult
  close(): Promise<void>
}

/** One resource (orders, customers): rows by id, and the change feed sorted by (updated_at, id). */
class Resource {
  readonly byId = new Map<number, DemoRow>()
  feed: DemoRow[] = []

  put(row: DemoRow): void {
    this.byId.set(row.id, row)
  }

  reindex(): void {
    this.feed = [...this.byId.values()].sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : a.id - b.id))
  }

  /** Rows changed after (since, afterId), in feed order: keyset pagination, stable while data changes. */
  page(since: string, afterId: number, limit: number): { data: DemoRow[]; hasMore: boolean } {
    let lo = 0
    let hi = this.feed.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const row = this.feed[mid]!
      if (row.updated_at < since || (row.updated_at === since && row.id <= afterId)) lo = mid + 1
      else hi = mid
    }
    const data = this.feed.slice(lo, lo + limit)
    return { data, hasMore: lo + limit < this.feed.length }
  }
}

/**
 * Starts a local shop API on 127.0.0.1 (a free port) with a deterministic data set: `orders`
 * (default 100k) and `customers` (a tenth). `GET /orders?updated_since=ISO&after_id=N&limit=N`
 * (same for `/customers`) pages through the rows changed after a cursor, oldest first, as
 * `{ data, has_more }`; deleted rows appear as `{ id, updated_at, deleted: true }`.
 * `POST /advance` (or `advance()`) moves to the next generation: 2% of orders change status,
 * 0.5% are deleted, 1% are new, 2% of customers change.
 *
 * @example
 * ```ts
 * import { startDemoApi } from './api-server.js'
 * const api = await startDemoApi({ orders: 1000 })
 * const page = await (await fetch(`${api.url}/orders?limit=10`)).json()
 * await api.close()
 * ```
 */
export async function startDemoApi(options: DemoApiOptions = {}): Promise<DemoApi> {
  const orderCount = options.orders ?? 100_000
  if (!Number.isInteger(orderCount) || orderCount < 10) throw new RangeError(`orders must be an integer ≥ 10, got ${orderCount}`)
  const customerCount = Math.max(1, Math.round(orderCount / 10))
  const resources = { orders: new Resource(), customers: new Resource() }
  const rand = random(42)
  for (let id = 1; id <= customerCount; id++) resources.customers.put(customer(id, rand))
  for (let id = 1; id <= orderCount; id++) resources.orders.put(order(id, customerCount, rand))
  resources.orders.reindex()
  resources.customers.reindex()
  let generation = 1
  let nextOrderId = orderCount + 1

  const advance = (): AdvanceResult => {
    generation++
    const r = random(1000 + generation)
    let at = generationTime(generation)
    const next = () => iso((at += 1000))
    const orders = resources.orders
    const gone = new Set([...orders.byId.values()].filter((row) => row.deleted).map((row) => row.id))
    const touched = pickIds(Math.round(orderCount * 0.025), nextOrderId - 1, r, gone)
    const deleted = new Set(touched.filter((_, i) => i % 5 === 0)) // a fifth of 2.5%: 0.5% deleted, 2% updated
    for (const id of touched) {
      const row = orders.byId.get(id)!
      if (deleted.has(id)) orders.put({ id, updated_at: next(), deleted: true })
      else orders.put({ ...row, status: row.status === 'delivered' ? 'returned' : 'delivered', updated_at: next() })
    }
    const created = Math.round(orderCount * 0.01)
    for (let i = 0; i < created; i++) orders.put(order(nextOrderId++, customerCount, r, at + 1000 * (i + 1)))
    const customerIds = pickIds(Math.round(customerCount * 0.02), customerCount, r, new Set())
    for (const id of customerIds) {
      const row = resources.customers.byId.get(id)!
      resources.customers.put({ ...row, email: `new.${id}.g${generation}@example.com`, updated_at: next() })
    }
    orders.reindex()
    resources.customers.reindex()
    return { generation, orders: { updated: touched.length - deleted.size, deleted: deleted.size, created }, customers: { updated: customerIds.length } }
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }
    if (req.method === 'POST' && url.pathname === '/advance') return send(200, advance())
    const name = url.pathname.slice(1)
    if (req.method !== 'GET' || (name !== 'orders' && name !== 'customers')) return send(404, { error: `no route ${req.method} ${url.pathname}` })
    const since = url.searchParams.get('updated_since') ?? ''
    const afterId = Number(url.searchParams.get('after_id') ?? '0')
    const limit = Number(url.searchParams.get('limit') ?? '1000')
    if (since !== '' && Number.isNaN(Date.parse(since))) return send(400, { error: `updated_since must be an ISO timestamp, got ${since}` })
    if (!Number.isInteger(afterId) || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      return send(400, { error: 'after_id must be an integer and limit an integer in 1..10000' })
    }
    const { data, hasMore } = resources[name].page(since, afterId, limit)
    send(200, { data, has_more: hasMore })
  }

  const server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    advance,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
