// A small stand-in for your GraphQL API, so `npx sluice debug` works offline on the first try.
// connector.ts uses it while configuration.json says `"endpoint": "mock"`: the server starts on a
// free local port when a sync starts and stops when it ends. Set endpoint (and token) to your
// real API and this file is no longer used; delete it then if you like.
//
// It answers `POST /graphql` for the connection `orders(first, after, updatedSince, orderBy)`:
// nodes with `updatedAt` ≥ `$updatedSince`, sorted by id, or by updatedAt then id when the query
// says `orderBy: UPDATED_AT` (as connector.ts does, and declares with `sorted: true`), with the
// node fields the query selects (id, name, total, updatedAt, and status if you add it). Its
// endCursor is a position (as graphql-relay's are), not a keyset: connector.ts doesn't declare
// `keyset`, so sluice pages by updatedAt instead of following it. It is no GraphQL engine: it reads
// the variables and the query's `nodes { … }` selection and `orderBy` only. Time moves on one step each time it starts (counted in files/mock-api.json): a few
// orders change and a few new ones arrive, so a second `sluice debug` visibly reads only those.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Configuration, Source } from 'sluice'

/** The configuration value that selects this mock. */
export const MOCK = 'mock'

/** An order node as the mock API holds it. */
export interface MockOrder {
  readonly id: number
  readonly name: string
  readonly status: string
  readonly total: number
  readonly updatedAt: string
}

const INITIAL_ORDERS = 120
const CHANGED_PER_STEP = 3
const NEW_PER_STEP = 2
const BASE = Date.UTC(2024, 2, 1) // after the template's start_date
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const STATUSES = ['new', 'paid', 'shipped', 'delivered']

/**
 * The orders as the mock API holds them after `step` steps: step 0 is the first sync's data;
 * each later step moves a few orders to their next status and adds new ones, all updated at
 * that step's time (later than anything before), so an incremental read gets exactly those.
 */
export function mockOrders(step: number): MockOrder[] {
  const order = (id: number, at: number): MockOrder => ({ id, name: `#${1000 + id}`, status: 'new', total: ((id * 37) % 1000) / 10 + 5, updatedAt: iso(at) })
  const orders: MockOrder[] = []
  for (let id = 1; id <= INITIAL_ORDERS; id++) orders.push(order(id, BASE + id * MINUTE))
  for (let s = 1; s <= step; s++) {
    const picked = new Set<number>()
    for (let k = 0; picked.size < CHANGED_PER_STEP; k++) picked.add(((s * 37 + k * 41) % orders.length) + 1)
    let minute = 0
    for (const id of picked) {
      const old = orders[id - 1]!
      const status = STATUSES[Math.min(STATUSES.indexOf(old.status) + 1, STATUSES.length - 1)]!
      orders[id - 1] = { ...old, status, updatedAt: iso(BASE + s * DAY + minute++ * MINUTE) }
    }
    for (let k = 0; k < NEW_PER_STEP; k++) orders.push(order(orders.length + 1, BASE + s * DAY + minute++ * MINUTE))
  }
  return orders
}

/** A running mock API: its endpoint (what `endpoint` gets) and how to stop it. */
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
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => serve(orders, request, body, response))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/graphql`,
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
      tables: (args) => build({ ...args.configuration, [key]: 'http://mock.invalid/graphql' }).tables?.(args) ?? [],
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

function serve(orders: readonly MockOrder[], request: IncomingMessage, body: string, response: ServerResponse): void {
  const reply = (status: number, payload: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(payload))
  }
  const fail = (message: string) => reply(200, { errors: [{ message }] })
  // Any token will do, but one must be sent, as a real API would insist.
  if (!/^Bearer \S/.test(request.headers.authorization ?? '')) return reply(401, { errors: [{ message: 'send Authorization: Bearer <token>' }] })
  if (request.method !== 'POST' || request.url !== '/graphql') return reply(404, { errors: [{ message: `POST your queries to /graphql` }] })
  let query: string
  let variables: Record<string, unknown>
  try {
    const parsed = JSON.parse(body) as { query?: unknown; variables?: Record<string, unknown> }
    if (typeof parsed.query !== 'string') return fail('the body must be JSON { query, variables }')
    query = parsed.query
    variables = parsed.variables ?? {}
  } catch {
    return fail('the body must be JSON { query, variables }')
  }
  const selection = /nodes\s*\{([^}]*)\}/.exec(query)?.[1]?.split(/[\s,]+/).filter(Boolean)
  if (!selection || !/\borders\s*\(/.test(query)) return fail('this mock serves the query orders(first, after, updatedSince) { nodes { … } pageInfo { hasNextPage endCursor } }')
  const unknown = selection.find((field) => !Object.hasOwn(orders[0]!, field))
  if (unknown) return fail(`Cannot query field "${unknown}" on type "Order" (fields: ${Object.keys(orders[0]!).join(', ')})`)
  const first = variables.first ?? 100
  if (!Number.isInteger(first) || (first as number) < 1 || (first as number) > 250) return fail('$first must be an integer from 1 to 250')
  const since = variables.updatedSince ?? null
  const bound = since === null ? -Infinity : Date.parse(String(since))
  if (Number.isNaN(bound)) return fail(`$updatedSince must be an ISO 8601 time, got ${JSON.stringify(since)}`)
  const offset = variables.after == null ? 0 : Number(Buffer.from(String(variables.after), 'base64url').toString())
  if (!Number.isInteger(offset) || offset < 0) return fail('$after must be an endCursor this API returned')
  const orderBy = /\borderBy\s*:\s*(\w+)/.exec(query)?.[1] ?? 'ID'
  if (orderBy !== 'ID' && orderBy !== 'UPDATED_AT') return fail(`orderBy must be ID or UPDATED_AT, got ${orderBy}`)
  // `updatedSince` is inclusive (>=), as most APIs have it.
  const matching = orders
    .filter((order) => Date.parse(order.updatedAt) >= bound)
    .sort((a, b) => (orderBy === 'UPDATED_AT' ? a.updatedAt.localeCompare(b.updatedAt) : 0) || a.id - b.id)
  const page = matching.slice(offset, offset + (first as number))
  const end = offset + page.length
  const nodes = page.map((order) => Object.fromEntries(selection.map((field) => [field, order[field as keyof MockOrder]])))
  reply(200, { data: { orders: { nodes, pageInfo: { hasNextPage: end < matching.length, endCursor: page.length ? Buffer.from(String(end)).toString('base64url') : null } } } })
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
