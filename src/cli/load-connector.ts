import { existsSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SluiceError } from '../core/sluice-error.js'
import type { Source } from '../contracts/source.js'
import { packageInfo } from './package-root.js'
import { installSluiceAlias } from './sluice-alias.js'

/** File names `sluice debug` looks for, in order. */
export const CONNECTOR_FILES = ['connector.ts', 'connector.mts', 'connector.js', 'connector.mjs'] as const

/** A loaded connector and the file it came from. */
export interface LoadedConnector {
  readonly source: Source
  readonly file: string
}

/**
 * Loads the default export of `dir/connector.ts` (or `.mts`, `.js`, `.mjs`) without a build step
 * (TypeScript through tsx), with `import 'sluice'` mapped to this package. Anything that goes
 * wrong — no such directory or file, the file throws or fails to compile at import, the default
 * export is not a connector — becomes `CONNECTOR_LOAD` naming the file, with the original error
 * as `cause`.
 *
 * @example
 * ```ts
 * import { loadConnector } from './load-connector.js'
 * const { source } = await loadConnector('my_connector')
 * ```
 */
export async function loadConnector(dir: string): Promise<LoadedConnector> {
  if (!existsSync(dir)) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `directory ${dir} does not exist; create one with \`sluice init <name>\``, context: { dir } })
  }
  if (!statSync(dir).isDirectory()) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `${dir} is not a directory; pass the folder that holds connector.ts`, context: { dir } })
  }
  const file = CONNECTOR_FILES.map((name) => join(dir, name)).find((path) => existsSync(path))
  if (!file) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `no connector file in ${dir}; expected one of ${CONNECTOR_FILES.join(', ')}`, context: { dir } })
  }
  await enableTypeScript()
  // After tsx: hooks run last-registered first, so 'sluice' is rewritten before tsx resolves it.
  installSluiceAlias()
  let module: unknown
  try {
    module = await import(pathToFileURL(file).href)
  } catch (cause) {
    throw new SluiceError({
      code: 'CONNECTOR_LOAD',
      message: `${basename(file)} failed to load: ${oneLine(cause)}`,
      context: { file },
      cause,
    })
  }
  const source = defaultExport(module)
  if (!isSource(source)) {
    throw new SluiceError({
      code: 'CONNECTOR_LOAD',
      message: `${basename(file)} must \`export default connector({ id, schema, update })\` (a source with a read() method), got ${describe(source)}`,
      context: { file },
    })
  }
  return { source, file }
}

/**
 * Imports a user's module (TypeScript through tsx, `sluice` mapped to this package), as
 * `loadConnector` does; a failure becomes `CONNECTOR_LOAD` naming the file.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `${file} does not exist or is not a file`, context: { file } })
  }
  await enableTypeScript()
  installSluiceAlias()
  try {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
    // A CommonJS-compiled module nests its exports under default.
    return 'connectors' in module || typeof module.default !== 'object' || module.default === null ? module : (module.default as Record<string, unknown>)
  } catch (cause) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `${basename(file)} failed to load: ${oneLine(cause)}`, context: { file }, cause })
  }
}

let typescript = false

/**
 * Lets `import()` load TypeScript. Running from source, the process already has a TypeScript
 * loader (bin/sluice.js or the tsx CLI registered tsx). Built, register tsx now, process-wide
 * rather than with `tsImport`: a namespaced tsx import gives the connector its own copy of every
 * module it imports (sluice, effect: ~650 modules loaded twice, seconds of start-up), whereas a
 * global one lets the connector share this process's sluice.
 */
async function enableTypeScript(): Promise<void> {
  if (typescript || packageInfo().fromSource) return
  typescript = true
  // Both hooks, as the tsx CLI does: the CommonJS one compiles .ts files of folders without "type": "module".
  const [{ register }, { register: registerCjs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])
  register()
  registerCjs()
}

/** The default export; a CommonJS-compiled module nests it one level deeper. */
function defaultExport(module: unknown): unknown {
  let value = (module as { default?: unknown } | undefined)?.default
  if (!isSource(value) && typeof value === 'object' && value !== null && 'default' in value) value = (value as { default: unknown }).default
  return value
}

function isSource(value: unknown): value is Source {
  return typeof value === 'object' && value !== null && typeof (value as Source).read === 'function'
}

function describe(value: unknown): string {
  if (value === undefined) return 'no default export'
  if (value === null) return 'null'
  if (typeof value === 'function') return 'a function (call it: export default connector({ … }))'
  return typeof value === 'object' ? `an object with keys ${Object.keys(value).join(', ') || '(none)'}` : `a ${typeof value}`
}

/** An error's message on one line: compile errors span several. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  const joined = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
  return joined.length > 400 ? `${joined.slice(0, 397)}...` : joined
}
