/**
 * GraphQL and id-range APIs → sluice, source throughput: N orders (7 columns) served over loopback HTTP by a
 * server in a child process (this file, run with `serve`), pages of 1000 pre-serialised so the server's own
 * cost stays out of the way. The destination is a counting sink (no writes): the rows measure the sources.
 *
 * - GraphQL: a Relay connection (`edges { node }`, `pageInfo`), POST per page. The raw loop is undici + JSON.parse
 *   following `endCursor`, one request at a time; the library row runs `sync(graphql(…) → counting sink)`.
 * - Id ranges: `GET /orders?after&before&limit`. The raw loop pages `after = last id` sequentially;
 *   `idCursor` runs 1000-id ranges with concurrency 8 (one HTTP request per range, via `httpClient`), and
 *   sequentially for comparison. A raw 8-way concurrent loop shows the parallel limit.
 *
 * Every case verifies (untimed) the row count, the id sum and sampled rows against the generated data.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import { httpClient, sync, valueAt, type Batch, type Row, type Sink, type Source, type SyncReport } from '../../src/index.js'
import { RowsMessage } from '../../src/source/op.js'
import { graphql } from '../../src/source/graphql/graphql.js'
import { idCursor } from '../../src/source/id-cursor/id-cursor.js'
import { generateOrders, type Order } from '../harness/generate-orders.js'
import { defineCase, type Scenario } from '../harness/scenario.js'

const PAGE = 1000
/** Added to every response, ms: 0 measures pure overhead; a few ms stands in for a remote API's round trip. */
const LATENCY_MS = Number(process.env.BENCH_API_LATENCY_MS ?? 0)
const SAMPLE = 997 // every 997th id is compared with the generated row
const QUERY = `query Orders($first: Int!, $after: String) {
  orders(first: $first, after: $after) { edges { node { id updated_at email name amount active tags } } pageInfo { hasNextPage endCursor } }
}`

interface Data {
  readonly rows: number
}

interface Prepared {
  readonly url: string
  readonly server: ChildProcess
  readonly seen: Seen
}

/** What a case saw: enough to verify it read every row exactly once, and the right values. */
class Seen {
  count = 0
  idSum = 0
  readonly samples = new Map<number, Row>()
  add(row: Order | Row): void {
    const id = row.id as number
    this.count++
    this.idSum += id
    if (id % SAMPLE === 1) this.samples.set(id, { ...row })
  }
}

// ---------- the server (child process) ----------

function page(rows: readonly Order[], start: number, end: number): Order[] {
  return rows.slice(Math.max(0, start), Math.min(rows.length, end))
}

function graphqlBody(rows: readonly Order[], start: number, first: number): Buffer {
  const slice = page(rows, start, start + first)
  const end = start + slice.length
  return Buffer.from(JSON.stringify({
    data: { orders: { edges: slice.map((node) => ({ node })), pageInfo: { hasNextPage: end < rows.length, endCursor: slice.length ? String(end) : null } } },
  }))
}

async function serve(n: number): Promise<void> {
  const rows = generateOrders(n)
  const gql = new Map<string, Buffer>()
  const rest = new Map<string, Buffer>()
  // Ids are 1…n, so the rows with id > after start at index `after`.
  for (let start = 0; start < n; start += PAGE) {
    gql.set(`${start}:${PAGE}`, graphqlBody(rows, start, PAGE))
    rest.set(`${start}:${start + PAGE}`, Buffer.from(JSON.stringify(page(rows, start, start + PAGE))))
  }
  const send = (res: import('node:http').ServerResponse, body: Buffer) => {
    const reply = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      res.end(body)
    }
    if (LATENCY_MS > 0) setTimeout(reply, LATENCY_MS)
    else reply()
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.method === 'POST' && url.pathname === '/graphql') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables: { first: number; after: string | null } }
        const start = variables.after === null ? 0 : Number(variables.after)
        send(res, gql.get(`${start}:${variables.first}`) ?? graphqlBody(rows, start, variables.first))
      })
      return
    }
    if (url.pathname === '/orders/max') return send(res, Buffer.from(JSON.stringify({ max: n })))
    if (url.pathname === '/orders') {
      const start = Number(url.searchParams.get('after') ?? 0)
      const before = url.searchParams.has('before') ? Number(url.searchParams.get('before')) - 1 : n
      const end = Math.min(start + Number(url.searchParams.get('limit')), before)
      return send(res, rest.get(`${start}:${end}`) ?? Buffer.from(JSON.stringify(page(rows, start, end))))
    }
    res.writeHead(404).end()
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  process.send!({ port: (server.address() as AddressInfo).port })
}

if (process.argv[2] === 'serve' && process.argv[1] === fileURLToPath(import.meta.url)) void serve(Number(process.argv[3]))

// ---------- the cases (bench child) ----------

async function prepare(data: Data): Promise<Prepared> {
  const server = fork(fileURLToPath(import.meta.url), ['serve', String(data.rows)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    server.once('message', (m) => resolve((m as { port: number }).port))
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${port}`, server, seen: new Seen() }
}

async function cleanup(p: Prepared): Promise<void> {
  const exited = new Promise((resolve) => p.server.once('exit', resolve))
  p.server.kill()
  await exited
}

function verify(p: Prepared, data: Data): void {
  const { seen } = p
  const n = data.rows
  if (seen.count !== n) throw new Error(`read ${seen.count} rows, expected ${n}`)
  if (seen.idSum !== (n * (n + 1)) / 2) throw new Error(`id sum ${seen.idSum}, expected ${(n * (n + 1)) / 2}: rows missing or repeated`)
  const orders = generateOrders(n)
  for (const [id, got] of seen.samples) {
    const want = orders[id - 1]!
    for (const [k, v] of Object.entries(want)) {
      if (got[k] !== v) throw new Error(`row ${id} column ${k}: got ${String(got[k])}, expected ${String(v)}`)
    }
  }
  if (seen.samples.size < Math.floor(n / SAMPLE)) throw new Error(`only ${seen.samples.size} sampled rows seen`)
}

/** A sink that only counts (and samples) what reaches it: the cost measured is the source's and sync's. */
function countingSink(seen: Seen): Sink {
  const sample = (batch: Batch) => {
    const id = batch.columns.find((c) => c.name === 'id')!
    for (let i = 0; i < batch.length; i++) {
      const value = valueAt(id, i) as number
      seen.count++
      seen.idSum += value
      if (value % SAMPLE === 1) seen.samples.set(value, Object.fromEntries(batch.columns.map((c) => [c.name, valueAt(c, i)])))
    }
  }
  return {
    name: 'count',
    open: async () => ({}),
    write: async ({ message }) => {
      if (message.kind === 'records') sample(message.batch)
    },
    checkpoint: async () => {},
    close: async () => {},
  }
}

function expectSucceeded(report: SyncReport): void {
  if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.code} ${report.error?.message}`)
}

/** The hand-written GraphQL loop: POST, parse, follow endCursor. */
async function rawGraphql(p: Prepared): Promise<void> {
  const agent = new Agent({ connections: 1 })
  try {
    for (let after: string | null = null; ; ) {
      const res = await request(`${p.url}/graphql`, {
        method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUERY, variables: { first: PAGE, after } }),
      })
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
      const body = JSON.parse(await res.body.text()) as { data: { orders: { edges: { node: Order }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } }
      const { edges, pageInfo } = body.data.orders
      for (const edge of edges) p.seen.add(edge.node)
      if (!pageInfo.hasNextPage) break
      after = pageInfo.endCursor
    }
  } finally {
    await agent.close()
  }
}

/** The hand-written id loop: `after = last id`, one request at a time, or `workers` ranges at once. */
async function rawIds(p: Prepared, data: Data, workers: number): Promise<void> {
  const agent = new Agent({ connections: workers })
  const get = async (after: number, before?: number): Promise<Order[]> => {
    const res = await request(`${p.url}/orders?after=${after}&limit=${PAGE}${before === undefined ? '' : `&before=${before}`}`, { dispatcher: agent })
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
    return JSON.parse(await res.body.text()) as Order[]
  }
  try {
    if (workers === 1) {
      for (let after = 0; ; ) {
        const rows = await get(after)
        for (const r of rows) p.seen.add(r)
        if (rows.length < PAGE) break
        after = rows.at(-1)!.id
      }
      return
    }
    // Ranges handed out in order; each worker adds its rows (order does not matter to the checks).
    let next = 0
    await Promise.all(Array.from({ length: workers }, async () => {
      for (let after = next; after < data.rows; after = next) {
        next += PAGE
        for (const r of await get(after, after + PAGE + 1)) p.seen.add(r)
      }
    }))
  } finally {
    await agent.close()
  }
}

/** The source alone, without sync or batches: the rows it yields, counted as plain objects. */
async function drain(source: Source, seen: Seen): Promise<void> {
  const read = source.read({ state: undefined, signal: new AbortController().signal, configuration: {}, recordError: () => {} })
  for await (const message of read) {
    if (message instanceof RowsMessage) for (const row of message.rows) seen.add(row as Row)
  }
}

function graphqlSource(p: Prepared): Source {
  return graphql({ endpoint: `${p.url}/graphql`, query: QUERY, connection: 'data.orders', pageSize: PAGE, table: 'orders', primaryKey: ['id'] })
}

async function libraryIds(p: Prepared, concurrency: number | undefined, alone = false): Promise<void> {
  const api = httpClient({ baseUrl: p.url, connections: concurrency ?? 1 })
  try {
    const source = idCursor({
      table: 'orders',
      primaryKey: ['id'],
      ...(concurrency === undefined
        ? {}
        : { span: PAGE, concurrency, maxId: async ({ signal }) => (await api.requestJson<{ max: number }>({ path: '/orders/max', signal })).data.max }),
      fetch: async ({ after, before, size, signal }) => (await api.requestJson<Order[]>({ path: '/orders', query: { after, before, limit: size }, signal })).data,
    })
    if (alone) await drain(source, p.seen)
    else expectSucceeded(await sync({ destination: countingSink(p.seen), source }))
  } finally {
    await api.close()
  }
}

const scenario: Scenario<Data> = {
  name: 'graphql-idcursor',
  title: 'GraphQL connection and id-range API (child process, loopback) → counting sink, pages of 1000, 7 mixed columns',
  baseline: 'raw-graphql',
  generate: (rows) => ({ rows }),
  settings: () =>
    `${PAGE} rows/page · server: this file in a child process, pages pre-serialised, ${LATENCY_MS} ms added latency (BENCH_API_LATENCY_MS) · destination: a counting sink (no writes), so the rows measure source + sync · ` +
    `idCursor ranges of ${PAGE} ids (one request each) · compare the idCursor rows with the raw id loops, not with the GraphQL baseline`,
  cases: [
    defineCase<Data, Prepared>({ name: 'raw-graphql', label: 'raw loop: GraphQL POST + JSON.parse, sequential', kind: 'raw', prepare, run: (p) => rawGraphql(p), verify, cleanup }),
    defineCase<Data, Prepared>({
      name: 'graphql',
      label: 'sluice sync(graphql → counting sink)',
      kind: 'library',
      prepare,
      async run(p) {
        expectSucceeded(await sync({
          destination: countingSink(p.seen),
          source: graphqlSource(p),
        }))
      },
      verify,
      cleanup,
    }),
    defineCase<Data, Prepared>({ name: 'graphql-source', label: 'sluice graphql source alone (rows, no batches)', kind: 'library', prepare, run: (p) => drain(graphqlSource(p), p.seen), verify, cleanup }),
    defineCase<Data, Prepared>({ name: 'raw-ids', label: 'raw loop: GET after=last id + JSON.parse, sequential', kind: 'raw', prepare, run: (p, d) => rawIds(p, d, 1), verify, cleanup }),
    defineCase<Data, Prepared>({ name: 'raw-ids-8', label: 'raw loop: 8 id ranges at once', kind: 'raw', prepare, run: (p, d) => rawIds(p, d, 8), verify, cleanup }),
    defineCase<Data, Prepared>({ name: 'idcursor', label: 'sluice sync(idCursor sequential → counting sink)', kind: 'library', prepare, run: (p) => libraryIds(p, undefined), verify, cleanup }),
    defineCase<Data, Prepared>({ name: 'idcursor-8', label: 'sluice sync(idCursor, 8 ranges → counting sink)', kind: 'library', prepare, run: (p) => libraryIds(p, 8), verify, cleanup }),
    defineCase<Data, Prepared>({ name: 'idcursor-8-source', label: 'sluice idCursor source alone, 8 ranges (rows, no batches)', kind: 'library', prepare, run: (p) => libraryIds(p, 8, true), verify, cleanup }),
  ],
}

export default scenario
