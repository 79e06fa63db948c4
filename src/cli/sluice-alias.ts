import Module, { register } from 'node:module'
import { pathToFileURL } from 'node:url'
import { packageInfo, sluiceEntry } from './package-root.js'

let installed = false

/**
 * Makes `import 'sluice'` (and `'sluice/<sub>'`) in a user's connector resolve to this running
 * package, wherever the connector lives: a connector scaffolded by `sluice init` in any folder
 * works before `npm install`, and always runs against the same sluice as the CLI. Covers ESM
 * (an ESM resolve hook registered from a `data:` URL, so it needs no file of its own in `dist/`)
 * and CommonJS (a connector in a folder without `"type": "module"` is compiled to `require`).
 *
 * @example
 * ```ts
 * import { installSluiceAlias } from './sluice-alias.js'
 * installSluiceAlias()
 * ```
 */
export function installSluiceAlias(): void {
  if (installed) return
  installed = true
  const info = packageInfo()
  const esm: Record<string, string> = {}
  const cjs: Record<string, string> = {}
  for (const specifier of aliasSpecifiers(info.exports)) {
    const forImport = sluiceEntry(specifier, 'import', info)
    const forRequire = sluiceEntry(specifier, 'require', info)
    if (forImport) esm[specifier] = pathToFileURL(forImport).href
    if (forRequire) cjs[specifier] = forRequire
  }
  const hook = `const map = ${JSON.stringify(esm)};
export async function resolve(specifier, context, next) {
  // Rewrite, don't short-circuit: the rest of the chain (tsx) still resolves the file, so a
  // TypeScript entry gets loaded by tsx and the URL matches the one this process already uses.
  return next(Object.hasOwn(map, specifier) ? map[specifier] : specifier, context)
}`
  register(`data:text/javascript,${encodeURIComponent(hook)}`)

  // Module._resolveFilename is internal but stable and is what tsx itself patches for require().
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string }
  const original = M._resolveFilename
  M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    const target = Object.hasOwn(cjs, request) ? cjs[request] : undefined
    return target ?? original.call(this, request, ...rest)
  }
}

/** `'sluice'` and one specifier per subpath entry of the exports map (`sluice/postgres`, …). */
function aliasSpecifiers(exports: unknown): string[] {
  const subs = typeof exports === 'object' && exports !== null ? Object.keys(exports) : []
  const out = new Set(['sluice'])
  for (const key of subs) if (key.startsWith('./') && !key.endsWith('.json') && !key.includes('*')) out.add(`sluice/${key.slice(2)}`)
  return [...out]
}
