import { afterAll, beforeAll, expect, it } from 'vitest'
import { CONNECTOR, diagnose, expectExact, settled, singleProcessMar, sleep, startRig, type Rig } from './support/fleet-rig.js'

/**
 * Issue 14, proof 1: four worker processes run a 64-partition backfill of 409,600 rows while the test
 * SIGKILLs a random worker at least ten times (each at a random moment once the API served a few more
 * pages since the last restart) and restarts it. Killed jobs stall, BullMQ hands them to a live worker
 * after the (short) lock, and each partition resumes from its own committed state, fenced. At the end
 * the destination equals the source row for row (count, distinct ids, content hash), the connector's
 * state is `{ after: maxId }` with no partition state left, and MAR equals an uninterrupted
 * single-process sync's. Kill count and wall time are printed for the closing note.
 */

const ROWS = 409_600
const PARTITIONS = 64
const SPAN = Math.ceil(ROWS / PARTITIONS)
const WORKERS = 4
const KILLS = 10
/** Pages the API serves between two kills (then a random 0–250 ms more): kills land mid-partition, spread over the run. */
const PAGES_BETWEEN_KILLS = 20
/** Longest the run may take (a bound on a broken fleet, not a timing claim), ms. */
const BOUND_MS = 180_000

let rig: Rig
let reference: Record<string, number>

beforeAll(async () => {
  rig = await startRig({
    name: 'kill',
    rows: ROWS,
    span: SPAN,
    attempts: 25,
    latencyMs: 10, // 820 pages at 10 ms over 4 workers: a run long enough for ten kills, however fast Postgres is
    // A killed worker's job stalls until its lock expires: short locks keep the proof short.
    workerEnv: { FLEET_LOCK_MS: '2000', FLEET_STALLED_MS: '1000' },
  })
  reference = await singleProcessMar(rig.api.url, SPAN)
}, 120_000)

afterAll(async () => {
  await rig?.close()
}, 60_000)

it('a 64-partition backfill under 10+ SIGKILLs of random workers lands exactly once, MAR as one process counts', async () => {
  const started = performance.now()
  await rig.startWorkers(WORKERS)
  const run = await rig.fleet.sync(CONNECTOR)
  const outcome = settled(run.finished())
  let kills = 0
  const killed: string[] = []
  // Restarts run in the background: the next kill does not wait for the last victim to be back up.
  const restarts = new Map<string, Promise<unknown>>()
  let mark = rig.api.requests()
  const deadline = performance.now() + BOUND_MS
  while (!outcome.done && performance.now() < deadline) {
    if (rig.api.requests() - mark < PAGES_BETWEEN_KILLS) {
      await sleep(10)
      continue
    }
    await sleep(Math.floor(Math.random() * 250))
    // Victims are workers up and serving (a process still starting holds no job yet).
    const ready = rig.pool.alive().filter((name) => rig.pool.get(name)!.ready && !restarts.has(name))
    if (outcome.done || ready.length === 0) continue
    const victim = ready[Math.floor(Math.random() * ready.length)]!
    await rig.pool.kill(victim)
    kills++
    killed.push(victim)
    restarts.set(victim, rig.pool.start(victim).finally(() => restarts.delete(victim)))
    mark = rig.api.requests()
  }
  await Promise.all(restarts.values())
  const wallMs = performance.now() - started
  if (!outcome.done) expect.fail(`the run did not finish in ${BOUND_MS} ms after ${kills} kills:\n${await diagnose(rig)}`)
  process.stdout.write(`fleet kill loop: ${kills} SIGKILLs (${killed.join(' ')}), ${ROWS} rows, ${PARTITIONS} partitions, ${WORKERS} workers, ${(wallMs / 1000).toFixed(1)} s\n`)
  expect(outcome.error).toBeUndefined()
  const result = outcome.value!
  expect(result, JSON.stringify(result)).toMatchObject({ status: 'succeeded', connectorId: CONNECTOR, partitions: PARTITIONS })
  expect(kills, 'the run finished before the test could kill ten times: slow the API or raise ROWS').toBeGreaterThanOrEqual(KILLS)
  await expectExact(rig.schema, ROWS, reference)
}, 240_000)
