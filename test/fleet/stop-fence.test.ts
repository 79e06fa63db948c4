import { afterAll, beforeAll, expect, it } from 'vitest'
import { CONNECTOR, expectExact, settled, singleProcessMar, sleep, startRig, type Rig } from './support/fleet-rig.js'

/**
 * Issue 14, proof 2: at-least-once delivery does not duplicate. A worker that is mid-partition is frozen
 * (SIGSTOP) past its job lock (1.5 s), so BullMQ declares the job stalled and a second worker takes it
 * (seen: another worker asks the API for the same partition's range); the frozen one is then thawed
 * (SIGCONT) and carries on with the sync it was running. The second worker fenced the partition's
 * connector id when it took over, so the thawed worker's next commit is refused (a `FENCED` line in its
 * log) and rolls back; the destination still equals the source row for row.
 */

const ROWS = 60_000
const SPAN = 7_500 // 8 partitions
const WORKERS = 3
/** Longest wait for a takeover or the run's end, ms (a bound on a broken fleet, not a timing claim). */
const BOUND_MS = 60_000

let rig: Rig
let reference: Record<string, number>

beforeAll(async () => {
  rig = await startRig({
    name: 'fence',
    rows: ROWS,
    span: SPAN,
    latencyMs: 25, // ~0.4 s of pages per partition: a worker is caught mid-partition
    attempts: 10,
    workerEnv: { FLEET_LOCK_MS: '1500', FLEET_STALLED_MS: '500' },
  })
  reference = await singleProcessMar(rig.api.url, SPAN)
}, 120_000)

afterAll(async () => {
  await rig?.close()
}, 60_000)

it('a worker frozen past its lock loses its job to another, and its commits after the thaw are refused as FENCED', async () => {
  const started = performance.now()
  await rig.startWorkers(WORKERS)
  const run = await rig.fleet.sync(CONNECTOR)
  const outcome = settled(run.finished())

  // A worker inside a partition: its latest requests were for the same bounded range.
  let victim: { worker: string; before: number } | undefined
  for (const deadline = performance.now() + BOUND_MS; !victim && !outcome.done && performance.now() < deadline; ) {
    for (const r of rig.api.lastRequestBy().values()) {
      if (r.worker.startsWith('w') && r.before !== undefined && r.inRange >= 2) {
        victim = { worker: r.worker, before: r.before }
        break
      }
    }
    if (!victim) await sleep(5)
  }
  expect(victim, 'no worker was seen inside a partition').toBeDefined()
  const frozen = victim!
  rig.pool.freeze(frozen.worker)

  // Frozen until another worker reads the same partition: BullMQ handed the stalled job over.
  let takenBy: string | undefined
  for (const deadline = performance.now() + BOUND_MS; !takenBy && performance.now() < deadline; ) {
    for (const r of rig.api.lastRequestBy().values()) if (r.worker !== frozen.worker && r.before === frozen.before) takenBy = r.worker
    if (!takenBy) await sleep(20)
  }
  rig.pool.thaw(frozen.worker)
  expect(takenBy, `no worker took over ${frozen.worker}'s partition (before=${frozen.before}) while it was frozen`).toBeDefined()

  for (const deadline = performance.now() + BOUND_MS * 2; !outcome.done && performance.now() < deadline; ) await sleep(50)
  const wallMs = performance.now() - started
  process.stdout.write(`fleet SIGSTOP fence: froze ${frozen.worker} in partition before=${frozen.before}, taken over by ${takenBy}, ${(wallMs / 1000).toFixed(1)} s\n`)
  expect(outcome.done, 'the run did not finish').toBe(true)
  expect(outcome.error).toBeUndefined()
  expect(outcome.value, JSON.stringify(outcome.value)).toMatchObject({ status: 'succeeded', connectorId: CONNECTOR })

  // The thawed worker's commit was refused by the fence (its job's own failure shows the same code).
  const fenced = rig.pool.get(frozen.worker)!.lines.filter((line) => line.includes('"FENCED"'))
  expect(fenced.length, `no FENCED line from ${frozen.worker}:\n${rig.pool.get(frozen.worker)!.lines.slice(-30).join('\n')}`).toBeGreaterThan(0)
  await expectExact(rig.schema, ROWS, reference)
}, 240_000)
