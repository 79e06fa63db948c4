import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fakeClock, memory, op, sqlite, type Sink } from '../../src/index.js'
import { createConnector } from '../../src/connector/create-connector.js'
import type { SkippedRun } from '../../src/connector/connector-events.js'
import { jsonLogger } from '../../src/log/json-logger.js'
import { controlled, eventually, gate, page, until } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-connector-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const db = () => join(dir, `c${n++}.db`)

function quietLogger() {
  const lines: string[] = []
  return { lines, logger: jsonLogger({ level: 'debug', write: (l) => void lines.push(l) }) }
}

describe('createConnector: sync, events, history, status', () => {
  it('syncs on demand, emits events (progress too), records history with MAR and reports status', async () => {
    const { logger } = quietLogger()
    const path = db()
    const destination = sqlite({ path })
    const clock = fakeClock({ now: Date.UTC(2026, 10, 22, 10) })
    const c = createConnector({ id: 'shop', source: controlled(() => [...page(1, 3, 1), ...page(2, 5, 2)]), destination, logger, clock, mar: {} })
    const seen: string[] = []
    for (const e of ['syncStart', 'checkpoint', 'syncComplete', 'syncError', 'schemaChange', 'progress'] as const) c.on(e, () => seen.push(e))
    expect((await c.status()).state).toBe('idle')
    const report = await c.sync()
    expect(report).toMatchObject({ status: 'succeeded', connectorId: 'shop', rows: 7, mar: { t: 5 } })
    expect(seen[0]).toBe('syncStart')
    expect(seen).toContain('schemaChange')
    expect(seen).toContain('progress')
    expect(seen.filter((e) => e === 'checkpoint')).toHaveLength(2)
    expect(seen.at(-1)).toBe('syncComplete')
    const history = await c.history()
    expect(history).toHaveLength(1)
    expect(history[0]).toMatchObject({ status: 'succeeded', rows: 7, mar: { t: 5 }, tables: { t: { upserts: 7 } } })
    const status = await c.status()
    expect(status).toMatchObject({ connectorId: 'shop', state: 'idle', scheduled: false, rowsLastSync: 7, failures: 0, lastSync: { status: 'succeeded', rows: 7 } })
    // A fresh instance (a restarted service) reads the same status from the destination.
    expect(await createConnector({ id: 'shop', source: controlled(() => []), destination: sqlite({ path }), logger }).status()).toMatchObject({ rowsLastSync: 7, state: 'idle' })
  })

  it('a second sync() while one runs gets ALREADY_RUNNING, not a second sync', async () => {
    const { logger } = quietLogger()
    const g = gate()
    const destination = memory()
    const c = createConnector({
      id: 'shop', destination, logger,
      source: controlled(async function* () {
        yield op.upsert('t', [{ id: 1 }])
        await g.wait
        yield op.checkpoint({ n: 1 })
      }),
    })
    let started = false
    c.on('syncStart', () => (started = true))
    const first = c.sync()
    await until(() => started, 'the first sync to start')
    const skippedEvents: SkippedRun[] = []
    c.on('syncSkipped', (s) => skippedEvents.push(s))
    const second = await c.sync()
    expect(second).toMatchObject({ status: 'skipped', reason: 'ALREADY_RUNNING', connectorId: 'shop' })
    expect((await c.status()).state).toBe('syncing')
    g.open()
    expect((await first).status).toBe('succeeded')
    expect(destination.syncs).toHaveLength(1)
    expect(skippedEvents).toHaveLength(1)
  })

  it('failing state after a failed sync; bad options are CONFIG_INVALID; MAR on a sink that cannot meter is MAR_UNAVAILABLE', async () => {
    const { logger } = quietLogger()
    const c = createConnector({ id: 'shop', destination: memory(), logger, source: controlled(() => { throw new Error('api down') }) })
    const r = await c.sync()
    expect(r).toMatchObject({ status: 'failed', error: { message: 'api down' } })
    expect(await c.status()).toMatchObject({ state: 'failing', failures: 1 })
    expect(() => createConnector({ id: '', destination: memory(), source: controlled(() => []) })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('createConnector.id') }))
    expect(() => createConnector({ id: 'x', destination: memory(), source: controlled(() => []), schedule: { cron: 'nope' } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('createConnector.schedule.cron') }))
    expect(() => createConnector({ id: 'x', destination: memory(), source: controlled(() => []), logger: {} as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    const bare: Sink = { name: 'bare', open: async () => ({}), write: async () => {}, checkpoint: async () => {}, close: async () => {} }
    expect(() => createConnector({ id: 'x', destination: bare, source: controlled(() => []), mar: {} })).toThrow(expect.objectContaining({ code: 'MAR_UNAVAILABLE' }))
    expect(() => createConnector({ id: 'x', destination: memory(), source: controlled(() => []) }).start()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('needs a schedule') }))
  })
})

describe('pause and resume', () => {
  it('a pause survives a restart: a new connector on the same destination is paused, skips syncs and scheduled runs until resumed', async () => {
    const path = db()
    const { logger } = quietLogger()
    const first = createConnector({ id: 'shop', destination: sqlite({ path }), logger, source: controlled(() => page(1, 2, 1)) })
    await first.pause()
    expect((await first.status()).state).toBe('paused')

    const clock = fakeClock({ now: Date.UTC(2026, 0, 1, 0, 30) })
    const restarted = createConnector({ id: 'shop', destination: sqlite({ path }), logger, clock, schedule: { cron: '0 * * * *' }, source: controlled(() => page(1, 2, 1)) })
    expect((await restarted.status()).state).toBe('paused')
    expect(await restarted.sync()).toMatchObject({ status: 'skipped', reason: 'PAUSED' })
    const runs: string[] = []
    restarted.on('syncStart', () => runs.push(new Date(clock.now()).toISOString()))
    const skipped: string[] = []
    restarted.on('syncSkipped', (s) => skipped.push(s.reason))
    restarted.start()
    await eventually(async () => (await restarted.status()).nextRunAt === '2026-01-01T01:00:00.000Z', 'the scheduler to wait for 01:00')
    await clock.advance(30 * 60_000) // 01:00
    await until(() => skipped.length === 1, 'the 01:00 slot to be skipped')
    expect(runs).toEqual([])
    await restarted.resume()
    await eventually(async () => (await restarted.status()).nextRunAt === '2026-01-01T02:00:00.000Z', 'the scheduler to wait for 02:00')
    await clock.advance(60 * 60_000) // 02:00
    await until(() => runs.length === 1, 'the 02:00 run')
    expect(runs).toEqual(['2026-01-01T02:00:00.000Z'])
    await restarted.stop()
    expect((await restarted.history()).map((h) => h.status)).toEqual(['succeeded'])
  })

  it('pausing during a sync stops it at the next checkpoint and the pause is saved when it ends', async () => {
    const path = db()
    const { logger } = quietLogger()
    const g = gate()
    const c = createConnector({
      id: 'shop', destination: sqlite({ path }), logger,
      source: controlled(async function* () {
        yield* page(1, 2, 1)
        await g.wait
        yield* page(3, 4, 2)
        yield* page(5, 6, 3)
      }),
    })
    const checkpoints: number[] = []
    c.on('checkpoint', (e) => checkpoints.push(e.state.n as number))
    const running = c.sync()
    await until(() => checkpoints.length === 1, 'the first checkpoint')
    await c.pause()
    g.open()
    const report = await running
    expect(report).toMatchObject({ status: 'stopped', stopReason: 'aborted' })
    expect(checkpoints).toEqual([1, 2])
    const reloaded = await sqlite({ path }).loadConnector!({ connectorId: 'shop' })
    expect(reloaded?.paused).toBe(true)
  })
})

describe('scheduling through createConnector', () => {
  it('with a fake clock, runs fire at the cron times and never overlap', async () => {
    const { logger } = quietLogger()
    const clock = fakeClock({ now: Date.UTC(2026, 0, 1, 0, 30) })
    const destination = memory()
    let next = 0
    const c = createConnector({ id: 'shop', destination, logger, clock, schedule: { cron: '0 */6 * * *' }, source: controlled(() => page(++next, next, next)) })
    const starts: string[] = []
    c.on('syncStart', () => starts.push(new Date(clock.now()).toISOString()))
    c.start()
    for (const hour of [6, 12, 18]) {
      const slot = new Date(Date.UTC(2026, 0, 1, hour)).toISOString()
      await eventually(async () => (await c.status()).nextRunAt === slot, `the scheduler to wait for ${slot}`)
      await clock.advance(Date.UTC(2026, 0, 1, hour) - clock.now())
      await until(() => destination.syncs.length === starts.length && starts.length === hour / 6, `the ${hour}:00 run`)
    }
    const status = await c.status()
    expect(status).toMatchObject({ scheduled: true, state: 'idle', nextRunAt: '2026-01-02T00:00:00.000Z' })
    await c.stop()
    expect(starts).toEqual(['2026-01-01T06:00:00.000Z', '2026-01-01T12:00:00.000Z', '2026-01-01T18:00:00.000Z'])
    expect((await c.status()).scheduled).toBe(false)
  })

  it('every: continues from the last run recorded in the destination after a restart', async () => {
    const { logger } = quietLogger()
    const path = db()
    // sync() stamps its report with real time, so the fake clock starts there too.
    const clock = fakeClock({ now: Date.now() })
    const first = createConnector({ id: 'shop', destination: sqlite({ path }), logger, clock, source: controlled(() => page(1, 1, 1)) })
    await first.sync()
    await clock.advance(5 * 60_000)
    const restarted = createConnector({ id: 'shop', destination: sqlite({ path }), logger, clock, schedule: { every: '15m' }, source: controlled(() => page(1, 1, 1)) })
    restarted.start()
    await until(() => clock.pending > 0, 'the scheduler to wait')
    const [last] = await restarted.history({ limit: 1 })
    expect((await restarted.status()).nextRunAt).toBe(new Date(Date.parse(last!.startedAt) + 15 * 60_000).toISOString())
    await restarted.stop()
  })
})

