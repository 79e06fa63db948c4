import { afterAll, beforeAll, expect, it } from 'vitest'
import { CONNECTOR, diagnose, expectExact, settled, singleProcessMar, sleep, startRig, type Rig } from './support/fleet-rig.js'

/**
 * Issue 14, proof 2: at-least-once delivery does not duplicate. A worker that is mid-partition is frozen
 * (SIGSTOP) — after it committed a checkpoint of its partition — past its job lock (1.5 s), so BullMQ declares the job stalled and a second worker takes it
 * (seen: another worker's log starts the same partition's sync); the frozen one is then thawed
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
    // debug: checkpoint lines; a checkpoint after every page of 500, so a worker is caught between two commits of a partition.
    workerEnv: { FLEET_LOCK_MS: '1500', FLEET_STALLED_MS: '500', FLEET_LOG_LEVEL: 'debug', FLEET_CHECKPOINT_ROWS: '500' },
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

  // A worker inside a partition: it started that partition's sync and committed a checkpoint of it since.
  let frozen: { worker: string; partition: string } | undefined
  for (const deadline = performance.now() + BOUND_MS; !frozen && !outcome.done && performance.now() < deadline; ) {
    for (const name of rig.pool.alive()) {
      const partition = midPartition(rig.pool.get(name)!.lines)
      if (partition) {
        frozen = { worker: name, partition }
        rig.pool.freeze(name)
        break
      }
    }
    if (!frozen) await sleep(5)
  }
  expect(frozen, 'no worker was seen inside a partition').toBeDefined()
  const { worker, partition } = frozen!

  // Frozen until another worker starts the same partition: BullMQ handed the stalled job over.
  const startedBy = (name: string) => rig.pool.get(name)!.lines.some((l) => l.includes('"msg":"sync started"') && l.includes(`"connector":"${partition}"`))
  let takenBy: string | undefined
  for (const deadline = performance.now() + BOUND_MS; !takenBy && performance.now() < deadline; ) {
    takenBy = rig.pool.alive().find((name) => name !== worker && startedBy(name))
    if (!takenBy) await sleep(20)
  }
  rig.pool.thaw(worker)
  expect(takenBy, `no worker took over ${worker}'s partition ${partition} while it was frozen:\n${await diagnose(rig)}`).toBeDefined()

  for (const deadline = performance.now() + BOUND_MS * 2; !outcome.done && performance.now() < deadline; ) await sleep(50)
  const wallMs = performance.now() - started
  process.stdout.write(`fleet SIGSTOP fence: froze ${worker} in ${partition}, taken over by ${takenBy}, ${(wallMs / 1000).toFixed(1)} s\n`)
  expect(outcome.done, 'the run did not finish').toBe(true)
  expect(outcome.error).toBeUndefined()
  expect(outcome.value, JSON.stringify(outcome.value)).toMatchObject({ status: 'succeeded', connectorId: CONNECTOR })

  // The thawed worker's commit was refused by the fence (its job's own failure shows the same code).
  const fenced = rig.pool.get(worker)!.lines.filter((line) => line.includes('"FENCED"'))
  if (fenced[0]) process.stdout.write(`fleet SIGSTOP fence: ${worker} after the thaw: ${fenced[0].slice(0, 400)}\n`)
  expect(fenced.length, `no FENCED line from ${worker}:\n${rig.pool.get(worker)!.lines.slice(-30).join('\n')}`).toBeGreaterThan(0)
  await expectExact(rig.schema, ROWS, reference)
}, 240_000)

/** The partition a worker's log shows it inside of (its sync started and committed a checkpoint, not yet ended), if any. */
function midPartition(lines: readonly string[]): string | undefined {
  let current: string | undefined
  let checkpoints = 0
  for (const line of lines) {
    if (!line.startsWith('{')) continue
    let entry: { msg?: string; connector?: string }
    try {
      entry = JSON.parse(line) as typeof entry
    } catch {
      continue
    }
    if (!entry.connector?.startsWith(`${CONNECTOR}#`)) continue
    if (entry.msg === 'sync started') {
      current = entry.connector
      checkpoints = 0
    } else if (entry.msg === 'checkpoint' && entry.connector === current) checkpoints++
    else if (entry.msg?.startsWith('sync ') && entry.connector === current) current = undefined
  }
  return current !== undefined && checkpoints >= 1 ? current : undefined
}
