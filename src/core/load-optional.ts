import { SluiceError } from './sluice-error.js'

/**
 * Imports an optional peer dependency on first use; a missing package becomes `code` (default
 * `CONFIG_INVALID`) with a message naming what to install and what needs it.
 *
 * @example
 * ```ts
 * import { loadOptional } from './load-optional.js'
 * const wasm = await loadOptional<typeof import('parquet-wasm')>('parquet-wasm', 'files({ format: "parquet" })')
 * ```
 */
export async function loadOptional<T>(specifier: string, neededBy: string, load: () => Promise<unknown> = () => import(specifier)): Promise<T> {
  try {
    return (await load()) as T
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw cause
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${neededBy} needs the package ${specifier}, which is not installed; install it with \`npm install ${specifier}\``,
      cause,
      context: { package: specifier },
    })
  }
}
