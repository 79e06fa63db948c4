import { afterEach, describe, expect, it } from 'vitest'
import { exponentialBackoff, fromIterable, idCursor, memory, silentLogger, op, type Source, type AlertEvent } from '../../src/index.js'
import { fleet, runWorker, type Fleet, type FleetWorker } from '../../src/bullmq.js'
import { dropPrefix, REDIS, testPrefix, until } from './fleet-support.js'

const open: { close(): Promise<void> }[] = []
const prefixes: string[] = []
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close().catch(() => {})
  for (const p of prefixes.splice(0)) await dropPrefix(p)
})

function track<T extends Fleet | FleetWorker>(o: T): T {
  open.push(o)
  return o
}

function prefix(): string {
  const p = testPrefix()
  prefixes.push(p)
  return p
}

const rows = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ id: from + i, v: `row ${from + i}` }))

/** An idCursor over an array, split into ranges of `span` ids. */
function arraySource(data: readonly { id: number; v: string }[], span: number, fail?: (after: number) => boolean): Source {
  return idCursor({
    table: 'items',
    span,
    maxId: () => (data.length ? data[data.length - 1]!.id : null),
    fetch: async ({ after, before, size }) => {
      if (fail?.(after as number)) throw Object.assign(new Error(`boom after ${after}`), { code: 'E_TEST' })
      return data.filter((r) => r.id > (after as number) && (before === undefined || r.id < (before as number))).slice(0, size)
    },
    sizes: [100],
    retry: exponentialBackoff({ attempts: 1 }),
  })
}

describe('fleet options', () => {
  it('refuses a destination that cannot fence, a separate state store, an unknown api, a schedule retry, a bad id', async () => {
    const sink = memory()
    const base = { id: 'c', source: fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }), destination: sink, logger: silentLogger }
    const noFence = { ...sink, fence: undefined } as never
    await expect(fleet({ connection: REDIS, connectors: [{ ...base, destination: noFence }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining("can't fence") })
    await expect(fleet({ connection: REDIS, connectors: [{ ...base, state: { load: async () => undefined, save: async () => {}, clear: async () => {} } }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('.state') })
    await expect(fleet({ connection: REDIS, connectors: [{ ...base, api: 'github' }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('.api') })
    // Refused, not ignored: the workers run no connection checks before a job.
    await expect(fleet({ connection: REDIS, connectors: [{ ...base, check: 'first' }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('connectors[0].check') })
    await expect(fleet({ connection: REDIS, connectors: [{ ...base, schedule: { every: '1m', retry: { attempts: 2 } as never } }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('schedule.retry') })
    await expect(fleet({ connection: REDIS, connectors: [{ ...base, id: 'a:b' }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(fleet({ connection: REDIS, connectors: [base, base] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('unique') })
    await expect(fleet({ connection: 'http://x', connectors: [base] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(fleet({ connection: REDIS, connectors: [base], atempts: 3 } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('attempts') })
    await expect(runWorker({ connection: REDIS, connectors: [{ ...base, partitions: { max: 2, min: 3 } }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('partitions.min') })
    await expect(fleet({ connection: REDIS, connectors: [{ ...base, lease: { ttl: '1m' } }] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('.lease') })
    // A budget can't be enforced while a split backfill meters per partition: refused unless partitions: false.
    const split = { ...base, source: arraySource(rows(10), 5), mar: { budget: { monthly: 100 } } }
    await expect(fleet({ connection: REDIS, connectors: [split] })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('mar.budget') })
    const f = await fleet({ connection: REDIS, connectors: [{ ...split, partitions: false }], prefix: prefix() })
    await f.close()
  })

  it('never puts the Redis password in an error', async () => {
    const error = await fleet({ connection: 'redis://:s3cr3t-pw@127.0.0.1:6379/x', connectors: [] }).catch((e: Error) => e)
    expect(String((error as Error).message)).not.toContain('s3cr3t-pw')
    expect(JSON.stringify(error)).not.toContain('s3cr3t-pw')
  })
})

describe('fleet runs', () => {
  it('runs a sync as one job on a worker, fenced, and keeps history', async () => {
    const p = prefix()
    const sink = memory()
    const connectors = [{ id: 'plain', source: fromIterable('t', rows(250), { primaryKey: ['id'] }), destination: sink, logger: silentLogger }]
    const f = track(await fleet({ connection: REDIS, prefix: p, connectors }))
    track(await runWorker({ connection: REDIS, prefix: p, logger: silentLogger, connectors }))
    const outcome = await (await f.sync('plain')).finished({ timeout: '30s' })
    expect(outcome).toMatchObject({ status: 'succeeded', connectorId: 'plain', partitions: 0, rows: 250 })
    expect(sink.rows('t')).toHaveLength(250)
    const history = await f.history('plain')
    expect(history.map((h) => h.status)).toEqual(['succeeded'])
  })

  it('splits a backfill into partition jobs and completes it: rows exact, state moved, partitions gone', async () => {
    const p = prefix()
    const sink = memory()
    const data = rows(1000)
    const connectors = [{ id: 'items', source: arraySource(data, 100), destination: sink, logger: silentLogger, mar: {} }]
    const f = track(await fleet({ connection: REDIS, prefix: p, connectors }))
    track(await runWorker({ connection: REDIS, prefix: p, logger: silentLogger, connectors }))
    const outcome = await (await f.sync('items')).finished({ timeout: '60s' })
    expect(outcome).toMatchObject({ status: 'succeeded', partitions: 10, rows: 1000 })
    const landed = sink.rows('items').filter((r) => r._sluice_deleted === false)
    expect(landed.map((r) => r.id).sort((a, b) => Number(a) - Number(b))).toEqual(data.map((r) => r.id))
    expect(await sink.loadState!({ connectorId: 'items' })).toEqual({ after: 1000 })
    const mar = await sink.readMar!({})
    expect(mar.filter((m) => m.connectorId === 'items').reduce((n, m) => n + m.rows, 0)).toBe(1000)
    expect(mar.filter((m) => m.connectorId.includes('#'))).toEqual([])
    // The next run reads only what came after the backfill (nothing here): one plain sync.
    const next = await (await f.sync('items')).finished({ timeout: '30s' })
    expect(next).toMatchObject({ status: 'succeeded', partitions: 0, rows: 0 })
  })

  it('fails the backfill naming the partition that failed for good, and alerts once', async () => {
    const p = prefix()
    const sink = memory()
    const alerts: AlertEvent[] = []
    const alert = { name: 'test', notify: (e: AlertEvent) => void alerts.push(e), flush: async () => {} }
    const connectors = [{ id: 'bad', source: arraySource(rows(500), 100, (after) => after >= 300 && after < 400), destination: sink, logger: silentLogger, alerts: [alert] }]
    const f = track(await fleet({ connection: REDIS, prefix: p, connectors, attempts: 2, backoff: 10 }))
    track(await runWorker({ connection: REDIS, prefix: p, logger: silentLogger, connectors, attempts: 2, backoff: 10 }))
    const outcome = await (await f.sync('bad')).finished({ timeout: '60s' })
    expect(outcome.status).toBe('failed')
    expect(outcome.error?.code).toBe('PARTITION_FAILED')
    expect(outcome.error?.message).toContain('id.300-400')
    expect(await sink.loadState!({ connectorId: 'bad' })).toBeUndefined()
    const history = await f.history('bad')
    expect(history[0]).toMatchObject({ status: 'failed', error: { code: 'PARTITION_FAILED' } })
    await until('the alert', () => alerts.length > 0)
    expect(alerts.map((a) => a.type)).toEqual(['syncError'])
  })

  it('skips a paused connector fleet-wide and runs it again once resumed', async () => {
    const p = prefix()
    const sink = memory()
    const connectors = [{ id: 'pz', source: fromIterable('t', rows(5), { primaryKey: ['id'] }), destination: sink, logger: silentLogger }]
    const f = track(await fleet({ connection: REDIS, prefix: p, connectors }))
    track(await runWorker({ connection: REDIS, prefix: p, logger: silentLogger, connectors }))
    await f.pause('pz')
    expect(await (await f.sync('pz')).finished({ timeout: '30s' })).toMatchObject({ status: 'skipped', reason: 'PAUSED' })
    expect((await f.status()).connectors[0]).toMatchObject({ id: 'pz', paused: true })
    await f.resume('pz')
    expect(await (await f.sync('pz')).finished({ timeout: '30s' })).toMatchObject({ status: 'succeeded', rows: 5 })
  })

  it('status shows the workers and the queues', async () => {
    const p = prefix()
    const sink = memory()
    const connectors = [{ id: 'st', source: fromIterable('t', rows(5), { primaryKey: ['id'] }), destination: sink, logger: silentLogger, schedule: { every: '1h' } }]
    const f = track(await fleet({ connection: REDIS, prefix: p, connectors }))
    const w = track(await runWorker({ connection: REDIS, prefix: p, logger: silentLogger, connectors, name: 'w-status' }))
    await f.start()
    await until('the worker to register', async () => (await f.status()).workers.some((x) => x.name.includes('w-status')))
    const s = await f.status()
    expect(Object.keys(s.queues)).toEqual(['default'])
    expect(s.connectors[0]).toMatchObject({ id: 'st', schedule: 'every 1h' })
    expect(s.connectors[0]!.nextRunAt).toBeDefined()
    expect(w.name).toBe('w-status')
    expect(s.workers.map((x) => x.name)).toContain('w-status')
    await f.unschedule()
  })

  it('a source that yields a truncate inside a partition is refused, not applied to the whole table', async () => {
    // The engine refuses truncates in partition runs (FleetRun.partitionOf); the fleet reports it as a failed partition.
    const p = prefix()
    const sink = memory()
    const inner = arraySource(rows(300), 100)
    const source: Source = {
      ...inner,
      partition: (part) => {
        const s = inner.partition!(part)
        return { ...s, async *read(args) { yield op.truncate('items'); yield* s.read(args) } }
      },
    }
    const connectors = [{ id: 'tr', source, destination: sink, logger: silentLogger }]
    const f = track(await fleet({ connection: REDIS, prefix: p, connectors, attempts: 1 }))
    track(await runWorker({ connection: REDIS, prefix: p, logger: silentLogger, connectors, attempts: 1 }))
    const outcome = await (await f.sync('tr')).finished({ timeout: '60s' })
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'PARTITION_FAILED' } })
    expect(outcome.error?.message).toContain('CONFIG_INVALID')
  })
})
