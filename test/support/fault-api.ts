/**
 * A deterministic REST API on 127.0.0.1 (port 0) for tests and the bench: N "orders" rows × 7 columns (id, updated_at,
 * email, name, amount, active, tags), served in every pagination style, filterable by `updated_since` (>=), in id,
 * cursor or shuffled order, with faults injected by request number. Rows are kept as pre-serialised JSON so a page of
 * 1000 costs a string join, fast enough to serve 1M rows for the bench (there it runs in a child process: `faultApiChild`).
 *
 * Endpoints (`{style}` = offset | page | cursor | link | next):
 *   GET /{style}/orders                 offset&limit | page&per_page | cursor&limit | page&per_page (+Link) | page&limit (+body.next)
 *   GET /{style}/orders/{id}/lines      that order's 1–3 lines, same styles
 *   POST /token                         OAuth2 client credentials (when `auth.oauth` is set)
 * Every data response: { data: [...], meta: { total, pages, has_more, next_cursor }, next }.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: number; readonly retryAfterDate?: number }
  | { readonly kind: 'reset' } // headers and half the body, then the socket is destroyed
  | { readonly kind: 'truncate' } // a complete response whose JSON is cut in half
  | { readonly kind: 'slow'; readonly ms: number } // answers after `ms`
  | { readonly kind: 'empty' } // a valid page with no records (and no next)
  | { readonly kind: 'repeatCursor' } // the page's next cursor / link / URL is the one just requested
  | { readonly kind: 'ignoreParams' } // serves the first page whatever the request asked
  | { readonly kind: 'expireToken' } // invalidates issued OAuth tokens and answers 401
  | { readonly kind: 'run'; readonly fn: () => void } // runs `fn` (e.g. update rows), then serves normally

export interface FaultApiOptions {
  /** Rows 1…n. Default 100. */
  readonly rows?: number
  /** 'id' (default), 'cursor' (updated_at then id) or 'shuffled' (a fixed permutation: unsorted by cursor). */
  readonly order?: 'id' | 'cursor' | 'shuffled'
  /** Rows per updated_at value (ties). Default 1. */
  readonly tie?: number
  /** 'ms': 2026-01-01T00:00:01.000Z (default); 'micro': microseconds with a +02:00 offset. */
  readonly format?: 'ms' | 'micro'
  /** Largest page the API serves, whatever `limit` asks. Default 1_000_000. */
  readonly maxLimit?: number
  /** Next links/URLs as paths instead of absolute URLs. Default false. */
  readonly relativeLinks?: boolean
  readonly auth?: { readonly bearer?: string; readonly apiKey?: string; readonly oauth?: { readonly clientId: string; readonly clientSecret: string } }
}

export interface LoggedRequest {
  readonly n: number
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly fault?: Fault['kind']
}

export interface FaultApi {
  readonly url: string
  readonly log: LoggedRequest[]
  /** Injects `fault` into data request number `n` (1-based, counted from the start or the last `resetLog`). */
  fault(n: number, fault: Fault): void
  /** Injects `fault` into the first request that `match` accepts (when concurrent requests make numbers racy). */
  faultWhen(match: (request: { readonly path: string; readonly query: Readonly<Record<string, string>> }) => boolean, fault: Fault): void
  /** The rows as the API holds them now, ordered by id. */
  rows(): Record<string, unknown>[]
  /** Bumps rows to a new version: updated_at = now (past every other value) and a new name. */
  update(ids: readonly number[]): void
  /** Adds `count` rows with new ids, updated_at = now. */
  insert(count: number): void
  /** Removes the updated_at field of these rows. */
  dropCursor(ids: readonly number[]): void
  /** OAuth tokens issued so far. */
  readonly tokens: string[]
  resetLog(): void
  openSockets(): number
  close(): Promise<void>
}

const BASE_MS = Date.UTC(2026, 0, 1)
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken']
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson']
const TAGS = ['priority', 'wholesale', 'retail', 'eu', 'us', 'gift']

/** Microseconds since the epoch of ISO text (offsets, up to 6 fraction digits); NaN when unparsable. */
export function isoMicros(text: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text)
  if (!m) return Date.parse(text) * 1000
  const digits = (m[2] ?? '').padEnd(6, '0').slice(0, 6)
  return Date.parse(`${m[1]}.${digits.slice(0, 3)}${m[3] ?? 'Z'}`) * 1000 + Number(digits.slice(3))
}

function formatMicros(micros: number, format: 'ms' | 'micro'): string {
  const ms = Math.floor(micros / 1000)
  if (format === 'ms') return new Date(ms).toISOString()
  const local = new Date(ms + 2 * 3_600_000).toISOString().slice(0, 23) // shown at +02:00
  return `${local}${String(micros % 1000).padStart(3, '0')}+02:00`
}

/** Microseconds of row `id`'s first version: one second per `tie` rows from 2026-01-01, plus a sub-ms part in 'micro' format. */
export function initialMicros(id: number, tie = 1, format: 'ms' | 'micro' = 'ms'): number {
  return BASE_MS * 1000 + Math.floor((id - 1) / tie) * 1_000_000 + (format === 'micro' ? (id % 997) + 1 : 0)
}

/** The row the API serves for `id` at `micros` and `version` (deterministic: tests and the bench rebuild it to compare). */
export function orderRow(id: number, micros: number, version = 0, format: 'ms' | 'micro' = 'ms'): Record<string, unknown> {
  return {
    id,
    updated_at: formatMicros(micros, format),
    email: `user${String(id).padStart(7, '0')}@mail.io`,
    name: `${FIRST[id % FIRST.length]} ${LAST[(id * 7) % LAST.length]}${version > 0 ? ` v${version}` : ''}`,
    amount: ((id * 7919) % 1_000_000) / 100,
    active: id % 3 !== 0,
    tags: [TAGS[id % TAGS.length], TAGS[(id >> 2) % TAGS.length]],
  }
}

/** Starts the API in this process. */
export async function faultApi(options: FaultApiOptions = {}): Promise<FaultApi> {
  const format = options.format ?? 'ms'
  const tie = options.tie ?? 1
  const maxLimit = options.maxLimit ?? 1_000_000
  const objects: (Record<string, unknown> | undefined)[] = [undefined] // index = id
  const json: string[] = ['']
  const at: number[] = [0] // micros, NaN = no cursor
  let clock = 0
  const put = (id: number, micros: number, version: number, cursor = true) => {
    const row = orderRow(id, micros, version, format)
    if (!cursor) delete row.updated_at
    objects[id] = row
    json[id] = JSON.stringify(row)
    at[id] = cursor ? micros : Number.NaN
    if (cursor) clock = Math.max(clock, micros)
  }
  // Changes are stamped with the wall clock, as a real API would: after the Date header of any earlier response.
  const now = () => Math.max(clock + 1000, Date.now() * 1000)
  const versions: number[] = [0]
  const n0 = options.rows ?? 100
  for (let id = 1; id <= n0; id++) {
    versions[id] = 0
    put(id, initialMicros(id, tie, format), 0)
  }
  let order: number[] = []
  let views = new Map<string, number[]>()
  const reorder = () => {
    const ids = Array.from({ length: json.length - 1 }, (_, i) => i + 1)
    if (options.order === 'cursor') ids.sort((a, b) => (at[a]! - at[b]! || a - b) || 0)
    if (options.order === 'shuffled') ids.sort((a, b) => ((a * 2654435761) % 1009) - ((b * 2654435761) % 1009) || a - b)
    order = ids
    views = new Map()
  }
  reorder()
  const view = (since: string | undefined): number[] => {
    const key = since ?? ''
    let v = views.get(key)
    if (!v) {
      const bound = since === undefined ? Number.NEGATIVE_INFINITY : isoMicros(since)
      v = since === undefined ? order : order.filter((id) => Number.isNaN(at[id]!) || at[id]! >= bound)
      views.set(key, v)
    }
    return v
  }

  const faults = new Map<number, Fault>()
  const matched: { match: Parameters<FaultApi['faultWhen']>[0]; fault: Fault }[] = []
  const log: LoggedRequest[] = []
  const tokens: string[] = []
  const valid = new Set<string>()
  let count = 0
  const sockets = new Set<Socket>()

  const authorised = (req: IncomingMessage, query: URLSearchParams): boolean => {
    const auth = options.auth
    if (!auth) return true
    const header = req.headers.authorization ?? ''
    if (auth.bearer !== undefined) return header === `Bearer ${auth.bearer}`
    if (auth.apiKey !== undefined) return query.get('api_key') === auth.apiKey || req.headers['x-api-key'] === auth.apiKey
    if (auth.oauth) return header.startsWith('Bearer ') && valid.has(header.slice(7))
    return true
  }

  const issueToken = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const o = options.auth?.oauth
    const basic = Buffer.from(`${o?.clientId}:${o?.clientSecret}`).toString('base64')
    const form = new URLSearchParams(body)
    const ok = o && (req.headers.authorization === `Basic ${basic}` || (form.get('client_id') === o.clientId && form.get('client_secret') === o.clientSecret))
    if (!ok) return send(res, 401, '{"error":"invalid_client"}')
    const token = `tok-${tokens.length + 1}-${'x'.repeat(12)}`
    tokens.push(token)
    valid.add(token)
    send(res, 200, JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }))
  }

  const serve = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.method === 'POST' && url.pathname === '/token') return issueToken(req, body, res)
    const n = ++count
    const query = Object.fromEntries(url.searchParams)
    const hit = matched.findIndex((m) => m.match({ path: url.pathname, query }))
    const fault = faults.get(n) ?? (hit >= 0 ? matched.splice(hit, 1)[0]!.fault : undefined)
    log.push({ n, path: url.pathname, query, ...(fault ? { fault: fault.kind } : {}) })
    if (fault?.kind === 'run') fault.fn()
    if (fault?.kind === 'expireToken') {
      valid.clear()
      return send(res, 401, '{"error":"token expired"}')
    }
    if (!authorised(req, url.searchParams)) return send(res, 401, '{"error":"unauthorised"}')
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = {}
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter)
      if (fault.retryAfterDate !== undefined) {
        const now = Math.floor(Date.now() / 1000) * 1000
        headers['date'] = new Date(now).toUTCString()
        headers['retry-after'] = new Date(now + fault.retryAfterDate * 1000).toUTCString()
      }
      return send(res, fault.status, '{"error":"injected"}', headers)
    }
    const m = /^\/(offset|page|cursor|link|next)\/orders(?:\/(\d+)\/lines)?$/.exec(url.pathname)
    if (!m) return send(res, 404, '{"error":"not found"}')
    const style = m[1]!
    const params = fault?.kind === 'ignoreParams' ? new URLSearchParams() : url.searchParams
    const page = m[2] ? linesPage(Number(m[2]), style, params) : ordersPage(style, params)
    let next = page.next
    if (fault?.kind === 'repeatCursor') next = { ...next, cursor: params.get('cursor') ?? '', url: url.pathname + url.search }
    if (fault?.kind === 'empty') {
      page.rows = []
      next = { more: false }
    }
    const base = options.relativeLinks ? '' : `http://${req.headers.host}`
    const nextUrl = next.url !== undefined ? `${base}${next.url}` : null
    const text = `{"data":[${page.rows.join(',')}],"meta":{"total":${page.total},"pages":${page.pages},"has_more":${next.more},"next_cursor":${next.cursor ? JSON.stringify(next.cursor) : 'null'}},"next":${JSON.stringify(nextUrl)}}`
    const headers: Record<string, string> = {}
    if (style === 'link' && nextUrl) headers['link'] = `<${nextUrl}>; rel="next"; title="next, please", <${url.pathname}?page=1>; rel="first"`
    if (fault?.kind === 'truncate') return send(res, 200, text.slice(0, text.length >> 1), headers)
    if (fault?.kind === 'reset') {
      const buf = Buffer.from(text)
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(buf.length) })
      res.write(buf.subarray(0, buf.length >> 1))
      return void setTimeout(() => res.socket?.destroy(), 5)
    }
    if (fault?.kind === 'slow') return void setTimeout(() => !res.destroyed && send(res, 200, text, headers), fault.ms).unref()
    send(res, 200, text, headers)
  }

  interface Served { rows: string[]; total: number; pages: number; next: { more: boolean; cursor?: string; url?: string } }

  const ordersPage = (style: string, q: URLSearchParams): Served => {
    const v = view(q.get('updated_since') ?? undefined)
    const limit = Math.min(maxLimit, Number(q.get('limit') ?? q.get('per_page') ?? 100))
    let start: number
    if (style === 'offset') start = Number(q.get('offset') ?? 0)
    else if (style === 'cursor') start = cursorStart(v, q.get('cursor'))
    else start = (Number(q.get('page') ?? 1) - 1) * limit
    const ids = v.slice(start, start + limit)
    const more = start + ids.length < v.length
    const rows = ids.map((id) => json[id]!)
    const rest = new URLSearchParams(q)
    rest.set('page', String(Number(q.get('page') ?? 1) + 1))
    const last = ids.at(-1)
    return {
      rows,
      total: v.length,
      pages: Math.ceil(v.length / limit),
      next: {
        more,
        ...(more && last !== undefined ? { cursor: cursorToken(last, start + ids.length) } : {}),
        ...(more && (style === 'link' || style === 'next') ? { url: `/${style}/orders?${rest}` } : {}),
      },
    }
  }

  // Keyset tokens for sorted orders (rows updated meanwhile cannot shift a later row into read pages); positions otherwise.
  const cursorToken = (lastId: number, position: number) =>
    Buffer.from(options.order === 'shuffled' ? `p:${position}` : `k:${at[lastId]}:${lastId}`).toString('base64url')
  const cursorStart = (v: number[], token: string | null): number => {
    if (!token) return 0
    const [kind, a, b] = Buffer.from(token, 'base64url').toString().split(':')
    if (kind === 'p') return Number(a)
    const after = (id: number) => (options.order === 'cursor' ? at[id]! > Number(a) || (at[id]! === Number(a) && id > Number(b)) : id > Number(b))
    let lo = 0
    let hi = v.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (after(v[mid]!)) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  const linesPage = (id: number, style: string, q: URLSearchParams): Served => {
    const all = objects[id] ? Array.from({ length: (id % 3) + 1 }, (_, k) => JSON.stringify({ line_id: id * 10 + k, sku: `sku-${k}`, qty: k + 1 })) : []
    const limit = Number(q.get('limit') ?? q.get('per_page') ?? 100)
    const start = style === 'offset' ? Number(q.get('offset') ?? 0) : style === 'cursor' ? Number(q.get('cursor') ?? 0) : (Number(q.get('page') ?? 1) - 1) * limit
    const rows = all.slice(start, start + limit)
    const more = start + rows.length < all.length
    const rest = new URLSearchParams(q)
    rest.set('page', String(Number(q.get('page') ?? 1) + 1))
    return { rows, total: all.length, pages: Math.ceil(all.length / limit), next: { more, ...(more ? { cursor: String(start + rows.length), url: `/${style}/orders/${id}/lines?${rest}` } : {}) } }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => serve(req, res, Buffer.concat(chunks).toString('utf8')))
  })
  server.keepAliveTimeout = 10_000
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    log,
    tokens,
    fault: (n, fault) => void faults.set(n, fault),
    faultWhen: (match, fault) => void matched.push({ match, fault }),
    rows: () => objects.filter((o): o is Record<string, unknown> => o !== undefined).map((o) => structuredClone(o)),
    update(ids) {
      for (const id of ids) put(id, now(), ++versions[id]!)
      reorder()
    },
    insert(k) {
      for (let i = 0; i < k; i++) {
        const id = json.length
        versions[id] = 0
        put(id, now(), 0)
      }
      reorder()
    },
    dropCursor(ids) {
      for (const id of ids) put(id, at[id]!, versions[id]!, false)
      reorder()
    },
    resetLog() {
      log.length = 0
      count = 0
      faults.clear()
      matched.length = 0
    },
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(text)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(buf.length), ...headers })
  res.end(buf)
}

const CHILD_FLAG = '--fault-api-child'

/** Starts the API in a child process (its own event loop and core), e.g. for the bench; `close` stops it. */
export function faultApiChild(options: FaultApiOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`fault API child exited with code ${code} before listening`)))
    child.once('message', (message) => {
      child.removeAllListeners('exit')
      resolve({
        url: (message as { url: string }).url,
        close: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done())
            child.kill()
          }),
      })
    })
  })
}

if (process.argv[2] === CHILD_FLAG && process.send) {
  const api = await faultApi(JSON.parse(process.argv[3] ?? '{}') as FaultApiOptions)
  process.send({ url: api.url })
}
