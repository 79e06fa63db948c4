/**
 * fleet: does a partitioned backfill scale with worker processes? The API (test/fleet/support/fleet-api.ts,
 * in a child process) serves `BENCH_ROWS` items (default 200k here) in pages of 500 with 50 ms added per
 * page, so the work is latency-bound and 2 cores are not the limit. The backfill is split into 64 id
 * ranges (idCursor `span` = ⌈rows / 64⌉) and loaded into Postgres (a fresh schema per run) by:
 *
 * - raw limit: N plain `fetch` loops over the same 64 ranges, pages of 500, no database — the API's own
 *   bound for N clients;
 * - the fleet: N worker processes (test/fleet/support/worker-child.ts, concurrency 1 each, a private Redis),
 *   one `fleet.sync()` from this process, timed from the enqueue to the outcome;
 * - one process: the same source with idCursor's own `concurrency` = N, one `sync()` in a child process:
 *   the same partitions without BullMQ, Redis, fencing or the completion job.
 *
 * Target (issue 14): fleet rows/s with N workers ≥ 0.8 × N × one worker's, up to 8. The "overhead per
 * partition" column is (fleet wall − one-process wall) × N ÷ 64: worker time each partition costs in the
 * fleet beyond the same range read in one process. Workers are started before the clock (untimed); peak
 * RSS is the largest worker's (VmHWM) for the fleet, the child's own otherwise. Every run verifies the
 * destination row for row (count, distinct ids, content hash). The last column is CPU seconds over the timed part —
 * the sluice processes (all workers, or the one child) + every postgres process — and the cores they kept busy on
 * average: on a 2-core machine, near 2 means the run was CPU-bound, not latency-bound.
 *
 * Env: `BENCH_ROWS` (default 200_000 for this scenario), `BENCH_REPEAT` (default 1 here), `BENCH_FLEET_WORKERS`
 * (default `1,2,4,8`), `BENCH_FLEET_LATENCY_MS` (default 50), `BENCH_FLEET_TIMELINE=1` (after each timed fleet
 * run, print from BullMQ's job timestamps when each worker ran its partitions and how long the completion took, and
 * the cores the workers and postgres kept busy in each 250 ms). Cases: `raw`, `fleet`, `fleet-warm` (the
 * same workers after one untimed backfill: JIT, pools and tables warm, as in a fleet that has been
 * running), `one-process` (`npm run bench -- fleet:fleet`).
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { markdownTable, formatRate, median } from '../harness/format-table.js'
import pg from 'pg'
import { sync } from '../../src/index.js'
import { postgres } from '../../src/postgres.js'
import { startPrivateRedis } from '../../test/support/private-redis.js'
import { expectedContentHash, fleetApiChild } from '../../test/fleet/support/fleet-api.js'
import { dropSchema, itemsConnector, itemsSource, PG_URL, uniqueSchema } from '../../test/fleet/support/fleet-connector.js'
import { tableSummary } from '../../test/fleet/support/destination-check.js'
import { workerPool } from '../../test/fleet/support/worker-pool.js'
import { PARTITION, queueName, RUN } from '../../src/fleet/queue-names.js'

const PARTITIONS = 64
const PAGE = 500
const CASES = ['raw', 'fleet', 'fleet-warm', 'one-process'] as const
type CaseName = (typeof CASES)[number]

interface Run {
  readonly ms: number
  readonly rssMb: number
  /** CPU seconds over the timed part: the sluice processes (the workers, or the one-process child) and every postgres process. */
  readonly cpu?: { readonly sluice: number; readonly postgres: number }
}

function positiveInt(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  const n = Number(text.replaceAll('_', ''))
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`)
  return n
}

/** Checks the schema holds items 1…rows exactly; throws otherwise. */
async function verify(schema: string, rows: number): Promise<void> {
  const s = await tableSummary(schema)
  const hash = expectedContentHash(rows)
  if (s.count !== rows || s.distinct !== rows || s.hash !== hash) throw new Error(`destination ${schema}: ${JSON.stringify(s)}, expected ${rows} distinct rows hashing to ${hash}`)
}

/** The raw limit: `n` fetch loops sharing the 64 ranges, pages of 500, rows parsed and counted. */
async function runRaw(url: string, rows: number, n: number): Promise<Run> {
  const span = Math.ceil(rows / PARTITIONS)
  const ranges = Array.from({ length: PARTITIONS }, (_, i) => ({ lo: i * span, hi: Math.min(rows, (i + 1) * span) })).filter((r) => r.lo < r.hi)
  let next = 0
  let seen = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: n }, async () => {
    for (let r = ranges[next++]; r; r = ranges[next++]) {
      for (let after = r.lo; after < r.hi; ) {
        const res = await fetch(`${url}/items?after=${after}&before=${r.hi + 1}&limit=${PAGE}`)
        const page = (await res.json()) as { id: number }[]
        if (page.length === 0) break
        seen += page.length
        after = page.at(-1)!.id
      }
    }
  }))
  const ms = performance.now() - started
  if (seen !== rows) throw new Error(`raw loop read ${seen} rows, expected ${rows}`)
  return { ms, rssMb: process.resourceUsage().maxRSS / 1024 }
}

/** CPU time (user + system, all threads) of a live process so far, seconds; 0 when it can't be read. */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return 0
  }
}

/** CPU seconds of every running postgres process (the server and its backends) so far; backends that ended in between are missed. */
function postgresCpu(): number {
  let total = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('postgres')) continue
      total += cpuOf(Number(pid))
    } catch {
      // gone meanwhile
    }
  }
  return total
}

/** Samples `cpuSeconds()` every 250 ms until `stop()`, which gives the cores busy in each interval: `1.9 1.8 1.1 …`. */
function busyCores(cpuSeconds: () => number): { stop(): string } {
  const samples: string[] = []
  let last = cpuSeconds()
  let at = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    const cpu = cpuSeconds()
    samples.push(((cpu - last) / ((now - at) / 1000)).toFixed(1))
    last = cpu
    at = now
  }, 250)
  return {
    stop() {
      clearInterval(timer)
      return samples.join(' ')
    },
  }
}

/** Peak RSS of a live process, MB (Linux VmHWM). */
function peakRssOf(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/**
 * N worker processes, started untimed; one `fleet.sync` timed from enqueue to outcome. `warm`: the
 * workers first run the same backfill untimed (JIT warmed up, pools open, tables made), then the
 * destination's rows, state and MAR are deleted and the timed backfill starts over: a fleet whose
 * workers have been running a while.
 */
async function runFleet(url: string, rows: number, n: number, warm = false): Promise<Run> {
  const span = Math.ceil(rows / PARTITIONS)
  const schema = uniqueSchema('bench')
  const redis = await startPrivateRedis()
  const pool = await workerPool({ FLEET_API: url, FLEET_SCHEMA: schema, FLEET_REDIS_PORT: String(redis.port), FLEET_CONNECTOR: 'items', FLEET_SPAN: String(span), FLEET_PAGE: String(PAGE), FLEET_LOG_LEVEL: 'warn' })
  const { fleet } = await import('../../src/bullmq.js') // loaded here: the raw and one-process cases need no BullMQ
  const f = await fleet({ connection: { host: '127.0.0.1', port: redis.port }, connectors: [itemsConnector({ id: 'items', apiUrl: url, schema, span, page: PAGE })] })
  try {
    await Promise.all(Array.from({ length: n }, (_, i) => pool.start(`w${i + 1}`)))
    if (warm) {
      const first = await (await f.sync('items')).finished()
      if (first.status !== 'succeeded') throw new Error(`warm-up run: ${JSON.stringify(first)}`)
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      try {
        for (const table of ['items', '_sluice_state', '_sluice_mar_keys', '_sluice_mar']) await client.query(`DELETE FROM "${schema}"."${table}"`)
      } finally {
        await client.end()
      }
    }
    const pids = pool.alive().map((name) => pool.get(name)?.child.pid)
    const cpu0 = { sluice: pids.reduce<number>((t, pid) => t + cpuOf(pid), 0), postgres: postgresCpu() }
    const busy = process.env.BENCH_FLEET_TIMELINE ? busyCores(() => pids.reduce<number>((t, pid) => t + cpuOf(pid), 0) + postgresCpu()) : undefined
    const started = performance.now()
    const outcome = await (await f.sync('items')).finished()
    const ms = performance.now() - started
    const busyLine = busy?.stop()
    const cpu = { sluice: pids.reduce<number>((t, pid) => t + cpuOf(pid), 0) - cpu0.sluice, postgres: postgresCpu() - cpu0.postgres }
    if (outcome.status !== 'succeeded' || outcome.partitions !== PARTITIONS) throw new Error(`fleet run: ${JSON.stringify(outcome)}`)
    if (process.env.BENCH_FLEET_TIMELINE) {
      await printTimeline(redis.port, started)
      process.stderr.write(`  cores busy (workers + postgres), each 250 ms from enqueue: ${busyLine}\n`)
    }
    const rssMb = Math.max(...pool.alive().map((name) => peakRssOf(pool.get(name)?.child.pid)))
    await verify(schema, rows)
    return { ms, rssMb, cpu }
  } finally {
    await f.close().catch(() => {})
    await pool.close()
    await redis.stop()
    await dropSchema(schema)
  }
}

/**
 * `BENCH_FLEET_TIMELINE=1`: where a timed run's wall went, from BullMQ's own job timestamps — the
 * run job's start, each worker's partitions (first start, last end, the gaps between its jobs), and
 * the completion (the last partition's end to the run job's end).
 */
async function printTimeline(port: number, startedPerf: number): Promise<void> {
  const { Queue } = await import('bullmq')
  const queue = new Queue(queueName(undefined), { connection: { host: '127.0.0.1', port }, prefix: 'sluice' }) // the items connector names no API; worker-child's default prefix
  try {
    const jobs = await queue.getJobs(['completed'], 0, -1)
    const t0 = Date.now() - (performance.now() - startedPerf)
    const at = (ms: number | undefined) => (((ms ?? t0) - t0) / 1000).toFixed(2)
    const run = jobs.filter((j) => j.name === RUN).sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0))[0]
    const parts = jobs.filter((j) => j.name === PARTITION && run && j.id!.startsWith(`${run.id}.`))
    const byWorker = new Map<string, typeof parts>()
    for (const j of parts) byWorker.set(j.processedBy ?? '?', [...(byWorker.get(j.processedBy ?? '?') ?? []), j])
    const lines = [`  timeline (s from enqueue): run job start ${at(run?.processedOn)}, end ${at(run?.finishedOn)}`]
    let lastEnd = 0
    for (const [w, list] of [...byWorker].sort()) {
      list.sort((a, b) => a.processedOn! - b.processedOn!)
      const busy = list.reduce((n, j) => n + (j.finishedOn! - j.processedOn!), 0)
      const gaps = list.slice(1).map((j, i) => j.processedOn! - list[i]!.finishedOn!)
      lastEnd = Math.max(lastEnd, list.at(-1)!.finishedOn!)
      lines.push(`    ${w}: ${list.length} partitions, first start ${at(list[0]!.processedOn)}, last end ${at(list.at(-1)!.finishedOn)}, first ${list[0]!.finishedOn! - list[0]!.processedOn!} ms, busy ${(busy / 1000).toFixed(2)} s, mean ${(busy / list.length).toFixed(0)} ms/partition, gaps ${gaps.reduce((a, b) => a + b, 0)} ms`)
    }
    lines.push(`  completion: last partition end ${at(lastEnd)} → run job end ${at(run?.finishedOn)} (${run?.finishedOn ? run.finishedOn - lastEnd : '?'} ms)`)
    process.stderr.write(`${lines.join('\n')}\n`)
  } finally {
    await queue.close()
  }
}

/** The same 64 ranges read by idCursor's own concurrency = n, one `sync()` in a child process. */
async function runOneProcess(url: string, rows: number, n: number): Promise<Run> {
  const schema = uniqueSchema('bench_one')
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'one', url, schema, String(Math.ceil(rows / PARTITIONS)), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] })
      let text = ''
      child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c))
      child.on('error', reject)
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`one-process child exited with ${code}: ${text}`))))
    })
    const run = JSON.parse(out.trim().split('\n').at(-1)!) as Run // the child's last line
    await verify(schema, rows)
    return run
  } finally {
    await dropSchema(schema)
  }
}

/** The child of `runOneProcess`: times one sync, prints `{ ms, rssMb, cpu }`. */
async function oneProcessChild(url: string, schema: string, span: number, concurrency: number): Promise<void> {
  const cpu0 = { sluice: process.cpuUsage(), postgres: postgresCpu() }
  const started = performance.now()
  const report = await sync({
    source: itemsSource({ id: 'items', apiUrl: url, schema, span, concurrency, page: PAGE }),
    destination: postgres({ connection: PG_URL, schema }),
    connectorId: 'items',
  })
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu0.sluice)
  const cpu = { sluice: (used.user + used.system) / 1e6, postgres: postgresCpu() - cpu0.postgres }
  if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.code} ${report.error?.message}`)
  process.stdout.write(`${JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024, cpu })}\n`)
  process.exit(0)
}

/** `2.9 + 1.7 (1.2)`: median CPU seconds of the sluice processes and of postgres over the timed part, and the cores they kept busy on average. */
function cpuCell(list: readonly Run[]): string {
  const withCpu = list.filter((r) => r.cpu)
  if (withCpu.length === 0) return ''
  const sluice = median(withCpu.map((r) => r.cpu!.sluice))
  const pgCpu = median(withCpu.map((r) => r.cpu!.postgres))
  const cores = median(withCpu.map((r) => (r.cpu!.sluice + r.cpu!.postgres) / (r.ms / 1000)))
  return `${sluice.toFixed(1)} + ${pgCpu.toFixed(1)} (${cores.toFixed(1)})`
}

/** Runs the scenario and prints its table; false when a run failed. */
export async function runFleetBench(only: ReadonlySet<string> | undefined): Promise<boolean> {
  const rows = positiveInt('BENCH_ROWS', 200_000) // not the runner's 1M default: 200k rows at 50 ms a page is ~20 s for one worker
  const repeat = positiveInt('BENCH_REPEAT', 1)
  const latencyMs = Number(process.env.BENCH_FLEET_LATENCY_MS ?? 50)
  const workers = (process.env.BENCH_FLEET_WORKERS ?? '1,2,4,8').split(',').map((w) => Number(w.trim()))
  if (workers.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`BENCH_FLEET_WORKERS must list positive integers, got ${process.env.BENCH_FLEET_WORKERS}`)
  const unknown = [...(only ?? [])].filter((c) => !(CASES as readonly string[]).includes(c))
  if (unknown.length) throw new Error(`fleet has no case ${unknown.join(', ')}; known: ${CASES.join(', ')}`)
  const cases = CASES.filter((c) => !only || only.has(c))
  const loadStart = loadavg().map((x) => x.toFixed(1)).join(' ')
  const api = await fleetApiChild({ rows, latencyMs })
  const runs = new Map<string, Run[]>()
  let ok = true
  try {
    for (let r = 0; r < repeat; r++) {
      for (const n of workers) {
        for (const c of cases) {
          const key = `${c}:${n}`
          try {
            const run = c === 'raw' ? await runRaw(api.url, rows, n) : c === 'fleet' || c === 'fleet-warm' ? await runFleet(api.url, rows, n, c === 'fleet-warm') : await runOneProcess(api.url, rows, n)
            runs.set(key, [...(runs.get(key) ?? []), run])
            process.stderr.write(`  fleet:${c} N=${n} run ${r + 1}/${repeat}: ${formatRate(rows / (run.ms / 1000))} rows/s (wall ${run.ms.toFixed(0)} ms)\n`)
          } catch (error) {
            ok = false
            process.stderr.write(`  fleet:${c} N=${n} run ${r + 1}/${repeat}: FAILED\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
          }
        }
      }
    }
  } finally {
    await api.close()
  }
  const ms = (c: CaseName, n: number): number | undefined => {
    const list = runs.get(`${c}:${n}`)
    return list && list.length === repeat ? median(list.map((x) => x.ms)) : undefined
  }
  const rate = (c: CaseName, n: number) => {
    const m = ms(c, n)
    return m === undefined ? undefined : rows / (m / 1000)
  }
  const labels: Record<CaseName, string> = {
    raw: 'raw limit: N fetch loops, no database',
    fleet: 'sluice fleet: N worker processes',
    'fleet-warm': 'sluice fleet, warm workers (after one untimed backfill)',
    'one-process': 'one process: idCursor concurrency = N',
  }
  const table: string[][] = []
  for (const n of workers) {
    for (const c of cases) {
      const r = rate(c, n)
      if (r === undefined) {
        table.push([`${labels[c]}`, String(n), 'failed', '', '', '', '', '', '', ''])
        continue
      }
      const raw = rate('raw', n)
      const isFleet = c === 'fleet' || c === 'fleet-warm'
      const one = rate(c, 1)
      const fleetMs = ms(c, n)
      const oneMs = ms('one-process', n)
      table.push([
        labels[c],
        String(n),
        formatRate(r),
        (ms(c, n)! / 1000).toFixed(1),
        median(runs.get(`${c}:${n}`)!.map((x) => x.rssMb)).toFixed(0),
        raw !== undefined ? `${(r / raw).toFixed(2)}×` : '',
        isFleet && one !== undefined ? `${(r / one).toFixed(2)}×` : '',
        isFleet && one !== undefined ? (r / (one * n)).toFixed(2) : '',
        isFleet && fleetMs !== undefined && oneMs !== undefined ? ((fleetMs - oneMs) * n / PARTITIONS).toFixed(0) : '',
        cpuCell(runs.get(`${c}:${n}`)!),
      ])
    }
  }
  const settings = [
    `rows ${rows.toLocaleString('en-US')}`,
    `${PARTITIONS} partitions (span ${Math.ceil(rows / PARTITIONS)}), pages of ${PAGE}, ${latencyMs} ms added per page (API in a child process)`,
    'destination: postgres on 127.0.0.1:5432, a fresh schema per run; fleet: a private redis-server (appendfsync always), workers started untimed, concurrency 1 each',
    `median of ${repeat} run(s)`,
    `load average ${loadStart} at start, ${loadavg().map((x) => x.toFixed(1)).join(' ')} at end`,
    `node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'})`,
    new Date().toISOString().slice(0, 10),
  ].join(' · ')
  const header = ['', 'N', 'rows/s', 'wall s', 'peak RSS MB', '× raw (same N)', '× same case N=1', '÷ N (target ≥ 0.8)', 'overhead ms/partition', 'CPU s: sluice + postgres (cores busy)']
  process.stdout.write(`\n### fleet — partitioned backfill, latency-bound API → Postgres, N workers\n\n${markdownTable(header, table)}\n\n${settings}\n\n`)
  return ok
}

if (process.argv[2] === 'one' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, schema, span, concurrency] = process.argv.slice(3)
  await oneProcessChild(url!, schema!, Number(span), Number(concurrency))
}
