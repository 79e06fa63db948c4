/**
 * The API the fleet proofs and the fleet bench read: N "items" (ids 1…N, deterministic content, rows
 * kept pre-serialised so serving 400k of them costs string joins), on 127.0.0.1 port 0.
 *
 *   GET /items?after=&before=&limit=   rows with after < id < before, ascending by id, at most `limit` (default 500)
 *   GET /max                           { "max": N }
 *
 * Every response waits `latencyMs` first (a remote API's round trip; the bench uses 50 ms). Requests
 * may carry `x-worker: <name>`: the API remembers which worker asked what (`lastRequestBy`), so a
 * proof can pick a worker that is mid-partition. Runs in this process (`fleetApi`) or in a child of
 * its own (`fleetApiChild`, for the bench: the timed process must not also serve).
 */
import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

/** One item as the API serves it. */
export interface FleetItem {
  readonly id: number
  readonly name: string
  readonly qty: number
}

export interface FleetApiOptions {
  /** Items 1…rows. */
  readonly rows: number
  /** Added before every response, ms. Default 0. */
  readonly latencyMs?: number
}

/** What a worker last asked for. */
export interface WorkerRequest {
  readonly worker: string
  readonly after: number
  readonly before: number | undefined
  /** performance.now() of the request. */
  readonly at: number
  /** Requests in a row this worker made with this same `before` (2 or more: it is inside that range). */
  readonly inRange: number
}

export interface FleetApi {
  readonly url: string
  readonly rows: number
  /** Data requests served so far (`/items`). */
  requests(): number
  /** The last `/items` request of each worker that named itself (`x-worker`). */
  lastRequestBy(): ReadonlyMap<string, WorkerRequest>
  close(): Promise<void>
}

/** Item `id` (deterministic: the proofs rebuild it to compare). */
export function fleetItem(id: number): FleetItem {
  return { id, name: `item-${String(id).padStart(7, '0')}-${(id * 2654435761) % 9973}`, qty: (id * 7919) % 1000 }
}

/**
 * md5 over the items 1…rows as `id:name:qty` joined by `,` in id order: what
 * `md5(string_agg(id::text || ':' || name || ':' || qty::text, ',' ORDER BY id))` gives on a table that equals the source.
 */
export function expectedContentHash(rows: number): string {
  const hash = createHash('md5')
  for (let id = 1; id <= rows; id++) {
    const item = fleetItem(id)
    hash.update(`${id === 1 ? '' : ','}${item.id}:${item.name}:${item.qty}`)
  }
  return hash.digest('hex')
}

/** Starts the API in this process. */
export async function fleetApi(options: FleetApiOptions): Promise<FleetApi> {
  const n = options.rows
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`fleetApi.rows must be a non-negative integer, got ${n}`)
  const latency = options.latencyMs ?? 0
  const json: string[] = ['']
  for (let id = 1; id <= n; id++) json.push(JSON.stringify(fleetItem(id)))
  let count = 0
  const last = new Map<string, WorkerRequest>()
  const sockets = new Set<Socket>()

  const send = (res: ServerResponse, status: number, body: string) => {
    const reply = () => {
      if (res.destroyed) return
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    if (latency > 0) setTimeout(reply, latency)
    else reply()
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/max') return send(res, 200, `{"max":${n}}`)
    if (url.pathname !== '/items') return send(res, 404, '{"error":"not found"}')
    const q = url.searchParams
    const after = Number(q.get('after') ?? 0)
    const before = q.has('before') && q.get('before') !== '' ? Number(q.get('before')) : undefined
    const limit = Number(q.get('limit') ?? 500)
    if (!Number.isInteger(after) || (before !== undefined && !Number.isInteger(before)) || !Number.isInteger(limit) || limit < 1) {
      return send(res, 400, '{"error":"after, before and limit must be integers"}')
    }
    count++
    const worker = req.headers['x-worker']
    if (typeof worker === 'string') {
      const previous = last.get(worker)
      const inRange = previous && previous.before === before ? previous.inRange + 1 : 1
      last.set(worker, { worker, after, before, at: performance.now(), inRange })
    }
    const from = Math.max(1, after + 1)
    const to = Math.min(n, before === undefined ? n : before - 1, after + limit)
    const page: string[] = []
    for (let id = from; id <= to; id++) page.push(json[id]!)
    send(res, 200, `[${page.join(',')}]`)
  })
  server.keepAliveTimeout = 60_000
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    rows: n,
    requests: () => count,
    lastRequestBy: () => last,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The API in a child process of its own (`node --import tsx` this file); `close()` ends the child. */
export async function fleetApiChild(options: FleetApiOptions): Promise<Pick<FleetApi, 'url' | 'rows' | 'close'>> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', String(options.rows), String(options.latencyMs ?? 0)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`fleet API child exited with ${code}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    rows: options.rows,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill()
      await exited
    },
  }
}

if (process.argv[2] === 'serve' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const api = await fleetApi({ rows: Number(process.argv[3]), latencyMs: Number(process.argv[4]) })
  process.send!({ port: Number(new URL(api.url).port) })
  process.on('SIGTERM', () => void api.close().then(() => process.exit(0)))
  process.on('disconnect', () => void api.close().then(() => process.exit(0)))
}
