// A small stand-in for your REST API, so `npx sluice debug` works offline on the first try.
// connector.ts uses it while configuration.json says `"base_url": "mock"`: the server starts on a
// free local port when a sync starts and stops when it ends. Set base_url (and token) to your
// real API and this file is no longer used; delete it then if you like.
//
// It serves `GET /orders?limit=&cursor=&updated_since=` → `{ data: [...], meta: { next_cursor } }`
// (the cursor continues after the last id returned)
// over deterministic orders. Time moves on one step each time it starts (counted in
// files/mock-api.json): a few orders change and a few new ones arrive, so a second
// `sluice debug` visibly reads only those.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Configuration, Source } from 'sluice'

/** The configuration value that selects this mock. */
export const MOCK = 'mock'

/** An order as the mock API serves it. */
export interface MockOrder {
  readonly id: number
  readonly customer: string
  readonly status: string
  readonly total: number
  readonly updated_at: string
}

const INITIAL_ORDERS = 120
const CHANGED_PER_STEP = 3
const NEW_PER_STEP = 2
const BASE = Date.UTC(2024, 2, 1) // after the template's start_date
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const STATUSES = ['new', 'paid', 'shipped', 'delivered']
const CUSTOMERS = ['ada@example.com', 'grace@example.com', 'alan@example.com', 'edsger@example.com', 'barbara@example.com']

/**
 * The orders as the mock API holds them after `step` steps: step 0 is the first sync's data;
 * each later step moves a few orders to their next status and adds new ones, all updated at
 * that step's time (later than anything before), so an incremental read gets exactly those.
 */
export function mockOrders(step: number): MockOrder[] {
  const orders: MockOrder[] = []
  for (let id = 1; id <= INITIAL_ORDERS; id++) {
    orders.push({ id, customer: CUSTOMERS[id % CUSTOMERS.length]!, status: 'new', total: ((id * 37) % 1000) / 10 + 5, updated_at: iso(BASE + id * MINUTE) })
  }
  for (let s = 1; s <= step; s++) {
    const picked = new Set<number>()
    for (let k = 0; picked.size < CHANGED_PER_STEP; k++) picked.add(((s * 37 + k * 41) % orders.length) + 1)
    let minute = 0
    for (const id of picked) {
      const order = orders[id - 1]!
      const status = STATUSES[Math.min(STATUSES.indexOf(order.status) + 1, STATUSES.length - 1)]!
      orders[id - 1] = { ...order, status, updated_at: iso(BASE + s * DAY + minute++ * MINUTE) }
    }
    for (let k = 0; k < NEW_PER_STEP; k++) {
      const id = orders.length + 1
      orders.push({ id, customer: CUSTOMERS[id % CUSTOMERS.length]!, status: 'new', total: ((id * 37) % 1000) / 10 + 5, updated_at: iso(BASE + s * DAY + minute++ * MINUTE) })
    }
  }
  return orders
}

/** A running mock API: its base URL (what `base_url` gets) and how to stop it. */
export interface MockApi {
  readonly url: string
  close(): Promise<void>
}

/**
 * Starts the mock API on 127.0.0.1 at a free port, serving `mockOrders(step)`; by default the
 * step is read from (and advanced in) `stepFile`.
 */
export async function startMockApi(options: { readonly step?: number; readonly stepFile?: string } = {}): Promise<MockApi> {
  const orders = mockOrders(options.step ?? nextStep(options.stepFile ?? defaultStepFile()))
  const server = createServer((request, response) => serve(orders, request, response))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections() // the client's idle keep-alive sockets
      }),
  }
}

/**
 * `build` as is, or, when `configuration[key]` is `"mock"`, a source that starts the mock API
 * for each sync, runs `build` with `key` set to its URL, and stops the mock when the sync ends.
 */
export function withMockApi(key: string, build: (configuration: Configuration) => Source): (configuration: Configuration) => Source {
  return (configuration) => {
    if (configuration[key] !== MOCK) return build(configuration)
    return {
      // The tables don't depend on where the API is: ask a source built with a URL never contacted.
      tables: (args) => build({ ...args.configuration, [key]: 'http://mock.invalid' }).tables?.(args) ?? [],
      async *read(args) {
        const api = await startMockApi()
        try {
          const real = { ...args.configuration, [key]: api.url }
          yield* build(real).read({ ...args, configuration: real })
        } finally {
          await api.close()
        }
      },
    }
  }
}

function serve(orders: readonly MockOrder[], request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://mock')
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(body))
  }
  // Any token will do, but one must be sent, as a real API would insist.
  if (!/^Bearer \S/.test(request.headers.authorization ?? '')) return reply(401, { error: 'send Authorization: Bearer <token>' })
  if (request.method !== 'GET' || url.pathname !== '/orders') return reply(404, { error: `no such endpoint: ${request.method} ${url.pathname}` })
  const since = url.searchParams.get('updated_since')
  const bound = since === null ? -Infinity : Date.parse(since)
  if (Number.isNaN(bound)) return reply(400, { error: `updated_since must be an ISO 8601 time, got ${since}` })
  const limit = Number(url.searchParams.get('limit') ?? 100)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return reply(400, { error: 'limit must be an integer from 1 to 1000' })
  // The token is the last id returned: the next page continues after it in id order (a keyset, which
  // `keyset: true` in connector.ts declares), so rows that change while the API is paged never shift
  // an unread row onto an earlier page, as an offset token would.
  const after = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || 0)
  if (!Number.isInteger(after) || after < 0) return reply(400, { error: 'cursor must be a next_cursor this API returned' })
  // `updated_since` is inclusive (>=), as most APIs have it.
  const matching = orders.filter((order) => Date.parse(order.updated_at) >= bound && order.id > after).sort((a, b) => a.id - b.id)
  const page = matching.slice(0, limit)
  const more = matching.length > limit
  reply(200, { data: page, meta: { next_cursor: more ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null } })
}

/** Reads the step this start serves from `file`, and saves the next one there. */
function nextStep(file: string): number {
  let step = 0
  try {
    const saved = (JSON.parse(readFileSync(file, 'utf8')) as { step?: unknown }).step
    if (Number.isInteger(saved) && (saved as number) > 0) step = saved as number
  } catch {
    // First start, or a file mangled by hand: begin at step 0.
  }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify({ step: step + 1 })}\n`)
  return step
}

/** files/mock-api.json next to this file: the connector folder's files/, which `sluice debug` uses too. */
function defaultStepFile(): string {
  return fileURLToPath(new URL('./files/mock-api.json', import.meta.url))
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
