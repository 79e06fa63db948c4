/**
 * cold-start: what a serverless invocation pays before its first row. Each run is a fresh `node`
 * process that imports the BUILT package (tsup, the real tsup.config.ts, as users get it) and, in
 * the sync rows, runs `sync(fromIterable('t', [{ id: 1 }]) → memory())`. The limit is `node -e 0`:
 * the process itself. Target (issue 11): import + sync ≤ 2.5× `node -e 0`.
 *
 * Rows are whole processes, not rows per second, so this scenario prints its own table (wall ms
 * from spawn to exit, as the parent sees it; CPU ms of the child, steadier on a busy VM; peak RSS)
 * and bench/run.ts runs it apart from the row scenarios. Runs are interleaved and rotated.
 *
 * Env: `BENCH_REPEAT` (default 10 here), `BENCH_NODE_ARGS` (extra node flags for every child,
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), `BENCH_COLD_START_PACKAGE` (measure an
 * already-built package directory, e.g. a base checkout after `npm run build`, instead of
 * building this one).
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Options } from 'tsup'
import { markdownTable, median } from '../harness/format-table.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** One row of the table: a node command line. */
interface ProcessCase {
  readonly name: string
  readonly label: string
  /** Node flags and script, after `BENCH_NODE_ARGS`. */
  readonly args: readonly string[]
}

/** One child: wall time seen by the parent, and what the child reports of itself at exit. */
interface Run {
  readonly wallMs: number
  readonly cpuMs: number
  readonly rssMb: number
}

/**
 * Registered first in every script, so all cases pay the same: at exit the child writes its own
 * CPU time (user + system since the process started, every thread) and peak RSS.
 */
const PROBE =
  "process.on('exit', () => { const c = process.cpuUsage(); process.stdout.write(JSON.stringify({ cpuMs: (c.user + c.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024 })) });"
const SYNC = "const r = await sync({ source: fromIterable('t', [{ id: 1 }]), destination: memory() }); if (r.status !== 'succeeded') throw new Error('sync ' + r.status);"

const CASES: readonly ProcessCase[] = [
  { name: 'node', label: '`node -e 0` (the process alone)', args: ['-e', PROBE] },
  { name: 'esm-import', label: "ESM `await import('sluice')`", args: ['--input-type=module', '-e', `${PROBE} await import('sluice')`] },
  {
    name: 'esm-sync', label: "ESM import + `sync(fromIterable` 1 row `→ memory())`",
    args: ['--input-type=module', '-e', `${PROBE} const { sync, fromIterable, memory } = await import('sluice'); ${SYNC}`],
  },
  { name: 'cjs-require', label: "CJS `require('sluice')`", args: ['-e', `${PROBE} require('sluice')`] },
  {
    name: 'cjs-sync', label: "CJS require + `sync(fromIterable` 1 row `→ memory())`",
    args: ['-e', `${PROBE} const { sync, fromIterable, memory } = require('sluice'); (async () => { ${SYNC} })().catch((e) => { console.error(e); process.exitCode = 1 })`],
  },
]
const BASELINE = 'node'

/**
 * A consumer directory whose `node_modules/sluice` is the built package: built here from src/ with
 * the real tsup config (ESM + CJS, no .d.ts), or `BENCH_COLD_START_PACKAGE` linked in. It lives in
 * .tmp/ inside the repository so the package's dependencies resolve from its node_modules.
 */
async function consumer(): Promise<{ dir: string; built: string; remove(): void }> {
  const dir = join(ROOT, '.tmp', `bench-cold-start-${process.pid}`)
  const pkg = join(dir, 'node_modules', 'sluice')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'node_modules'), { recursive: true })
  // Its own package.json, or Node would resolve `sluice` by self-reference to the repository's dist/.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cold-start-consumer', private: true }))
  const given = process.env.BENCH_COLD_START_PACKAGE
  if (given) {
    symlinkSync(resolve(given), pkg, 'dir')
    return { dir, built: `package ${resolve(given)}`, remove: () => rmSync(dir, { recursive: true, force: true }) }
  }
  const { build } = await import('tsup')
  const config = (await import('../../tsup.config.js')).default
  const library = ((Array.isArray(config) ? config : [config]) as Options[]).find((c) => Array.isArray(c.format) && c.format.includes('cjs'))
  if (!library) throw new Error('tsup.config.ts has no CommonJS build')
  mkdirSync(pkg, { recursive: true })
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
  await build({ ...library, config: false, entry: { index: join(ROOT, 'src/index.ts') }, outDir: join(pkg, 'dist'), dts: false, sourcemap: false, clean: false, silent: true })
  return { dir, built: 'src/ built with tsup.config.ts (ESM + CJS, no .d.ts, no source maps)', remove: () => rmSync(dir, { recursive: true, force: true }) }
}

function runOnce(c: ProcessCase, cwd: string, extra: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS // measure plain node, not the loader the bench itself runs under
    const started = performance.now()
    const child = spawn(process.execPath, [...extra, ...c.args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - started
      if (code !== 0) return reject(new Error(`${c.name} exited with code ${code}: ${err.trim()}`))
      const self = JSON.parse(out.slice(out.lastIndexOf('{'))) as { cpuMs: number; rssMb: number }
      resolve({ wallMs, ...self })
    })
  })
}

/** Runs the scenario (all cases, or `only` plus the baseline) and prints its table; false when a case failed. */
export async function runColdStart(only: ReadonlySet<string> | undefined): Promise<boolean> {
  const repeat = process.env.BENCH_REPEAT ? Number(process.env.BENCH_REPEAT.replaceAll('_', '')) : 10
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`BENCH_REPEAT must be a positive integer, got ${JSON.stringify(process.env.BENCH_REPEAT)}`)
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  const cases = CASES.filter((c) => !only || only.has(c.name) || c.name === BASELINE)
  const unknown = [...(only ?? [])].filter((n) => !CASES.some((c) => c.name === n))
  if (unknown.length) throw new Error(`cold-start has no case ${unknown.join(', ')}; known: ${CASES.map((c) => c.name).join(', ')}`)
  const target = await consumer()
  const loadStart = loadavg().map((x) => x.toFixed(1)).join(' ')
  const runs = new Map<string, Run[]>(cases.map((c) => [c.name, []]))
  let ok = true
  try {
    for (let r = 0; r < repeat; r++) {
      for (let k = 0; k < cases.length; k++) {
        const c = cases[(k + r) % cases.length]! // rotated: no case always runs first
        try {
          const run = await runOnce(c, target.dir, extra)
          runs.get(c.name)!.push(run)
          process.stderr.write(`  cold-start:${c.name} run ${r + 1}/${repeat}: wall ${run.wallMs.toFixed(0)} ms, cpu ${run.cpuMs.toFixed(0)} ms\n`)
        } catch (error) {
          ok = false
          process.stderr.write(`  cold-start:${c.name} run ${r + 1}/${repeat}: FAILED\n${(error as Error).message}\n`)
        }
      }
    }
  } finally {
    target.remove()
  }
  const base = runs.get(BASELINE)!
  const ratio = (mine: number[], theirs: number[]) => (mine.length && theirs.length ? `${(median(mine) / median(theirs)).toFixed(2)}×` : '')
  const table = cases.map((c) => {
    const mine = runs.get(c.name)!
    if (mine.length !== repeat) return [c.label, 'failed', '', '', '', '', '']
    const wall = mine.map((x) => x.wallMs)
    const cpu = mine.map((x) => x.cpuMs)
    return [
      c.label, median(wall).toFixed(0), `${Math.min(...wall).toFixed(0)}–${Math.max(...wall).toFixed(0)}`, ratio(wall, base.map((x) => x.wallMs)),
      median(cpu).toFixed(0), ratio(cpu, base.map((x) => x.cpuMs)), median(mine.map((x) => x.rssMb)).toFixed(0),
    ]
  })
  const settings = [
    target.built,
    `each run a fresh \`node${extra.length ? ` ${extra.join(' ')}` : ''}\` process in a consumer directory (NODE_OPTIONS cleared)`,
    `median of ${repeat} interleaved runs`,
    'wall: spawn to exit as the parent sees it; CPU: user + system of the child (all threads), from its own process.cpuUsage() at exit',
    `load average ${loadStart} at start, ${loadavg().map((x) => x.toFixed(1)).join(' ')} at end`,
    `node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'})`,
    new Date().toISOString().slice(0, 10),
  ].join(' · ')
  const header = ['', 'wall ms', 'runs (min–max)', '× node -e 0', 'CPU ms', '× node -e 0 (CPU)', 'peak RSS MB']
  process.stdout.write(`\n### cold-start — fresh process: import the built package, then sync 1 row into memory\n\n${markdownTable(header, table)}\n\n${settings}\n\n`)
  return ok && cases.every((c) => runs.get(c.name)!.length === repeat)
}
