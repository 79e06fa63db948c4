/**
 * `npm run bench [-- <scenario>[:<case>] …]`: runs every scenario (or the named ones) and prints
 * one table per scenario — the hand-written raw loop (the limit), the library at each layer,
 * peers — with rows/s, peak RSS and the ratio to the raw loop, all from this one run.
 *
 * Every case run is its own child process (fresh heap, own peak RSS). Runs are interleaved
 * (raw, library, peer, raw, library, …) so a noisy neighbour on the VM hits every row alike,
 * and each cell is the median of `BENCH_REPEAT` runs (default 3). Rows per CPU-second (user +
 * system time of the child) are printed beside rows per wall-clock second: on a shared VM the
 * wall clock also counts time other processes held the cores, CPU time does not (but it does
 * not count waiting for the disk either).
 *
 * Env: `BENCH_ROWS` (default 1_000_000), `BENCH_REPEAT` (default 3), `BENCH_NODE_ARGS` (extra
 * node flags for the children, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). To profile only the
 * timed part of one case, run its child by hand with `BENCH_PROFILE` (see harness/child.ts).
 */
import { cpus, loadavg } from 'node:os'
import type { CaseResult } from './harness/case-result.js'
import { formatRate, markdownTable, median } from './harness/format-table.js'
import { ordersFile } from './harness/orders-file.js'
import { runCase } from './harness/run-case.js'
import type { BenchCase, Scenario } from './harness/scenario.js'
import { SCENARIOS } from './harness/scenarios.js'

/** Scenarios that time whole `node` processes, not rows: each prints its own table (cold-start: import + 1-row sync). */
const PROCESS_SCENARIOS: Readonly<Record<string, () => Promise<(only: ReadonlySet<string> | undefined) => Promise<boolean>>>> = {
  'cold-start': async () => (await import('./scenarios/cold-start.js')).runColdStart,
  // fleet: N worker processes, a private Redis and Postgres per run (its own table: workers, scaling ÷ N, overhead per partition).
  fleet: async () => (await import('./scenarios/fleet.js')).runFleetBench,
}

const rows = positiveInt('BENCH_ROWS', 1_000_000)
const repeat = positiveInt('BENCH_REPEAT', 3)

function positiveInt(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  const n = Number(text.replaceAll('_', ''))
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`)
  return n
}

/** `sqlite-upsert` or `sqlite-upsert:sync`, from the command line; none means all. */
function selection(): Map<string, Set<string> | undefined> {
  const picked = new Map<string, Set<string> | undefined>()
  const args = process.argv.slice(2).filter((a) => a !== '--')
  const known = [...Object.keys(SCENARIOS), ...Object.keys(PROCESS_SCENARIOS)]
  for (const arg of args.length ? args : known) {
    const [name, caseName] = arg.split(':') as [string, string | undefined]
    if (!known.includes(name)) throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${known.join(', ')}`)
    if (caseName === undefined) picked.set(name, undefined)
    else if (!picked.has(name) || picked.get(name)) picked.set(name, (picked.get(name) ?? new Set()).add(caseName))
  }
  return picked
}

const runsOf = (c: BenchCase<unknown>): number => Math.min(repeat, c.runs ?? repeat)

async function runScenario(scenario: Scenario<unknown>, only: Set<string> | undefined): Promise<boolean> {
  const loadStart = loadavg().map((x) => x.toFixed(1)).join(' ')
  const cases = scenario.cases.filter((c) => !only || only.has(c.name) || c.name === scenario.baseline)
  const results = new Map<string, CaseResult[]>(cases.map((c) => [c.name, []]))
  for (let r = 0; r < repeat; r++) {
    // Rotate the order each round so no case always runs first (or right after the slowest).
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]!
      if (r >= runsOf(c)) continue
      const result = await runCase(scenario.name, c.name, rows)
      results.get(c.name)!.push(result)
      const shown = result.ok ? `${formatRate(result.rows / (result.ms / 1000))} rows/s (wall ${result.ms.toFixed(0)} ms, cpu ${result.cpuMs.toFixed(0)} ms)` : 'FAILED'
      process.stderr.write(`  ${scenario.name}:${c.name} run ${r + 1}/${runsOf(c)}: ${shown}\n`)
      if (!result.ok) process.stderr.write(`${result.error}\n`)
    }
  }
  const ok = (c: BenchCase<unknown>) => results.get(c.name)!.flatMap((x) => (x.ok ? [x] : []))
  /** Median rows per wall-clock second, and per CPU second (steadier when the VM is busy). */
  const rates = (c: BenchCase<unknown>): { wall: number[]; cpu: number[] } | undefined => {
    const runs = ok(c)
    if (runs.length !== runsOf(c)) return undefined
    return { wall: runs.map((x) => x.rows / (x.ms / 1000)), cpu: runs.map((x) => x.rows / (x.cpuMs / 1000)) }
  }
  const base = rates(cases.find((c) => c.name === scenario.baseline)!)
  const table = cases.map((c) => {
    const r = rates(c)
    const label = `${c.label} (${c.kind})`
    if (!r) return [label, 'failed', '', '', '', '', '']
    const ratio = (mine: number[], theirs: number[] | undefined) => (theirs ? `${(median(mine) / median(theirs)).toFixed(2)}×` : '')
    return [
      label,
      formatRate(median(r.wall)),
      r.wall.length > 1 ? `${formatRate(Math.min(...r.wall))}–${formatRate(Math.max(...r.wall))}` : '1 run',
      median(ok(c).map((x) => x.peakRssMb)).toFixed(0),
      ratio(r.wall, base?.wall),
      formatRate(median(r.cpu)),
      ratio(r.cpu, base?.cpu),
    ]
  })
  const inputRss = median([...results.values()].flat().flatMap((x) => (x.ok ? [x.inputRssMb] : [])))
  const settings = [
    `rows ${rows.toLocaleString('en-US')}`,
    scenario.settings(rows),
    `median of ${repeat} interleaved runs (slow peers: fewer), each case run in its own child process`,
    `RSS before timing (input rows loaded, after a GC): ${inputRss.toFixed(0)} MB`,
    `load average ${loadStart} at start, ${loadavg().map((x) => x.toFixed(1)).join(' ')} at end`,
    `node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'})`,
    new Date().toISOString().slice(0, 10),
  ].join(' · ')
  const header = ['', 'rows/s', 'runs (min–max)', 'peak RSS MB', `× ${scenario.baseline}`, 'rows/CPU-s', `× ${scenario.baseline} (CPU)`]
  process.stdout.write(`\n### ${scenario.name} — ${scenario.title}\n\n${markdownTable(header, table)}\n\n${settings}\n\n`)
  return cases.every((c) => rates(c) !== undefined)
}

let allOk = true
const picked = selection()
// Write the cached input file (if missing) once here, not inside a timed child's set-up (see orders-file.ts).
// The cdc scenarios write their own rows into a private Postgres cluster: they need no orders file.
const OWN_DATA = new Set(['cdc', 'cdc-snapshot'])
if ([...picked.keys()].some((name) => SCENARIOS[name] && !OWN_DATA.has(name))) ordersFile(rows)
for (const [name, only] of picked) {
  const processScenario = PROCESS_SCENARIOS[name]
  if (processScenario) {
    allOk = (await (await processScenario())(only)) && allOk
    continue
  }
  const scenario = await SCENARIOS[name]!()
  allOk = (await runScenario(scenario, only)) && allOk
}
process.exitCode = allOk ? 0 : 1
