import { afterAll, beforeAll, expect, it } from 'vitest'
import { syncRuns } from './support/destination-check.js'
import { CONNECTOR, sleep, startRig, type Rig } from './support/fleet-rig.js'

/**
 * Issue 14, proof 3: a scheduled connector (`every: 2s`) registered by four processes — three workers
 * that each call `fleet().start()` and the test — is one BullMQ job scheduler, so each slot runs once
 * across the fleet: the sync history has no overlapping runs, no run failed, no job was fenced or skipped
 * as already running (what a second job for the same slot would meet), and no more runs than slots. `pause` (persisted in the destination) stops it
 * fleet-wide: no worker asks the API for anything after the pause settled; `resume` starts it again.
 */

const ROWS = 2_000
const EVERY_MS = 2_000
/** How long the schedule runs before the checks, ms: five slots. */
const WINDOW_MS = 10_000

let rig: Rig

beforeAll(async () => {
  rig = await startRig({
    name: 'sched',
    rows: ROWS,
    span: 1_000_000, // one partition: each slot is a plain run
    everyMs: EVERY_MS,
    workerEnv: { FLEET_START: '1' },
  })
}, 120_000)

afterAll(async () => {
  await rig?.close()
}, 60_000)

it('runs once per slot across three workers that all started the schedule, and pause stops it fleet-wide', async () => {
  const started = performance.now()
  await rig.startWorkers(3)
  await rig.fleet.start()
  const from = Date.now()
  await sleep(WINDOW_MS)
  const to = Date.now()

  const runs = (await syncRuns(rig.schema, CONNECTOR)).filter((r) => r.startedAt >= from - EVERY_MS && r.startedAt <= to)
  const slots = Math.ceil((to - from) / EVERY_MS) + 1
  // Every slot ran (one at the window's edge may fall either side) and none ran twice.
  expect(runs.length, `slots without a run: ${JSON.stringify(runs)}`).toBeGreaterThanOrEqual(Math.floor(WINDOW_MS / EVERY_MS) - 1)
  expect(runs.length, `more runs than slots: ${JSON.stringify(runs)}`).toBeLessThanOrEqual(slots)
  expect(runs.map((r) => r.status)).toEqual(runs.map(() => 'succeeded'))
  for (let i = 1; i < runs.length; i++) {
    expect(runs[i]!.startedAt, `runs ${i - 1} and ${i} overlap`).toBeGreaterThanOrEqual(runs[i - 1]!.endedAt)
  }
  // The rows: the first run loaded them all, the others found nothing new.
  expect(runs.reduce((n, r) => n + r.rows, 0)).toBe(ROWS)
  // A second job for one slot would be fenced, or skipped on the connector's lease: neither happened.
  expect(rig.pool.allLines().filter((l) => l.includes('"FENCED"') || l.includes('ALREADY_RUNNING')), 'a slot ran twice').toEqual([])

  await rig.fleet.pause(CONNECTOR)
  // A run in flight stops at its next checkpoint; give it one slot to do so, then nothing may read.
  await sleep(EVERY_MS)
  const pausedAt = Date.now()
  const requests = rig.api.requests()
  await sleep(EVERY_MS * 3)
  expect(rig.api.requests(), 'a worker read the API after the pause').toBe(requests)
  const afterPause = (await syncRuns(rig.schema, CONNECTOR)).filter((r) => r.startedAt > pausedAt && r.status !== 'skipped')
  expect(afterPause, 'a sync ran after the pause').toEqual([])
  const status = await rig.fleet.status()
  expect(status.connectors.find((c) => c.id === CONNECTOR)?.paused).toBe(true)

  await rig.fleet.resume(CONNECTOR)
  for (const deadline = performance.now() + EVERY_MS * 5; rig.api.requests() === requests && performance.now() < deadline; ) await sleep(50)
  expect(rig.api.requests(), 'resume did not start the schedule again').toBeGreaterThan(requests)
  process.stdout.write(`fleet scheduled once: ${runs.length} runs in ${slots} slots, ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
}, 120_000)
