/**
 * A REST API on 127.0.0.1 (port 0) whose rows change while it is paged: before answering each data request it
 * updates some rows (updated_at bumped to the API's clock), inserts some and hard-deletes some, until a budget of
 * changes is spent. Used to prove that incremental paging loses no row (test/source/rest/moving-api.test.ts and
 * the SIGKILL child test/support/moving-child.ts).
 *
 * `GET /{style}/orders`, filtered by `updated_since` (>=), ordered by `sort=updated_at` (updated_at, then id) or by
 * id (no `sort`), paged by `{style}`:
 *   offset        offset & limit
 *   page          page & per_page (1-based)
 *   cursor        limit, `cursor` ← meta.next_cursor: a keyset token (continues after the last row returned)
 *   cursor-offset limit, `cursor` ← meta.next_cursor: a token that encodes a row offset (like many APIs do)
 *   link          per_page, Link rel="next" with `page=N+1` (GitHub-style: a page number)
 *   link-keyset   limit, Link rel="next" with `after=<keyset token>` (Shopify-style)
 *   next          limit, body `next` URL with `page=N+1` (Django REST framework style)
 *   next-keyset   limit, body `next` URL with `after=<keyset token>`
 * Every response: `{ data: [...], meta: { total, has_more, next_cursor }, next }`, and a `Date` header from the
 * same clock as updated_at (changes are stamped after the Date of any earlier response, as a real API would).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { localServer, type LocalServer } from '../http/local-server.js'
import { prng } from './crash-source.js'

export interface MovingApiOptions {
  /** Rows 1…n at the start. Default 20_000. */
  readonly rows?: number
  /** Rows per initial updated_at value. Default 3. */
  readonly tie?: number
  /** One run of ids sharing a single updated_at (a group larger than a page): [first id, count]. Default none. */
  readonly bigTie?: readonly [number, number]
  /** Changes made before each data request, until `budget` is spent. Default { updates: 6, inserts: 2, deletes: 2 }. */
  readonly perRequest?: Churn
  /** Changes in all. Default { updates: 500, inserts: 100, deletes: 100 }. */
  readonly budget?: Churn
  /** PRNG seed of which rows change. Default 1. */
  readonly seed?: number
  /** Ids [first, first + count) that half of the changes go to while any of them is left. Default none. */
  readonly hot?: readonly [number, number]
}

export interface Churn {
  readonly updates: number
  readonly inserts: number
  readonly deletes: number
}

export interface MovingApi {
  readonly url: string
  /** The rows as the API holds them now, by id. */
  rows(): Map<number, Record<string, unknown>>
  /** Ids hard-deleted so far. */
  readonly deleted: ReadonlySet<number>
  /** Changes made so far. */
  readonly made: Churn
  /** Data requests answered so far. */
  readonly requests: number
  /** Path and query of every data request, in order. */
  readonly log: readonly string[]
  /** Called before each data request is answered (after its changes), with the request's number (1-based). */
  onRequest: ((n: number) => void) | undefined
  /** Stops changing rows. */
  freeze(): void
  close(): Promise<void>
}

const STYLES = new Set(['offset', 'page', 'cursor', 'cursor-offset', 'link', 'link-keyset', 'next', 'next-keyset'])

/** Starts the API in this process. */
export async function movingApi(options: MovingApiOptions = {}): Promise<MovingApi> {
  const perRequest = options.perRequest ?? { updates: 6, inserts: 2, deletes: 2 }
  const budget = { ...(options.budget ?? { updates: 500, inserts: 100, deletes: 100 }) }
  const rand = prng(options.seed ?? 1)
  const tie = options.tie ?? 3
  const n0 = options.rows ?? 20_000
  const at = new Map<number, number>() // id → updated_at, ms
  const version = new Map<number, number>()
  const json = new Map<number, string>()
  const live: number[] = [] // ids, for sampling
  const slot = new Map<number, number>() // id → index in `live`
  const deleted = new Set<number>()
  const made = { updates: 0, inserts: 0, deletes: 0 }
  let byCursor: number[] = [] // ids by (updated_at, id)
  let byId: number[] = [] // ids ascending
  let nextId = n0 + 1
  const base = Date.now() - 30 * 86_400_000
  let clock = 0

  const put = (id: number, ms: number, v: number) => {
    at.set(id, ms)
    version.set(id, v)
    json.set(id, JSON.stringify(row(id, ms, v)))
    clock = Math.max(clock, ms)
  }
  for (let id = 1; id <= n0; id++) {
    const [first, count] = options.bigTie ?? [0, 0]
    const group = id >= first && id < first + count ? first : id
    put(id, base + Math.floor((group - 1) / tie) * 1000, 0)
    slot.set(id, live.length)
    live.push(id)
  }
  byCursor = [...live].sort((a, b) => at.get(a)! - at.get(b)! || a - b)
  byId = [...live]

  const pick = (): number => {
    if (options.hot && rand() < 0.5) {
      const [first, count] = options.hot
      for (let tries = 0; tries < 20; tries++) {
        const id = first + Math.floor(rand() * count)
        if (slot.has(id)) return id
      }
    }
    return live[Math.floor(rand() * live.length)]!
  }
  const drop = (list: number[], id: number) => {
    const i = list.indexOf(id)
    if (i >= 0) list.splice(i, 1)
  }
  const churn = () => {
    const k = { updates: Math.min(perRequest.updates, budget.updates), inserts: Math.min(perRequest.inserts, budget.inserts), deletes: Math.min(perRequest.deletes, budget.deletes) }
    if (k.updates + k.inserts + k.deletes === 0) return
    const now = Math.max(clock + 1, Date.now()) // one stamp for this request's changes: they tie
    const updated = new Set<number>()
    while (updated.size < Math.min(k.updates, live.length)) updated.add(pick())
    for (const id of [...updated].sort((a, b) => a - b)) {
      put(id, now, version.get(id)! + 1)
      drop(byCursor, id)
      byCursor.push(id)
    }
    for (let i = 0; i < k.deletes && live.length > 0; i++) {
      const id = pick()
      const s = slot.get(id)!
      const last = live.pop()!
      if (last !== id) {
        live[s] = last
        slot.set(last, s)
      }
      slot.delete(id)
      at.delete(id)
      json.delete(id)
      deleted.add(id)
      drop(byCursor, id)
      drop(byId, id)
    }
    for (let i = 0; i < k.inserts; i++) {
      const id = nextId++
      put(id, now, 0)
      slot.set(id, live.length)
      live.push(id)
      byCursor.push(id)
      byId.push(id)
    }
    budget.updates -= k.updates
    budget.inserts -= k.inserts
    budget.deletes -= k.deletes
    made.updates += k.updates
    made.inserts += k.inserts
    made.deletes += k.deletes
  }

  // Keyset tokens name the last row returned; the next page is what sorts after it.
  const token = (id: number, sort: string | null) => Buffer.from(sort === 'updated_at' ? `${at.get(id)}:${id}` : `${id}`).toString('base64url')
  const after = (ids: number[], text: string, sort: string | null): number => {
    const [a, b] = Buffer.from(text, 'base64url').toString().split(':').map(Number)
    const later = sort === 'updated_at' ? (id: number) => at.get(id)! > a! || (at.get(id)! === a && id > b!) : (id: number) => id > a!
    let lo = 0
    let hi = ids.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (later(ids[mid]!)) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  let requests = 0
  const log: string[] = []
  let frozen = false
  const api: MovingApi = {
    url: '',
    rows: () => new Map([...json].map(([id, text]) => [id, JSON.parse(text) as Record<string, unknown>])),
    deleted,
    made,
    get requests() {
      return requests
    },
    log,
    onRequest: undefined,
    freeze: () => void (frozen = true),
    close: () => server.close(),
  }

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const m = /^\/([a-z-]+)\/orders$/.exec(url.pathname)
    if (!m || !STYLES.has(m[1]!)) return send(res, 404, '{"error":"not found"}')
    const style = m[1]!
    const q = url.searchParams
    if (!frozen) churn()
    requests++
    log.push(`${url.pathname}${url.search}`)
    api.onRequest?.(requests)
    const sort = q.get('sort')
    const order = sort === 'updated_at' ? byCursor : byId
    const since = q.get('updated_since')
    const bound = since === null ? Number.NEGATIVE_INFINITY : Date.parse(since)
    if (Number.isNaN(bound)) return send(res, 400, `{"error":"updated_since must be an ISO time, got ${JSON.stringify(since)}"}`)
    const view = since === null ? order : order.filter((id) => at.get(id)! >= bound)
    const limit = Number(q.get('limit') ?? q.get('per_page') ?? 100)
    let start = 0
    if (style === 'offset') start = Number(q.get('offset') ?? 0)
    else if (style === 'page' || style === 'link' || style === 'next') start = (Number(q.get('page') ?? 1) - 1) * limit
    else if (style === 'cursor-offset') start = Number(Buffer.from(q.get('cursor') ?? '', 'base64url').toString() || 0)
    else {
      const t = style === 'cursor' ? q.get('cursor') : q.get('after')
      start = t ? after(view, t, sort) : 0
    }
    const ids = view.slice(start, start + limit)
    const more = start + ids.length < view.length
    const last = ids.at(-1)
    const keyset = last === undefined ? undefined : token(last, sort)
    const nextCursor = !more ? null : style === 'cursor-offset' ? Buffer.from(String(start + ids.length)).toString('base64url') : keyset
    let next: string | null = null
    if (more && (style.startsWith('link') || style.startsWith('next'))) {
      const p = new URLSearchParams(q)
      if (style.endsWith('keyset')) p.set('after', keyset!)
      else p.set('page', String(Number(q.get('page') ?? 1) + 1))
      next = `http://${req.headers.host}${url.pathname}?${p}`
    }
    const headers: Record<string, string> = { date: new Date(Math.max(clock, Date.now())).toUTCString() }
    if (style.startsWith('link') && next) headers['link'] = `<${next}>; rel="next"`
    const body = `{"data":[${ids.map((id) => json.get(id)).join(',')}],"meta":{"total":${view.length},"has_more":${more},"next_cursor":${JSON.stringify(nextCursor ?? null)}},"next":${JSON.stringify(style.startsWith('next') ? next : null)}}`
    send(res, 200, body, headers)
  }

  const server: LocalServer = await localServer((req, res) => serve(req, res))
  return Object.assign(api, { url: server.url })
}

/** The row the API serves for `id` at `ms`, version `v`. */
export function row(id: number, ms: number, v: number): Record<string, unknown> {
  return { id, updated_at: new Date(ms).toISOString(), name: `order ${id}${v > 0 ? ` v${v}` : ''}`, version: v, amount: ((id * 7919) % 100_000) / 100 }
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(text)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(buf.length), ...headers })
  res.end(buf)
}

/** Ids of the API's rows missing from `dest` (lost) or there in an older version (stale), and rows the API never had. */
export function compareRows(api: MovingApi, dest: Iterable<Record<string, unknown>>): { lost: number[]; stale: number[]; unknown: number[] } {
  const want = api.rows()
  const got = new Map<number, Record<string, unknown>>()
  for (const r of dest) got.set(Number(r['id']), r)
  const lost: number[] = []
  const stale: number[] = []
  const unknown: number[] = []
  for (const [id, row] of want) {
    const d = got.get(id)
    if (!d) lost.push(id)
    else if (Number(d['version']) !== row['version'] || d['name'] !== row['name'] || Date.parse(String(d['updated_at'])) !== Date.parse(String(row['updated_at']))) stale.push(id)
  }
  // Rows deleted by the API stay in the destination: an updated_since query can't report a hard delete.
  for (const id of got.keys()) if (!want.has(id) && !api.deleted.has(id)) unknown.push(id)
  return { lost, stale, unknown }
}
