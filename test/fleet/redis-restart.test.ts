import { afterAll, beforeAll, expect, it } from 'vitest'
import { CONNECTOR, expectExact, settled, singleProcessMar, sleep, startRig, type Rig } from './support/fleet-rig.js'

/**
 * Issue 14, proof 4: Redis goes away mid-backfill and comes back (same port, same append-only file:
 * every queued and running job survives). The workers and the test's fleet handle reconnect, and the
 * run completes exactly: the destination equals the source row for row, the state is `{ after: maxId }`,
 * MAR equals a single-process sync's.
 */

const ROWS = 120_000
const SPAN = 7_500 // 16 partitions
const WORKERS = 3
const PAGES = ROWS / 500
const BOUND_MS = 120_000

let rig: Rig
let reference: Record<string, number>

beforeAll(async () => {
  rig = await startRig({
    name: 'redis',
    rows: ROWS,
    span: SPAN,
    latencyMs: 10,
    attempts: 10,
    workerEnv: { FLEET_LOCK_MS: '10000', FLEET_STALLED_MS: '5000' },
  })
  reference = await singleProcessMar(rig.api.url, SPAN)
}, 120_000)

afterAll(async () => {
  await rig?.close()
}, 60_000)

it('completes a partitioned backfill exactly when Redis restarts in the middle of it', async () => {
  const started = performance.now()
  await rig.startWorkers(WORKERS)
  const base = rig.api.requests() // the reference sync's requests came first
  const run = await rig.fleet.sync(CONNECTOR)
  const outcome = settled(run.finished())
  // A third of the pages read: partitions are running, others still wait in Redis.
  for (const deadline = performance.now() + BOUND_MS; rig.api.requests() - base < PAGES / 3 && !outcome.done && performance.now() < deadline; ) await sleep(10)
  expect(outcome.done, 'the run ended before Redis could be restarted: raise ROWS').toBe(false)
  const before = rig.api.requests() - base
  await rig.redis.restart()
  const restartedAt = rig.api.requests() - base

  for (const deadline = performance.now() + BOUND_MS; !outcome.done && performance.now() < deadline; ) await sleep(50)
  const wallMs = performance.now() - started
  process.stdout.write(`fleet redis restart: restarted after ${before} of ~${PAGES} pages (${restartedAt} when back), ${(wallMs / 1000).toFixed(1)} s\n`)
  expect(outcome.done, 'the run did not finish after the restart').toBe(true)
  expect(outcome.error).toBeUndefined()
  expect(outcome.value, JSON.stringify(outcome.value)).toMatchObject({ status: 'succeeded', connectorId: CONNECTOR, partitions: ROWS / SPAN })
  await expectExact(rig.schema, ROWS, reference)
}, 240_000)
