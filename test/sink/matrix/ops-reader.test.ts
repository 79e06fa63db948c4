import { expect, it } from 'vitest'
import { op, sync, type Message, type Sink } from '../../../src/index.js'
import { forEachDestination } from './each-destination.js'

/** The destinations with an `OpsReader` (what `sluice serve` reads): every SQL one and the memory reference sink. */
const WITH_OPS_READER = new Set(['memory', 'sqlite', 'sqlite-thread', 'duckdb', 'postgres'])

const source = (opts: { fail?: boolean; bad?: boolean } = {}) => ({
  tables: () => [{ table: 't', primaryKey: ['id'] }],
  async *read({ recordError }: { recordError: (e: { kind: 'record'; table: string; code: string; message: string; record: Record<string, unknown> }) => void }): AsyncGenerator<Message> {
    if (opts.bad) recordError({ kind: 'record', table: 't', code: 'VALIDATION_FAILED', message: 'id: not a number', record: { id: 'x', note: 'a "quoted" value' } })
    yield op.upsert('t', [{ id: 1 }, { id: 2 }])
    yield op.checkpoint({ n: 1 })
    if (opts.fail) throw new Error('boom')
  },
})

forEachDestination('ops reader', ({ make }) => {
  it('reads as empty before anything was written, and creates nothing', async () => {
    const s: Sink = await make()
    expect(await s.connectors!()).toEqual([])
    expect(await s.leases!({ now: 0 })).toEqual([])
    expect(await s.syncErrors!({ connectorId: 'c', syncId: 'x' })).toEqual([])
    expect(await s.marThresholds!({})).toEqual([])
  })

  it('lists connectors, live leases, one sync\'s errors and the MAR thresholds fired', async () => {
    const s: Sink = await make()
    const budget = { monthly: 4, warnAt: [0.5, 1] }
    const month = '2026-11'
    const clock = { now: () => Date.UTC(2026, 10, 20) }
    const bad = await sync({ source: source({ bad: true }), destination: s, connectorId: 'b', mar: { budget, clock } })
    const good = await sync({ source: source(), destination: s, connectorId: 'b', mar: { budget, clock } })
    await sync({ source: source({ fail: true }), destination: s, connectorId: 'a' })
    await s.saveConnector!({ connectorId: 'paused_only', paused: true })
    await s.acquireLease!({ name: 'connector:a', holder: 'w1', ttlMs: 1000, now: 5000 })
    await s.acquireLease!({ name: 'connector:old', holder: 'w2', ttlMs: 1000, now: 0 })

    expect(await s.connectors!()).toEqual(['a', 'b', 'paused_only'])
    expect(await s.leases!({ now: 5500 })).toEqual([{ name: 'connector:a', holder: 'w1', expiresAt: new Date(6000).toISOString() }])
    const errors = await s.syncErrors!({ connectorId: 'b', syncId: bad.syncId })
    expect(errors).toEqual([
      expect.objectContaining({ connectorId: 'b', syncId: bad.syncId, kind: 'record', table: 't', code: 'VALIDATION_FAILED', message: 'id: not a number', record: { id: 'x', note: 'a "quoted" value' } }),
    ])
    expect(errors[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(await s.syncErrors!({ connectorId: 'b', syncId: good.syncId })).toEqual([])
    expect(await s.syncErrors!({ connectorId: 'a', syncId: bad.syncId })).toEqual([])
    const fired = await s.marThresholds!({ connectorId: 'b' })
    expect(fired.map((t) => [t.month, t.threshold, t.rows])).toEqual([[month, 0.5, 2]])
    expect(fired[0]!.firedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(await s.marThresholds!({ connectorId: 'b', month: '2026-10' })).toEqual([])
  })
}, { only: (d) => WITH_OPS_READER.has(d.name) })
