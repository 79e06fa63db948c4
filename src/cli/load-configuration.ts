import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import { checkConfiguration } from '../source/connector.js'
import type { Configuration, Source } from '../contracts/source.js'
import { loadConnector } from './load-connector.js'

/**
 * Reads a `configuration.json`: a JSON object of string values, as Fivetran's. A missing file
 * is an empty configuration unless it was asked for explicitly (`--configuration`); invalid JSON
 * is `CONFIG_INVALID` naming the file; a non-string value is `CONFIGURATION_KEY` naming the key.
 * Required keys are checked by the connector when it starts.
 *
 * @example
 * ```ts
 * import { loadConfiguration } from './load-configuration.js'
 * const configuration = await loadConfiguration('my_connector/configuration.json', { explicit: false })
 * ```
 */
export async function loadConfiguration(path: string, options: { readonly explicit: boolean; readonly label?: string }): Promise<Configuration> {
  const label = options.label ?? path
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !options.explicit) return {}
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: code === 'ENOENT' ? `configuration file ${label} does not exist` : `can't read configuration file ${label}: ${(cause as Error).message}`,
      context: { path },
      cause,
    })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${label} is not valid JSON (${(cause as Error).message})`, context: { path }, cause })
  }
  try {
    checkConfiguration(value, [])
  } catch (error) {
    if (error instanceof SluiceError) {
      throw new SluiceError({ code: error.code, message: `${label}: ${error.message}`, context: { ...error.context, path } })
    }
    throw error
  }
  return value
}

/**
 * A connector folder as `sluice debug` and `sluice check` take it: its resolved path, its connector
 * (`loadConnector`) and its configuration (`dir/configuration.json`, or `--configuration`).
 *
 * @example
 * ```ts
 * import { loadConnectorFolder } from './load-configuration.js'
 * const { dir, source, configuration } = await loadConnectorFolder('my_connector', undefined, process.cwd())
 * ```
 */
export async function loadConnectorFolder(folder: string | undefined, configurationFlag: string | undefined, cwd: string): Promise<{ dir: string; source: Source; configuration: Configuration }> {
  const dir = resolve(cwd, folder ?? '.')
  const { source } = await loadConnector(dir)
  const configurationPath = configurationFlag ? resolve(cwd, configurationFlag) : join(dir, 'configuration.json')
  const configuration = await loadConfiguration(configurationPath, {
    explicit: configurationFlag !== undefined,
    label: relative(cwd, configurationPath) || configurationPath,
  })
  return { dir, source, configuration }
}
