import { mkdir } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { createConnector } from '../connector/create-connector.js'
import { knownOptions } from '../core/check-option.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Logger } from '../log/logger.js'
import type { FactsTarget } from '../serve/facts.js'
import { configurationSecrets } from '../serve/secret-redactor.js'
import { fileState } from '../state/file-state.js'
import { debugPaths } from './debug-paths.js'
import { loadConfiguration } from './load-configuration.js'
import { loadConnector } from './load-connector.js'
import { warehouseFormat } from './warehouse-format.js'
import { locateWarehouse, noWarehouse } from './warehouse-location.js'
import { warehouseSink } from './warehouse-sink.js'

/**
 * What `sluice serve` serves: a {@link FactsTarget} (a destination, with its `Connector` when the
 * server may sync it), a connector folder as `sluice debug` makes (`{ dir }`: synced, paused and
 * resumed from the server into `dir/files/warehouse.db`, with `dir/configuration.json`), or a
 * SQLite / DuckDB warehouse file a sync wrote (`{ warehouse }`, read only).
 *
 * @example
 * ```ts
 * import type { ServeTarget } from 'sluice/serve'
 * const targets: ServeTarget[] = [{ dir: 'my_connector' }, { warehouse: 'data/shop.db' }]
 * ```
 */
export type ServeTarget = FactsTarget | { readonly dir: string } | { readonly warehouse: string }

/**
 * Turns `{ dir }` and `{ warehouse }` targets into {@link FactsTarget}s; others pass through.
 * A folder's connector is loaded as `sluice debug` loads it (`CONNECTOR_LOAD` when it can't be),
 * and runs with the same settings (state mirrored in `files/state.json`, exact MAR). Its sync
 * writes through one sink while the facts read through another, read-only one, so a page load
 * never reads a sync's uncommitted rows. A warehouse file that is not there is `USAGE`.
 *
 * @example
 * ```ts
 * import { resolveServeTargets } from './serve-targets.js'
 * const targets = await resolveServeTargets([{ dir: 'my_connector' }], process.cwd())
 * ```
 */
export async function resolveServeTargets(targets: readonly ServeTarget[], cwd: string, logger?: Logger): Promise<FactsTarget[]> {
  const out: FactsTarget[] = []
  for (const [i, target] of targets.entries()) {
    if ('destination' in target) out.push(target)
    else if ('dir' in target) {
      knownOptions(target, { dir: true }, `serve.targets[${i}]`)
      out.push(await folderTarget(resolve(cwd, target.dir), cwd, logger))
    } else {
      knownOptions(target, { warehouse: true }, `serve.targets[${i}]`)
      const located = locateWarehouse({ warehouse: resolve(cwd, target.warehouse), label: target.warehouse })
      if (!located.exists) throw new SluiceError({ code: 'USAGE', message: noWarehouse(located, cwd), context: { command: 'serve', path: located.path } })
      out.push({ destination: await warehouseSink(located.path, located.format), label: target.warehouse })
    }
  }
  return out
}

async function folderTarget(dir: string, cwd: string, logger: Logger | undefined): Promise<FactsTarget> {
  const { source } = await loadConnector(dir)
  const configurationPath = join(dir, 'configuration.json')
  const configuration = await loadConfiguration(configurationPath, { explicit: false, label: relative(cwd, configurationPath) || configurationPath })
  const paths = debugPaths(dir)
  await mkdir(paths.files, { recursive: true })
  const format = warehouseFormat(paths.warehouse) ?? 'sqlite'
  const destination = await warehouseSink(paths.warehouse, format)
  // DuckDB lets one instance open the file: reads share the connector's sink there.
  const reader = format === 'sqlite' ? await warehouseSink(paths.warehouse, format) : destination
  const connector = createConnector({
    id: source.id ?? 'default',
    source,
    destination,
    configuration,
    state: fileState({ path: paths.state }),
    // Exact, as `sluice debug` meters it.
    mar: { mode: 'exact' },
    ...(logger ? { logger } : {}),
  })
  return { destination: reader, label: relative(cwd, paths.warehouse) || paths.warehouse, connector, secrets: configurationSecrets(configuration) }
}
