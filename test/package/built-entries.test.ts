import { DuckDBInstance } from '@duckdb/node-api'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtPackage } from '../support/built-package.js'

// Regression: the CJS build emptied `import.meta`, so `require('sluice/duckdb')` loaded but every
// DuckDB sync failed with DESTINATION_UNAVAILABLE ("... Received undefined"). The entries are
// built with the real tsup config (test/support/built-package.ts, once per run: the conformance
// pass of test/sink/matrix/built-package.test.ts uses the same build) into
// .tmp/<dir>/node_modules/sluice, so `sluice/duckdb` resolves through the real `exports` map and
// the peers resolve from the repository's node_modules, as they would next to an installed sluice.
let root = ''
let pkg = ''
const written = mkdtempSync(join(tmpdir(), 'built-entries-')) // the databases the scripts write
afterAll(() => rmSync(written, { recursive: true, force: true }))

beforeAll(async () => {
  ;({ root, pkg } = await builtPackage())
}, 300_000)

/** Runs `body` in a fresh node process in `root`, where `sluice` is the built package; returns its last stdout line as JSON. */
function node(kind: 'cjs' | 'esm', body: string): Record<string, unknown> {
  const args = kind === 'esm' ? ['--input-type=module', '-e', body] : ['-e', body]
  const child = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  const last = child.stdout.trim().split('\n').at(-1)
  if (child.status !== 0 || !last) throw new Error(`node exited ${String(child.status)}: ${child.stderr}`)
  return JSON.parse(last) as Record<string, unknown>
}

/** A script body that syncs two rows into `path` and leaves `outcome`; `resolve` is how the script resolves a specifier (`require.resolve`, `import.meta.resolve`). */
const syncInto = (path: string, resolve = 'require.resolve') => `
  const loaded = String(${resolve}('sluice/duckdb'))
  if (!loaded.includes(${JSON.stringify(pkg)})) throw new Error('not the package built here: ' + loaded)
  const report = await sync({ destination: duckdb({ path: ${JSON.stringify(path)} }), source: fromIterable('t', [{ id: 1 }, { id: 2 }], { primaryKey: ['id'] }) })
  const outcome = { status: report.status, rows: report.rows, error: report.error && report.error.code + ': ' + report.error.message }`

async function ids(path: string): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  const connection = await instance.connect()
  try {
    return (await connection.runAndReadAll('SELECT id FROM t ORDER BY id')).getRowObjectsJson().map((r) => r.id)
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** A script body that syncs 3000 rows through `sqlite({ thread: true })` into `path` and leaves `outcome` with what it reads back. */
const threadSync = (path: string) => `
  const rows = Array.from({ length: 3000 }, (_, id) => ({ id, name: 'n' + id }))
  const sink = sqlite({ path: ${JSON.stringify(path)}, thread: true })
  const report = await sync({ destination: sink, source: fromIterable('t', rows, { primaryKey: ['id'], batchSize: 500 }) })
  const back = await sink.read({ table: 't' })
  const outcome = { status: report.status, rows: report.rows, read: back.length, last: back.at(-1).name, error: report.error && report.error.code + ': ' + report.error.message }`

/**
 * A script body that hashes 3000 e-mails with hashColumns on the worker thread and 3 on the calling
 * thread, into memory, and leaves `outcome` with whether every digest equals createHmac's. The
 * worker runs source text built from the bundle's own functions, so the bundle must keep them whole.
 */
const hashSync = `
  const { createHmac } = require('node:crypto')
  const check = async (n, workerMinRows) => {
    const rows = Array.from({ length: n }, (_, id) => ({ id, email: 'user' + id + '@example.com' }))
    const sink = memory()
    const report = await sync({ destination: sink, source: fromIterable('t', rows, { primaryKey: ['id'] }), stages: [hashColumns({ columns: ['t.email'], salt: 'built-salt', workerMinRows })] })
    const want = (id) => createHmac('sha256', 'built-salt').update('user' + id + '@example.com').digest('hex')
    return report.status + ':' + sink.rows('t').filter((r) => r.email === want(r.id)).length
  }
  const outcome = { worker: await check(3000, 1), inline: await check(3, Infinity) }`

describe('built package entries', () => {
  it('hashColumns from the CommonJS and the ESM build hashes on the worker and on the calling thread', () => {
    const cjs = node('cjs', `
      const { sync, fromIterable, memory, hashColumns } = require('sluice')
      ;(async () => { ${hashSync}; console.log(JSON.stringify(outcome)) })()`)
    expect(cjs).toEqual({ worker: 'succeeded:3000', inline: 'succeeded:3' })
    const esm = node('esm', `
      import { createRequire } from 'node:module'
      const require = createRequire(import.meta.url)
      const { sync, fromIterable, memory, hashColumns } = await import('sluice')
      ${hashSync}; console.log(JSON.stringify(outcome))`)
    expect(esm).toEqual({ worker: 'succeeded:3000', inline: 'succeeded:3' })
  })

  it('sqlite({ thread: true }) from the CommonJS build syncs on the worker built next to it', () => {
    const out = node('cjs', `
      const { sync, fromIterable, sqlite } = require('sluice')
      ;(async () => { ${threadSync(join(written, 'thread-cjs.db'))}; console.log(JSON.stringify(outcome)) })()`)
    expect(out).toEqual({ status: 'succeeded', rows: 3000, read: 3000, last: 'n2999' })
  })

  it('sqlite({ thread: true }) from the ESM build syncs on the worker built next to it', () => {
    const out = node('esm', `
      const { sync, fromIterable, sqlite } = await import('sluice')
      ${threadSync(join(written, 'thread-esm.db'))}; console.log(JSON.stringify(outcome))`)
    expect(out).toEqual({ status: 'succeeded', rows: 3000, read: 3000, last: 'n2999' })
  })

  it('require("sluice/duckdb") from the CommonJS build syncs into a DuckDB file', async () => {
    const path = join(written, 'cjs.duckdb')
    const out = node('cjs', `
      const { sync, fromIterable } = require('sluice')
      const { duckdb } = require('sluice/duckdb')
      ;(async () => { ${syncInto(path)}; console.log(JSON.stringify(outcome)) })()`)
    expect(out).toEqual({ status: 'succeeded', rows: 2 })
    expect(await ids(path)).toEqual([1, 2])
  })

  it('import("sluice/duckdb") from the ESM build syncs into a DuckDB file', async () => {
    const path = join(written, 'esm.duckdb')
    const out = node('esm', `
      const { sync, fromIterable } = await import('sluice')
      const { duckdb } = await import('sluice/duckdb')
      ${syncInto(path, 'import.meta.resolve')}; console.log(JSON.stringify(outcome))`)
    expect(out).toEqual({ status: 'succeeded', rows: 2 })
    expect(await ids(path)).toEqual([1, 2])
  })

  it('both builds in one process share one copy of the native DuckDB bindings', async () => {
    // Two copies of duckdb.node in one process would mean two DuckDB runtimes that don't see each
    // other's open databases; Node caches a native addon under its real path, once.
    const cjsPath = join(written, 'both-cjs.duckdb')
    const esmPath = join(written, 'both-esm.duckdb')
    const out = node('cjs', `
      ;(async () => {
        const results = []
        for (const [load, path] of [[require, ${JSON.stringify(cjsPath)}], [(s) => import(s), ${JSON.stringify(esmPath)}]]) {
          const { sync, fromIterable } = await load('sluice')
          const { duckdb } = await load('sluice/duckdb')
          ${syncInto('PATH').replace('"PATH"', 'path')}
          results.push(outcome)
        }
        const natives = Object.keys(require.cache).filter((file) => file.endsWith('duckdb.node'))
        console.log(JSON.stringify({ results, natives: natives.length }))
      })()`)
    expect(out).toEqual({ results: [{ status: 'succeeded', rows: 2 }, { status: 'succeeded', rows: 2 }], natives: 1 })
    expect(await ids(cjsPath)).toEqual([1, 2])
    expect(await ids(esmPath)).toEqual([1, 2])
  })
})
