import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createConnector, op, silentLogger, sqlite, type Source } from '../../src/index.js'
import { createFacts, LATE_FACTOR } from '../../src/serve.js'
import { isLate, scheduleIntervalMs } from '../../src/serve/freshness.js'
import { parseSchedule } from '../../src/schedule/schedule.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-serve-freshness-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const MIN = 60_000

describe('the lateness rule', () => {
  it('a schedule\'s interval is the gap between its next two slots (every and cron)', () => {
    const now = Date.UTC(2026, 11, 6, 10, 7)
    expect(scheduleIntervalMs(parseSchedule({ every: '15m' }), now)).toBe(15 * MIN)
    expect(scheduleIntervalMs(parseSchedule({ cron: '0 */6 * * *' }), now)).toBe(360 * MIN)
  })

  it('late past 1.5 × the interval since the last success (or the first sync, without one); never without a schedule or when paused', () => {
    expect(LATE_FACTOR).toBe(1.5)
    const base = { intervalMs: 10 * MIN, paused: false, now: 100 * MIN }
    expect(isLate({ ...base, lastSuccessAt: 85 * MIN + 1 })).toBe(false)
    expect(isLate({ ...base, lastSuccessAt: 85 * MIN - 1 })).toBe(true)
    expect(isLate({ ...base, firstSyncAt: 50 * MIN })).toBe(true)
    expect(isLate({ ...base })).toBe(false)
    expect(isLate({ ...base, paused: true, lastSuccessAt: 0 })).toBe(false)
    expect(isLate({ ...base, intervalMs: undefined, lastSuccessAt: 0 })).toBe(false)
  })
})

describe('createFacts over a scheduled Connector', () => {
  it('turns late when its data is older than 1.5 intervals, with the freshness lag and the schedule', async () => {
    const source: Source = { id: 'feed', tables: () => [{ table: 'items', primaryKey: ['id'] }], async *read() { yield op.upsert('items', [{ id: 1 }]); yield op.checkpoint({}) } }
    const destination = sqlite({ path: join(root, 'feed.db') })
    const connector = createConnector({ id: 'feed', source, destination, schedule: { every: '20m' }, logger: silentLogger })
    const report = await connector.sync()
    if (report.status !== 'succeeded') throw new Error(`sync ${report.status}`)
    const ended = Date.parse(report.endedAt)
    let now = ended + 29 * MIN
    const facts = createFacts({ targets: [{ destination, label: 'feed.db', connector, schedule: { every: '20m' } }], now: () => now })
    expect(await facts.connector('feed')).toMatchObject({ late: false, freshnessLagMs: 29 * MIN, schedule: 'every 20m', syncFrequencyMinutes: 20, lastSuccessAt: report.endedAt })
    now = ended + 31 * MIN
    expect(await facts.connector('feed')).toMatchObject({ late: true, freshnessLagMs: 31 * MIN })
    await connector.pause()
    expect(await facts.connector('feed')).toMatchObject({ late: false, paused: true, state: 'paused' })
  })
})

describe('createFacts over a warehouse that can\'t be read', () => {
  it('leaves it out of the overview and lists it as unavailable; strict throws its error', async () => {
    const good = sqlite({ path: join(root, 'good.db') })
    const source: Source = { id: 'ok', tables: () => [{ table: 'items', primaryKey: ['id'] }], async *read() { yield op.upsert('items', [{ id: 1 }]); yield op.checkpoint({}) } }
    await createConnector({ id: 'ok', source, destination: good, logger: silentLogger }).sync()
    const path = join(root, 'broken.db')
    writeFileSync(path, 'this is not a database, just some text that is long enough to have a header'.repeat(20))
    const facts = createFacts({ targets: [{ destination: sqlite({ path }), label: 'broken.db' }, { destination: good, label: 'good.db' }] })
    const overview = await facts.overview()
    expect(overview.connectors.map((c) => c.id)).toEqual(['ok'])
    expect(overview.unavailable).toEqual([{ warehouse: 'broken.db', code: expect.any(String), message: expect.any(String) }])
    await expect(facts.overview({ strict: true })).rejects.toThrow()
  })
})
