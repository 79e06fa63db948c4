import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build, type Options } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }
import * as arrowEntry from '../../src/arrow.js'
import * as bullmqEntry from '../../src/bullmq.js'
import * as duckdbEntry from '../../src/duckdb.js'
import * as filesEntry from '../../src/files.js'
import * as main from '../../src/index.js'
import * as mysqlEntry from '../../src/mysql.js'
import * as postgresEntry from '../../src/postgres.js'
import * as serveEntry from '../../src/serve.js'
import config from '../../tsup.config.js'
import { devTool } from './dev-tool.js'

// The package as npm publishes it: built with the real tsup config (declarations included), packed by
// `npm pack` (so the `files` list is what ships), then checked by publint (package.json against the
// files) and by @arethetypeswrong/cli (types resolve for ESM and CJS under node16 and bundler
// resolution), and installed under .tmp/<dir>/node_modules/sluice, where each entry of the `exports`
// map is required and imported and must export the same values as its source file.
const tmp = resolve('.tmp') // gitignored; inside the repository so the installed package finds its peers in node_modules
mkdirSync(tmp, { recursive: true })
const root = mkdtempSync(join(tmp, 'published-package-'))
const stage = join(root, 'stage')
const installed = join(root, 'node_modules', 'sluice')
let tarball = ''
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The source module of each entry (a new entry in the exports map needs a line here). */
const SOURCES: Record<string, object> = {
  sluice: main, 'sluice/postgres': postgresEntry, 'sluice/mysql': mysqlEntry, 'sluice/duckdb': duckdbEntry, 'sluice/files': filesEntry, 'sluice/arrow': arrowEntry,
  'sluice/bullmq': bullmqEntry, 'sluice/serve': serveEntry,
}
const ENTRIES = Object.keys(pkg.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? 'sluice' : `sluice/${key.slice(2)}`))

function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } })
}

beforeAll(async () => {
  const configs = (Array.isArray(config) ? config : [config]) as Options[]
  for (const c of configs) await build({ ...c, config: false, outDir: join(stage, 'dist'), clean: false, silent: true })
  copyFileTo('package.json')
  for (const dir of pkg.files.filter((f) => f !== 'dist')) cpSync(dir, join(stage, dir), { recursive: true })
  if (existsSync('README.md')) copyFileTo('README.md')
  const packed = run('npm', ['pack', '--json', '--pack-destination', root], stage)
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`)
  tarball = join(root, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename)
  mkdirSync(installed, { recursive: true })
  const untar = run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], root)
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`)
  // Without a package.json of its own, `root` is inside the repository's package, named sluice, and Node
  // would resolve `sluice` there by self-reference: to the repository's dist/, not this package.
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'published-package-consumer', private: true }))
}, 600_000)

function copyFileTo(file: string): void {
  mkdirSync(stage, { recursive: true })
  writeFileSync(join(stage, file), readFileSync(file))
}

/** The sorted value names each entry exports when a fresh node process loads the installed package. */
function loadedNames(kind: 'cjs' | 'esm'): Record<string, string[]> {
  const specs = JSON.stringify(ENTRIES)
  const body =
    kind === 'cjs'
      ? `const out = {}; for (const s of ${specs}) out[s] = Object.keys(require(s)).sort(); console.log(JSON.stringify(out))`
      : `const out = {}; for (const s of ${specs}) out[s] = Object.keys(await import(s)).sort(); console.log(JSON.stringify(out))`
  const child = run(process.execPath, kind === 'esm' ? ['--input-type=module', '-e', body] : ['-e', body], root)
  if (child.status !== 0) throw new Error(`node (${kind}) exited ${String(child.status)}: ${child.stderr}`)
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, string[]>
}

describe('the published package', () => {
  it('ships the sluice serve dashboard files in dist/serve-page/, where servePage reads them', () => {
    for (const file of ['index.html', 'app.js', 'style.css']) {
      expect(readFileSync(join(installed, 'dist', 'serve-page', file), 'utf8'), file).toBe(readFileSync(join('src', 'serve', 'page', file), 'utf8'))
    }
  })

  it('serves the dashboard from the installed sluice/serve, with require and import: its files and uPlot\'s are found', () => {
    const ask = `const out = {}
      const server = createServer((req, res) => { if (!servePage(req, res)) res.writeHead(404).end() })
      server.listen(0, '127.0.0.1', async () => {
        for (const p of ['/', '/assets/app.js', '/assets/style.css', '/assets/uplot.js', '/assets/uplot.css']) {
          const res = await fetch('http://127.0.0.1:' + server.address().port + p)
          out[p] = res.status + ' ' + res.headers.get('content-type') + ' ' + (await res.arrayBuffer()).byteLength
        }
        console.log(JSON.stringify(out))
        server.close()
      })`
    const variants = {
      cjs: ['-e', `const { createServer } = require('node:http'); const { servePage } = require('sluice/serve'); ${ask}`],
      esm: ['--input-type=module', '-e', `import { createServer } from 'node:http'; import { servePage } from 'sluice/serve'; ${ask}`],
    }
    for (const [kind, args] of Object.entries(variants)) {
      const child = run(process.execPath, args, root)
      expect(child.status, `${kind}: ${child.stderr}`).toBe(0)
      const answers = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, string>
      for (const [path, answer] of Object.entries(answers)) expect(answer, `${kind} ${path}`).toMatch(/^200 text\/(html|javascript|css); charset=utf-8 [1-9]\d{2,}$/)
    }
  })

  it('passes publint (package.json agrees with the packed files), warnings included', () => {
    const { ok, output } = devTool('publint', 'publint', ['run', tarball, '--strict'], root)
    expect(ok, output).toBe(true)
  })

  it('passes @arethetypeswrong/cli: every entry has types for ESM and CJS under node16 and bundler resolution', () => {
    const { ok, stdout, output } = devTool('@arethetypeswrong/cli', 'attw', [tarball, '--profile', 'node16', '--format', 'json'], root)
    const report = JSON.parse(stdout) as { analysis: { entrypoints: Record<string, unknown> }; problems: Record<string, { resolutionKind?: string }[]> }
    // node10 (no `exports` support) can't see subpath entries; the node16 profile leaves it out, and so does this.
    const problems = Object.values(report.problems).flat().filter((p) => p.resolutionKind !== 'node10')
    expect(problems).toEqual([])
    expect(ok, output).toBe(true)
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(Object.keys(pkg.exports).sort()) // every entry was checked
  })

  it('loads every exports entry with require and import, each exporting the values of its source file', () => {
    expect(Object.keys(SOURCES).sort()).toEqual([...ENTRIES].sort())
    const want = Object.fromEntries(ENTRIES.map((entry) => [entry, Object.keys(SOURCES[entry]!).sort()]))
    expect(loadedNames('cjs')).toEqual(want)
    expect(loadedNames('esm')).toEqual(want)
  })
})
