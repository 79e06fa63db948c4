import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { knownOptions } from '../core/check-option.js'
import { isSluiceError, SluiceError } from '../core/sluice-error.js'
import type { ServeAuth } from './basic-auth.js'
import { createFacts, type Facts, type FactsOptions, type FactsTarget } from './facts.js'
import { fivetranApi } from './fivetran-api.js'
import { redactReplies, replyJson } from './http-reply.js'
import { metricsText } from './metrics.js'
import { pageApi } from './page-api.js'
import { secretRedactor } from './secret-redactor.js'

/** Answers the dashboard's own requests (`/`, `/assets/*`); true when it answered. */
export type PageHandler = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * What {@link startServer} and {@link serveHandler} serve.
 *
 * @example
 * ```ts
 * import type { ServerOptions } from 'sluice/serve'
 * import { sqlite } from 'sluice'
 * const options: ServerOptions = { targets: [{ destination: sqlite({ path: 'warehouse.db' }), label: 'warehouse.db' }], port: 8080 }
 * ```
 */
export interface ServerOptions {
  readonly targets: readonly FactsTarget[]
  /** Interface to bind (default `127.0.0.1`). Any other than loopback needs `auth`. */
  readonly host?: string
  /** TCP port (default 0: any free port; `url` tells which). */
  readonly port?: number
  /** API key and secret (HTTP Basic). Without them, every state-changing call and all of `/v1` answer 401. */
  readonly auth?: ServeAuth
  /** The dashboard page (the `sluice/serve` entry passes the one that ships with sluice). */
  readonly page?: PageHandler
  /** The time (ms since the epoch); tests pass a fixed one. */
  readonly now?: () => number
  /** A fleet (`sluice/bullmq`): its workers and queue depths show on the page and in `/metrics`. */
  readonly fleet?: FactsOptions['fleet']
}

/** A running server: its base URL, its facts, and how to stop it. */
export interface ServerHandle {
  readonly url: string
  readonly facts: Facts
  /** Stops listening, closes open connections and resolves when the server is closed. */
  close(): Promise<void>
}

const SERVER_OPTIONS = { targets: true, host: true, port: true, auth: true, page: true, now: true, fleet: true } as const

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/i

/**
 * The request listener of `sluice serve`, to mount in an existing Node service
 * (`http.createServer(serveHandler(options))`): the dashboard, its JSON under `/api`, the
 * Fivetran-shaped API under `/v1` and `GET /metrics`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { serveHandler } from 'sluice/serve'
 * import { sqlite } from 'sluice'
 * createServer(serveHandler({ targets: [{ destination: sqlite({ path: 'warehouse.db' }), label: 'warehouse.db' }] })).listen(8080, '127.0.0.1')
 * ```
 */
export function serveHandler(options: ServerOptions, facts?: Facts): RequestListener {
  knownOptions(options, SERVER_OPTIONS, 'serveHandler')
  facts ??= factsOf(options)
  const now = options.now ?? Date.now
  const ctx = { facts, auth: options.auth }
  const redact = secretRedactor([...options.targets.flatMap((t) => t.secrets ?? []), ...(options.auth ? [options.auth.key, options.auth.secret] : [])])
  return (req, res) => {
    redactReplies(res, redact)
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (await fivetranApi(req, res, url, ctx)) return
      if (await pageApi(req, res, url, ctx)) return
      if (url.pathname === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
        const text = redact(await metricsText(facts, now()))
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : text)
        return
      }
      if (options.page?.(req, res)) return
      replyJson(res, 404, { code: 'NotFound', message: `nothing at ${url.pathname}` })
    })().catch((error: unknown) => {
      // Only the code goes out: a driver's message may name a host or a user, and answers never carry those.
      const code = isSluiceError(error) ? error.code : 'INTERNAL'
      if (!res.headersSent) replyJson(res, 500, { code: 'InternalError', message: `the server could not answer (${code}); see its log` })
      else res.destroy()
      process.emitWarning(`sluice serve: ${req.method} ${req.url}: ${code}`)
    })
  }
}

function factsOf(options: ServerOptions): Facts {
  return createFacts({ targets: options.targets, ...(options.now ? { now: options.now } : {}), ...(options.fleet ? { fleet: options.fleet } : {}) })
}

/**
 * Checks where a server would listen and with which key, before anything is loaded: a bad port,
 * half a key, or a host other than loopback without a key are `CONFIG_INVALID` naming the option.
 *
 * @example
 * ```ts
 * import { checkListen } from './server.js'
 * checkListen({ host: '127.0.0.1', port: 8080 }) // { host: '127.0.0.1', port: 8080 }
 * ```
 */
export function checkListen(options: Pick<ServerOptions, 'host' | 'port' | 'auth'>): { host: string; port: number } {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new SluiceError({ code: 'CONFIG_INVALID', message: `serve \`port\` must be a whole number from 0 to 65535, got ${String(port)}`, context: { option: 'port' } })
  if (options.auth !== undefined && (typeof options.auth.key !== 'string' || options.auth.key === '' || typeof options.auth.secret !== 'string' || options.auth.secret === '')) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'serve `auth` needs a non-empty key and secret (SLUICE_API_KEY and SLUICE_API_SECRET)', context: { option: 'auth' } })
  }
  if (!LOOPBACK.test(host) && !options.auth) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `serve \`host\` ${host} is not loopback: set an API key and secret (SLUICE_API_KEY and SLUICE_API_SECRET, or serve({ auth })) before binding to the network`,
      context: { option: 'host' },
    })
  }
  return { host, port }
}

/**
 * Starts `sluice serve` over `targets`: binds to `127.0.0.1` unless told otherwise, and refuses
 * (`CONFIG_INVALID`) to bind elsewhere without an API key and secret — a dashboard that pauses
 * connectors is never open to the network by default.
 *
 * @example
 * ```ts
 * import { startServer } from 'sluice/serve'
 * import { sqlite } from 'sluice'
 * const server = await startServer({ targets: [{ destination: sqlite({ path: 'warehouse.db' }), label: 'warehouse.db' }] })
 * console.log(server.url)
 * await server.close()
 * ```
 */
export async function startServer(options: ServerOptions): Promise<ServerHandle> {
  knownOptions(options, SERVER_OPTIONS, 'startServer')
  const { host, port } = checkListen(options)
  const facts = factsOf(options)
  const server = createServer(serveHandler(options, facts))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shown}:${address.port}`,
    facts,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
