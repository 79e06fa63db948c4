/**
 * Runs ONE case of one scenario in this (fresh) process and reports a `CaseResult` over IPC:
 * generate the rows (untimed), prepare (untimed), gc, time `run`, verify (untimed).
 * Started by `run-case.ts`; to profile the timed part of one case by hand:
 *   BENCH_PROFILE=/tmp/sync.cpuprofile node --expose-gc --import tsx bench/harness/child.ts sqlite-upsert sync 1000000
 */
import { performance } from 'node:perf_hooks'
import type { CaseResult } from './case-result.js'
import { profiled } from './profile.js'
import { SCENARIOS } from './scenarios.js'

const [scenarioName, caseName, rowsText] = process.argv.slice(2)
const gc = (globalThis as { gc?: () => void }).gc

/**
 * One full GC right before timing: it drops the garbage of loading and preparing, so the case
 * starts on a clean heap. Only one: with ~1M rows live, each full GC costs 0.3–1.5 s of CPU,
 * and the bench runs ~25 children.
 */
function collect(): void {
  if (!gc) throw new Error('bench child needs --expose-gc')
  gc()
}

async function main(): Promise<CaseResult> {
  const load = SCENARIOS[scenarioName!]
  if (!load) throw new Error(`unknown scenario ${scenarioName}`)
  const scenario = await load()
  const benchCase = scenario.cases.find((c) => c.name === caseName)
  if (!benchCase) throw new Error(`scenario ${scenarioName} has no case ${caseName}`)
  const rows = Number(rowsText)
  const data = scenario.generate(rows)
  const prepared = await benchCase.prepare?.(data)
  collect()
  const inputRssMb = process.memoryUsage().rss / 2 ** 20
  let cpuMs = 0
  const ms = await profiled(process.env.BENCH_PROFILE, async () => {
    const start = performance.now()
    const cpuStart = process.cpuUsage()
    await benchCase.run(prepared, data)
    const cpu = process.cpuUsage(cpuStart)
    cpuMs = (cpu.user + cpu.system) / 1000
    return performance.now() - start
  })
  const peakRssMb = process.resourceUsage().maxRSS / 1024 // maxRSS is in KiB
  try {
    await benchCase.verify?.(prepared, data)
  } finally {
    await benchCase.cleanup?.(prepared)
  }
  return { ok: true, rows, ms, cpuMs, peakRssMb, inputRssMb }
}

/** Over IPC when started by the runner; as a JSON line when started by hand (e.g. under a profiler). */
function report(result: CaseResult): void {
  const code = result.ok ? 0 : 1
  if (process.send) process.send(result, () => process.exit(code))
  else {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exitCode = code
  }
}

main().then(report, (error: unknown) => report({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
