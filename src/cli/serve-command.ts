import { checkListen, startServer } from '../serve/server.js'
import { servePage } from '../serve/page/serve-page.js'
import type { ServeAuth } from '../serve/basic-auth.js'
import { SluiceError } from '../core/sluice-error.js'
import type { CliIo } from './cli-io.js'
import { parseArgs, usage } from './parse-args.js'
import { resolveServeTargets, type ServeTarget } from './serve-targets.js'

/** Help for `sluice serve`. */
export const SERVE_HELP = `Usage: sluice serve [dir…] [--warehouse file] [--fleet fleet-file [--redis url]] [--port n] [--host h]

A monitoring server over connector folders (dir/connector.ts with dir/files/warehouse.db, as
sluice debug makes; default: the current directory) and a warehouse file (--warehouse: any
SQLite or DuckDB file a sync wrote, read only): the dashboard at /, the Fivetran-shaped REST API
under /v1 (connectors, connections), and /metrics (Prometheus text). A folder's connector can be
synced, paused and resumed from the page and the API.

--fleet  a fleet file (see sluice worker): its workers and queue depths, and its connectors' destinations (read only)
--redis  the fleet's Redis (default: the file's \`redis\` export, else $SLUICE_REDIS)
--port   TCP port (default 8787; 0 picks a free one)
--host   interface to bind (default 127.0.0.1); any other needs an API key

SLUICE_API_KEY, SLUICE_API_SECRET  the API key and secret (HTTP Basic, as Fivetran's API).
        Without them the server only reads: the /v1 API, syncs, pauses and resumes answer 401.
`

/** The default port of `sluice serve`. */
export const DEFAULT_PORT = 8787

/**
 * `sluice serve [dir…] [--warehouse file] [--port n] [--host h]`: starts the server, prints its
 * URL and runs until SIGINT / SIGTERM, then closes it and resolves to 0.
 *
 * @example
 * ```ts
 * import { serveCommand } from './serve-command.js'
 * import { processIo } from './cli-io.js'
 * process.exitCode = await serveCommand(['my_connector', '--port', '8080'], processIo())
 * ```
 */
export async function serveCommand(argv: readonly string[], io: CliIo, stop: Promise<unknown> = signalled()): Promise<number> {
  const args = parseArgs(argv, { command: 'serve', values: ['warehouse', 'port', 'host', 'fleet', 'redis'], maxPositionals: Number.POSITIVE_INFINITY })
  const port = args.values.port === undefined ? DEFAULT_PORT : Number(args.values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw usage('serve', `option --port must be a whole number from 0 to 65535, got ${JSON.stringify(args.values.port)}`)
  const key = io.env.SLUICE_API_KEY ?? ''
  const secret = io.env.SLUICE_API_SECRET ?? ''
  if ((key === '') !== (secret === '')) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `set both SLUICE_API_KEY and SLUICE_API_SECRET, or neither (${key === '' ? 'SLUICE_API_KEY' : 'SLUICE_API_SECRET'} is empty)`, context: { option: key === '' ? 'SLUICE_API_KEY' : 'SLUICE_API_SECRET' } })
  }
  const auth: ServeAuth | undefined = key !== '' ? { key, secret } : undefined
  checkListen({ port, ...(args.values.host !== undefined ? { host: args.values.host } : {}), ...(auth ? { auth } : {}) })
  const targets: ServeTarget[] = args.positionals.map((dir) => ({ dir }))
  if (args.values.warehouse !== undefined) targets.push({ warehouse: args.values.warehouse })
  if (args.values.redis !== undefined && args.values.fleet === undefined) throw usage('serve', '--redis goes with --fleet')
  // A fleet file: the fleet's workers and queues, and each destination its connectors write to (once per object).
  let control: Awaited<ReturnType<typeof import('../fleet/fleet.js').fleet>> | undefined
  if (args.values.fleet !== undefined) {
    const { loadFleetFile } = await import('./worker-command.js')
    const { module, connection } = await loadFleetFile(args.values.fleet, io, 'serve', args.values.redis)
    const { fleet } = await import('../fleet/fleet.js')
    control = await fleet({ connection: connection as never, connectors: module.connectors as never, ...(module.apis !== undefined ? { apis: module.apis as never } : {}), ...(module.prefix !== undefined ? { prefix: module.prefix as string } : {}) })
    const seen = new Set<unknown>()
    for (const c of module.connectors as { id: string; destination: import('../contracts/sink.js').Sink }[]) {
      if (seen.has(c.destination)) continue
      seen.add(c.destination)
      targets.push({ destination: c.destination, label: `fleet: ${c.destination.name} of ${c.id}` })
    }
  } else if (targets.length === 0) targets.push({ dir: '.' })
  const server = await startServer({
    ...(control ? { fleet: control } : {}),
    targets: await resolveServeTargets(targets, io.cwd),
    port,
    ...(args.values.host !== undefined ? { host: args.values.host } : {}),
    ...(auth ? { auth } : {}),
    page: servePage,
  })
  io.out(`sluice serve: dashboard at ${server.url}/ · API ${server.url}/v1/connectors · metrics ${server.url}/metrics${auth ? '' : '\n(no SLUICE_API_KEY / SLUICE_API_SECRET: read only)'}\n`)
  await stop
  await server.close()
  await control?.close()
  return 0
}

/** Resolves at the first SIGINT or SIGTERM. */
function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      resolve()
    }
    process.on('SIGINT', done)
    process.on('SIGTERM', done)
  })
}
