import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, expect, it } from 'vitest'
import { op, sqlite, type Source } from '../../src/index.js'
import { fleet, type Fleet } from '../../src/bullmq.js'
import { startServer, type ServerHandle } from '../../src/serve.js'
import { dropPrefix, REDIS, testPrefix } from '../fleet/fleet-support.js'
import { describeWithService } from '../source/postgres/pg-service.js'
import { Redis } from 'ioredis'

// With a fleet (sluice/bullmq), the overview and /metrics show its workers and queue depths.
const root = mkdtempSync(join(tmpdir(), 'sluice-serve-fleet-'))
const prefix = testPrefix()
let redisDown: string | undefined
{
  const probe = new Redis({ ...REDIS, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null })
  try {
    await probe.connect()
    await probe.ping()
  } catch (error) {
    redisDown = (error as Error).message
  } finally {
    probe.disconnect()
  }
}
let server: ServerHandle | undefined
let control: Fleet | undefined
afterAll(async () => {
  await server?.close()
  await control?.close()
  if (!redisDown) await dropPrefix(prefix)
  rmSync(root, { recursive: true, force: true })
})

describeWithService('sluice serve with a fleet', 'Redis', redisDown, () => {
  it('shows a waiting job in its queue, no worker, in the overview and in /metrics', async () => {
    const source: Source = { id: 'feed', tables: () => [{ table: 'items', primaryKey: ['id'] }], async *read() { yield op.upsert('items', [{ id: 1 }]); yield op.checkpoint({}) } }
    const destination = sqlite({ path: join(root, 'feed.db') })
    control = await fleet({ connection: REDIS, prefix, connectors: [{ id: 'feed', source, destination }] })
    await control.sync('feed') // no worker runs: the job waits
    server = await startServer({ targets: [{ destination, label: 'feed.db' }], fleet: control })
    const overview = (await (await fetch(`${server.url}/api/overview`)).json()) as { fleet: { workers: unknown[]; queues: Record<string, Record<string, number>> } }
    expect(overview.fleet.workers).toEqual([])
    const queues = Object.values(overview.fleet.queues)
    expect(queues.reduce((n, q) => n + (q.waiting ?? 0) + (q.prioritized ?? 0), 0)).toBe(1)
    const families = parsePrometheusTextFormat(await (await fetch(`${server.url}/metrics`)).text())
    const jobs = families.find((f) => f.name === 'sluice_queue_jobs')!
    expect(jobs.metrics.filter((m) => m.labels?.state === 'waiting' || m.labels?.state === 'prioritized').reduce((n, m) => n + Number(m.value), 0)).toBe(1)
    const workers = families.find((f) => f.name === 'sluice_fleet_workers')!
    expect(workers.metrics.every((m) => m.value === '0')).toBe(true)
    expect(workers.metrics.length).toBe(queues.length)
  })
})
