/**
 * `sluice/serve`: the monitoring server of `sluice serve` — a dashboard, the Fivetran-shaped REST
 * API, `/metrics` — to start in code or mount in an existing Node service. A subpath entry so
 * that `sluice` never loads it.
 *
 * @module sluice/serve
 */
import { knownOptions } from './core/check-option.js'
import { resolveServeTargets, type ServeTarget } from './cli/serve-targets.js'
import type { Logger } from './log/logger.js'
import { servePage } from './serve/page/serve-page.js'
import { checkListen, startServer, type ServerHandle, type ServerOptions } from './serve/server.js'

export { createFacts, type ConnectorControl, type ConnectorFacts, type Facts, type FactsOptions, type FactsTarget, type FleetFacts, type FleetReader, type MarFacts, type Overview, type SyncFacts } from './serve/facts.js'
export { LATE_FACTOR } from './serve/freshness.js'
export { serveHandler, startServer, type PageHandler, type ServerHandle, type ServerOptions } from './serve/server.js'
export type { ServeAuth } from './serve/basic-auth.js'
export { servePage } from './serve/page/serve-page.js'
export type { ServeTarget } from './cli/serve-targets.js'

/**
 * What {@link serve} takes: targets of every kind (connector folders, warehouse files,
 * destinations with or without their `Connector`), where to listen and the API key.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from 'sluice/serve'
 * const options: ServeOptions = { targets: [{ dir: 'my_connector' }], port: 8080 }
 * ```
 */
export interface ServeOptions extends Omit<ServerOptions, 'targets' | 'page'> {
  readonly targets: readonly ServeTarget[]
  /** Folder that relative `dir` / `warehouse` paths start from (default `process.cwd()`). */
  readonly cwd?: string
  /** Logger of the connectors of `{ dir }` targets (default: JSON lines on stdout, as `createConnector`'s). */
  readonly logger?: Logger
}

/**
 * Starts `sluice serve`: the dashboard at `/`, its JSON under `/api`, the Fivetran-shaped API
 * under `/v1`, and `/metrics`, over connector folders, warehouse files and destinations — on
 * `127.0.0.1` unless told otherwise (any other host needs `auth`). Resolves once listening.
 *
 * @example
 * ```ts
 * import { serve } from 'sluice/serve'
 * const server = await serve({ targets: [{ dir: 'my_connector' }, { warehouse: 'data/shop.db' }], port: 8080, auth: { key: 'k', secret: 's' } })
 * console.log(`dashboard at ${server.url}`)
 * await server.close()
 * ```
 */
export async function serve(options: ServeOptions): Promise<ServerHandle> {
  knownOptions(options, { targets: true, cwd: true, logger: true, host: true, port: true, auth: true, now: true, fleet: true }, 'serve')
  const { targets, cwd, logger, ...rest } = options
  checkListen(rest)
  return startServer({ ...rest, targets: await resolveServeTargets(targets, cwd ?? process.cwd(), logger), page: servePage })
}
