import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Library } from '../sink/destinations.js'

/**
 * The package as published, built once per change of the sources however many test files (in
 * however many vitest forks) ask for it: the library entries of tsup.config.ts with the real
 * config (no .d.ts: that is what takes the time) into `.tmp/built-package-<hash>/node_modules/sluice`,
 * so `sluice/duckdb` resolves through the real `exports` map and the peers resolve from the
 * repository's node_modules, as they would next to an installed sluice. `<hash>` covers src/,
 * package.json and tsup.config.ts: a stale build is never reused, an unchanged one never rebuilt.
 */
export interface BuiltPackage {
  /** A consumer directory: a script run here imports `sluice` as the built package. */
  readonly root: string
  /** The package directory (`root/node_modules/sluice`). */
  readonly pkg: string
}

const REPO = resolve('.')
const TMP = join(REPO, '.tmp') // gitignored; inside the repository so the built package finds its peers in node_modules

function sourcesHash(): string {
  const hash = createHash('sha256')
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry)
      if (statSync(path).isDirectory()) walk(path)
      else hash.update(path).update(readFileSync(path))
    }
  }
  walk(join(REPO, 'src'))
  for (const file of ['package.json', 'tsup.config.ts']) hash.update(file).update(readFileSync(join(REPO, file)))
  return hash.digest('hex').slice(0, 16)
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function build(pkg: string, root: string): Promise<void> {
  const { build: tsup } = await import('tsup')
  const config = (await import('../../tsup.config.js')).default
  const configs = (Array.isArray(config) ? config : [config]) as import('tsup').Options[]
  const library = configs.find((c) => Array.isArray(c.format) && c.format.includes('cjs'))
  if (!library) throw new Error('tsup.config.ts has no CommonJS build')
  mkdirSync(pkg, { recursive: true })
  // Without a package.json of its own, `root` is inside the repository's package, named sluice, and
  // Node resolves `sluice/duckdb` there by self-reference: to the repository's dist/, not this build.
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'built-package-consumer', private: true }))
  copyFileSync(join(REPO, 'package.json'), join(pkg, 'package.json'))
  await tsup({ ...library, config: false, outDir: join(pkg, 'dist'), dts: false, sourcemap: false, clean: false, silent: true })
}

let built: Promise<BuiltPackage> | undefined

/** The built package, building it when no other test (this process or another) has for these sources. */
export function builtPackage(): Promise<BuiltPackage> {
  built ??= (async () => {
    const hash = sourcesHash()
    const root = join(TMP, `built-package-${hash}`)
    const pkg = join(root, 'node_modules', 'sluice')
    const done = join(root, '.built')
    const lock = `${root}.lock`
    mkdirSync(TMP, { recursive: true })
    for (let waited = 0; !existsSync(done); waited += 200) {
      try {
        mkdirSync(lock) // atomic: exactly one process builds
      } catch {
        let holder = 0
        try {
          holder = Number(readFileSync(join(lock, 'pid'), 'utf8').trim() || 0)
        } catch {
          // The builder has not written its pid yet.
        }
        if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true }) // its builder died: take over
        else if (waited > 300_000) throw new Error(`waited 5 minutes for the package build of ${lock}`)
        await new Promise((r) => setTimeout(r, 200))
        continue
      }
      try {
        writeFileSync(join(lock, 'pid'), String(process.pid))
        if (existsSync(done)) break
        // Builds of earlier sources are never used again.
        for (const old of readdirSync(TMP)) if (old.startsWith('built-package-') && !old.startsWith(`built-package-${hash}`)) rmSync(join(TMP, old), { recursive: true, force: true })
        rmSync(root, { recursive: true, force: true })
        await build(pkg, root)
        writeFileSync(done, new Date().toISOString())
      } finally {
        rmSync(lock, { recursive: true, force: true })
      }
    }
    return { root, pkg }
  })()
  return built
}

/** The library of test/sink/destinations.ts as the built package's ESM entries (`dist/*.js`), not the sources. */
export async function builtLibrary(): Promise<Library> {
  const { pkg } = await builtPackage()
  const entry = (name: string) => pathToFileURL(join(pkg, 'dist', `${name}.js`)).href
  return {
    label: 'dist',
    core: () => import(/* @vite-ignore */ entry('index')),
    postgres: () => import(/* @vite-ignore */ entry('postgres')),
    duckdb: () => import(/* @vite-ignore */ entry('duckdb')),
    files: () => import(/* @vite-ignore */ entry('files')),
  }
}
