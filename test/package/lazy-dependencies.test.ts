import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build, type Options } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import config from '../../tsup.config.js'

// Regression: `import('sluice')` took 1.37 s and `require('sluice')` 0.95 s against 0.17 s for
// `node -e 0`, because the main entry loaded effect, apache-arrow and undici at once. They must
// load only on the paths that use them (bench: `npm run bench -- cold-start`). Checked here without
// timing: which modules a fresh process has loaded. The entries are built with the real tsup config
// into .tmp/<dir>/node_modules/sluice, as in built-entries.test.ts.
const tmp = resolve('.tmp')
mkdirSync(tmp, { recursive: true })
const root = mkdtempSync(join(tmp, 'lazy-dependencies-'))
const pkg = join(root, 'node_modules', 'sluice')
afterAll(() => rmSync(root, { recursive: true, force: true }))

beforeAll(async () => {
  const configs = (Array.isArray(config) ? config : [config]) as Options[]
  const library = configs.find((c) => Array.isArray(c.format) && c.format.includes('cjs'))
  if (!library) throw new Error('tsup.config.ts has no CommonJS build')
  mkdirSync(pkg, { recursive: true })
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'lazy-dependencies-consumer', private: true }))
  copyFileSync('package.json', join(pkg, 'package.json'))
  await build({
    ...library,
    config: false,
    entry: { index: 'src/index.ts', arrow: 'src/arrow.ts' },
    outDir: join(pkg, 'dist'),
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
  })
}, 180_000)

// better-sqlite3 and cron-parser cost less (~30 and ~50 ms) but are as unneeded on this path.
const HEAVY = ['effect', 'apache-arrow', 'undici', 'better-sqlite3', 'cron-parser'] as const

/** Runs `body` in a fresh node process in `root`; returns its last stdout line as JSON. */
function node(kind: 'cjs' | 'esm', body: string): Record<string, unknown> {
  const args = kind === 'esm' ? ['--input-type=module', '-e', body] : ['-e', body]
  const child = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
  const last = child.stdout.trim().split('\n').at(-1)
  if (child.status !== 0 || !last) throw new Error(`node exited ${String(child.status)}: ${child.stderr}`)
  return JSON.parse(last) as Record<string, unknown>
}

/** Script text: `heavy(files)` names the packages of HEAVY among loaded files or URLs. */
const heavy = `
  const heavy = (files) => ${JSON.stringify(HEAVY)}.filter((name) => files.some((f) => f.includes('/node_modules/' + name + '/')))`

/** Script text: a one-row sync from fromIterable into memory, leaving `status`. */
const syncOneRow = `
  const report = await sync({ source: fromIterable('t', [{ id: 1 }]), destination: memory() })
  const status = report.status`

/**
 * Script text for ESM: records every URL the ESM loader resolves (a resolve hook reports them over
 * a port), and `loaded()` returns them with the CommonJS cache (sluice requires effect lazily with
 * `require`, and undici is CommonJS). A last import marks the end of the list: a port keeps order.
 */
const esmRecorder = `
  import { createRequire, register } from 'node:module'
  import { MessageChannel } from 'node:worker_threads'
  const require = createRequire(import.meta.url)
  const { port1, port2 } = new MessageChannel()
  const urls = []
  port1.on('message', (url) => urls.push(url))
  port1.unref()
  const hooks = 'let port; export function initialize(data) { port = data.port }'
    + ' export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r }'
  register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] })
  const END = 'data:text/javascript,export%20default%20%22end%22'
  const loaded = async () => {
    await import(END + '%2B' + urls.length)
    await new Promise((resolve) => { const wait = () => (urls.some((u) => u.startsWith(END)) ? resolve() : setTimeout(wait, 1)); wait() })
    urls.splice(urls.findIndex((u) => u.startsWith(END)), 1)
    return [...urls, ...Object.keys(require.cache)]
  }`

describe('the main entry loads effect, apache-arrow, undici, better-sqlite3 and cron-parser only on the paths that use them', () => {
  it('ESM: import("sluice") and a fromIterable → memory sync load none of them; httpClient loads undici, sluice/arrow apache-arrow', () => {
    const out = node('esm', `
      ${esmRecorder}
      ${heavy}
      const { sync, fromIterable, memory, httpClient } = await import('sluice')
      ${syncOneRow}
      const afterSync = heavy(await loaded())
      const client = httpClient({})
      await client.close()
      await import('sluice/arrow')
      console.log(JSON.stringify({ status, afterSync, afterHttpAndArrow: heavy(await loaded()) }))`)
    expect(out).toEqual({ status: 'succeeded', afterSync: [], afterHttpAndArrow: ['apache-arrow', 'undici'] })
  })

  it('CommonJS: require("sluice") and a fromIterable → memory sync load none of them; httpClient loads undici, sluice/arrow apache-arrow', () => {
    const out = node('cjs', `
      ${heavy}
      const { sync, fromIterable, memory, httpClient } = require('sluice')
      ;(async () => {
        ${syncOneRow}
        const afterSync = heavy(Object.keys(require.cache))
        require('sluice/arrow')
        const client = httpClient({})
        await client.close()
        console.log(JSON.stringify({ status, afterSync, afterHttpAndArrow: heavy(Object.keys(require.cache)) }))
      })()`)
    expect(out).toEqual({ status: 'succeeded', afterSync: [], afterHttpAndArrow: ['apache-arrow', 'undici'] })
  })

  /** Script text: decodeConfig and validate with a schema from the caller's own effect, leaving `outcome`. */
  const effectPaths = `
    const Order = Schema.Struct({ id: Schema.Number, total: Schema.Number.pipe(Schema.nonNegative()) })
    const decoded = decodeConfig(Order, { id: 1, total: 2 }, 'order')
    let refused
    try { decodeConfig(Order, { id: 1, total: -1 }, 'order') } catch (error) { refused = error.code + ': ' + error.message }
    const sink = memory()
    const report = await sync({ source: fromIterable('orders', [{ id: 1, total: 5 }, { id: 2, total: -1 }], { primaryKey: ['id'] }), stages: [validate({ orders: Order }, { onError: 'skip' })], destination: sink })
    const outcome = { decoded, refused, status: report.status, kept: sink.rows('orders').map((r) => r.id), errors: report.errors }`
  const effectOutcome = {
    decoded: { id: 1, total: 2 }, refused: 'CONFIG_INVALID: order.total: Expected a non-negative number, actual -1', status: 'succeeded', kept: [1], errors: 1,
  }

  it('decodeConfig and validate, which load effect when called, work from the ESM and the CommonJS build', () => {
    const esm = node('esm', `
      const { Schema } = await import('effect')
      const { sync, fromIterable, memory, decodeConfig, validate } = await import('sluice')
      ${effectPaths}; console.log(JSON.stringify(outcome))`)
    expect(esm).toEqual(effectOutcome)
    const cjs = node('cjs', `
      const { Schema } = require('effect')
      const { sync, fromIterable, memory, decodeConfig, validate } = require('sluice')
      ;(async () => { ${effectPaths}; console.log(JSON.stringify(outcome)) })()`)
    expect(cjs).toEqual(effectOutcome)
  })
})
