import { createRequire } from 'node:module'
import { SluiceError } from '../../core/sluice-error.js'

type NodeApi = typeof import('@duckdb/node-api')
type Bindings = typeof import('@duckdb/node-bindings')

/** The DuckDB client as the sink uses it: the node API and, for bulk vector copies, its native bindings. */
export interface DuckDbModule {
  readonly api: NodeApi
  readonly bindings: Bindings
}

/** The optional peer dependency that provides DuckDB. */
export const DUCKDB_PACKAGE = '@duckdb/node-api'

const loaded = new Map<string, Promise<DuckDbModule>>()

/**
 * Loads `@duckdb/node-api` on first use, so that `sluice` itself never loads the native module:
 * only a sync that writes to DuckDB does. The bindings are resolved from the node API's own
 * location (they are its dependency, not ours), which also works under strict package layouts.
 * A missing package becomes `DESTINATION_UNAVAILABLE` naming what to install.
 *
 * @example
 * ```ts
 * import { loadDuckDb } from './load-duckdb.js'
 * const { api } = await loadDuckDb()
 * const db = await api.DuckDBInstance.create(':memory:')
 * ```
 */
export function loadDuckDb(specifier: string = DUCKDB_PACKAGE): Promise<DuckDbModule> {
  let module = loaded.get(specifier)
  if (!module) {
    module = load(specifier)
    loaded.set(specifier, module)
    module.catch(() => loaded.delete(specifier)) // installing the package later must work without a restart
  }
  return module
}

async function load(specifier: string): Promise<DuckDbModule> {
  try {
    const imported = (await import(specifier)) as NodeApi & { default?: NodeApi }
    const api = (imported.DuckDBInstance ? imported : imported.default) as NodeApi
    const require = createRequire(moduleLocation())
    const fromApi = createRequire(require.resolve(specifier))
    const bindings = fromApi('@duckdb/node-bindings') as Partial<Bindings> & { default?: Bindings }
    return { api, bindings: (typeof bindings.copy_data_to_vector === 'function' ? bindings : bindings.default) as Bindings }
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (cause as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
    throw new SluiceError({
      code: 'DESTINATION_UNAVAILABLE',
      message: missing
        ? `duckdb: the package ${specifier} is not installed; install it next to sluice with \`npm install ${specifier}\``
        : `duckdb: can't load ${specifier}: ${(cause as Error).message}`,
      cause,
      context: { package: specifier },
    })
  }
}

/**
 * Where this module lives, so the peer resolves from sluice's own location, not the caller's.
 * ESM (the ESM build, tsx, vitest) has `import.meta.url`. In the CommonJS build esbuild replaces
 * `import.meta` with `{}`, so the URL is undefined there (and `createRequire(undefined)` throws);
 * only then do we use `__filename`, which in that build is the bundle's own path. Testing
 * `typeof __filename` first would be wrong: under `node -e` it is a global (`'[eval]'`) that ESM
 * modules see too.
 */
function moduleLocation(): string {
  return (import.meta.url as string | undefined) ?? __filename
}
