import { afterAll, beforeAll, expect, it } from 'vitest'
import { CONNECTOR, diagnose, expectExact, settled, singleProcessMar, sleep, startRig, type Rig } from './support/fleet-rig.js'

/**
 * Issue 14, proof 3 (its second half, for a running backfill): `pause` reaches syncs already running on
 * other processes. Paused mid-backfill, every worker stops its partition at the next checkpoint and no
 * worker reads the API any more; `resume` lets the partitions continue from their own states, and the
 * backfill completes exactly (row for row, state, MAR).
 */

const ROWS = 120_000
const SPAN = 7_500 // 16 partitions
const PAGES = ROWS / 500
/** Quiet this long counts as stopped, ms; the check then watches as long again. */
const QUIET_MS = 1_500
const BOUND_MS = 60_000

let rig: Rig
let reference: Record<string, number>

beforeAll(async () => {
  rig = await startRig({ name: 'pause', rows: ROWS, span: SPAN, latencyMs: 10, attempts: 10 })
  reference = await singleProcessMar(rig.api.url, SPAN)
}, 120_000)

afterAll(async () => {
  await rig?.close()
}, 60_000)

it('pause stops a running partitioned backfill on every worker; resume completes it exactly', async () => {
  const started = performance.now()
  await rig.startWorkers(3)
  const base = rig.api.requests()
  const outcome = settled((await rig.fleet.sync(CONNECTOR)).finished())
  for (const deadline = performance.now() + BOUND_MS; rig.api.requests() - base < PAGES / 4 && !outcome.done && performance.now() < deadline; ) await sleep(10)
  expect(outcome.done, 'the backfill ended before it could be paused: raise ROWS').toBe(false)
  await rig.fleet.pause(CONNECTOR)
  const atPause = rig.api.requests() - base

  // Running partitions stop at their next checkpoint: the API falls quiet.
  let last = rig.api.requests()
  let quietSince = performance.now()
  for (const deadline = performance.now() + BOUND_MS; performance.now() - quietSince < QUIET_MS && performance.now() < deadline; ) {
    await sleep(50)
    if (rig.api.requests() !== last) {
      last = rig.api.requests()
      quietSince = performance.now()
    }
  }
  expect(performance.now() - quietSince, `the workers kept reading after the pause:\n${await diagnose(rig)}`).toBeGreaterThanOrEqual(QUIET_MS)
  await sleep(QUIET_MS)
  expect(rig.api.requests(), 'a worker read the API while paused').toBe(last)
  expect(outcome.done, 'a paused backfill must wait, not end').toBe(false)
  const stoppedAt = last - base
  expect(stoppedAt, 'the backfill was done before the pause took effect: raise ROWS').toBeLessThan(PAGES)

  await rig.fleet.resume(CONNECTOR)
  for (const deadline = performance.now() + BOUND_MS * 2; !outcome.done && performance.now() < deadline; ) await sleep(50)
  if (!outcome.done) expect.fail(`the backfill did not finish after resume:\n${await diagnose(rig)}`)
  process.stdout.write(`fleet pause: paused after ${atPause} of ${PAGES} pages, quiet from ${stoppedAt}, ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  expect(outcome.error).toBeUndefined()
  expect(outcome.value, JSON.stringify(outcome.value)).toMatchObject({ status: 'succeeded', connectorId: CONNECTOR, partitions: ROWS / SPAN })
  await expectExact(rig.schema, ROWS, reference)
}, 240_000)
