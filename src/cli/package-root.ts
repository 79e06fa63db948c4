import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SluiceError } from '../core/sluice-error.js'

/** The running sluice package: where it lives, its version and exports, and whether it runs from source. */
export interface PackageInfo {
  readonly root: string
  readonly version: string
  /** True when running the TypeScript sources (development), false when running the built `dist/`. */
  readonly fromSource: boolean
  readonly exports: unknown
}

let cached: PackageInfo | undefined

/**
 * Finds the package this CLI belongs to by walking up from this module to the `package.json`
 * named `sluice`. Used to find `templates/` and the entry that `import 'sluice'` maps to.
 *
 * @example
 * ```ts
 * import { packageInfo } from './package-root.js'
 * console.log(packageInfo().version)
 * ```
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached
  const here = typeof import.meta.url === 'string' ? fileURLToPath(import.meta.url) : (process.argv[1] ?? process.cwd())
  let dir = dirname(here)
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; exports?: unknown }
      if (json.name === 'sluice') {
        cached = { root: dir, version: json.version ?? '0.0.0', fromSource: /\.[cm]?ts$/.test(here), exports: json.exports }
        return cached
      }
    }
    const parent = dirname(dir)
    if (parent === dir) throw new SluiceError({ code: 'INTERNAL', message: `sluice: can't find the sluice package.json above ${here}; the installation is incomplete, reinstall sluice`, context: { path: here } })
    dir = parent
  }
}

/**
 * The file that `import 'sluice'` (or `'sluice/<sub>'`) means for this running package: its
 * `src/` TypeScript when running from source, else the target of the `exports` map for the
 * `import` or `require` condition. `undefined` when the package has no such entry.
 */
export function sluiceEntry(specifier: string, condition: 'import' | 'require', info: PackageInfo = packageInfo()): string | undefined {
  const sub = specifier === 'sluice' ? '' : specifier.slice('sluice/'.length)
  if (info.fromSource) {
    const candidates = sub === '' ? ['src/index.ts'] : [`src/${sub}/index.ts`, `src/${sub}.ts`]
    return candidates.map((c) => join(info.root, c)).find((c) => existsSync(c))
  }
  const target = pickExport((info.exports as Record<string, unknown> | undefined)?.[sub === '' ? '.' : `./${sub}`], condition)
  return target === undefined ? undefined : join(info.root, target)
}

function pickExport(entry: unknown, condition: string): string | undefined {
  if (typeof entry === 'string') return entry
  if (typeof entry !== 'object' || entry === null) return undefined
  const map = entry as Record<string, unknown>
  for (const key of [condition, 'node', 'default']) {
    if (key in map) {
      const found = pickExport(map[key], condition)
      if (found !== undefined) return found
    }
  }
  return undefined
}
