import { describe, expect, it } from 'vitest'
import { op, sync, type Sink } from '../../../src/index.js'

/**
 * What every sink implementing `ConnectorStore` must do (leases, pause flags, history); run by
 * connector-store.test.ts over every destination of test/sink/destinations.ts that declares it.
 */
export function describeConnectorStoreConformance(name: string, make: () => Sink | Promise<Sink>): void {
  describe(`connector store conformance (${name})`, () => {
    it('a lease: one holder at a time, renewable by its holder, taken over only after expiry, released only by its holder', async () => {
      const s = await make()
      const lease = (holder: string, now: number) => s.acquireLease!({ name: 'connector:c', holder, ttlMs: 1000, now })
      expect(await lease('a', 0)).toEqual({ acquired: true, expiresAt: 1000 })
      expect(await lease('b', 500)).toEqual({ acquired: false, holder: 'a', expiresAt: 1000 })
      expect(await lease('a', 900)).toEqual({ acquired: true, expiresAt: 1900 }) // renewed
      expect(await lease('b', 1500)).toMatchObject({ acquired: false, holder: 'a' })
      expect(await lease('b', 1900)).toEqual({ acquired: true, expiresAt: 2900 }) // expired: taken over
      await s.releaseLease!({ name: 'connector:c', holder: 'a' }) // not a's any more: no effect
      expect(await lease('a', 2000)).toMatchObject({ acquired: false, holder: 'b' })
      await s.releaseLease!({ name: 'connector:c', holder: 'b' })
      expect(await lease('a', 2000)).toMatchObject({ acquired: true })
      expect(await s.acquireLease!({ name: 'connector:other', holder: 'z', ttlMs: 10, now: 2000 })).toMatchObject({ acquired: true })
    })

    it('pause flags are saved per connector and read back', async () => {
      const s = await make()
      expect(await s.loadConnector!({ connectorId: 'c' })).toBeUndefined()
      await s.saveConnector!({ connectorId: 'c', paused: true })
      expect(await s.loadConnector!({ connectorId: 'c' })).toMatchObject({ paused: true, updatedAt: expect.any(String) })
      await s.saveConnector!({ connectorId: 'c', paused: false })
      expect((await s.loadConnector!({ connectorId: 'c' }))?.paused).toBe(false)
      expect(await s.loadConnector!({ connectorId: 'other' })).toBeUndefined()
    })

    it('history: finished syncs of one connector, newest first, limited; failed ones with their error', async () => {
      const s = await make()
      const source = (fail: boolean) => ({
        tables: () => [{ table: 't', primaryKey: ['id'] }],
        async *read() {
          yield op.upsert('t', [{ id: 1 }])
          yield op.checkpoint({ n: 1 })
          if (fail) throw new Error('boom')
        },
      })
      expect(await s.history!({ connectorId: 'c' })).toEqual([])
      const first = await sync({ source: source(false), destination: s, connectorId: 'c' })
      const second = await sync({ source: source(true), destination: s, connectorId: 'c' })
      await sync({ source: source(false), destination: s, connectorId: 'other' })
      const history = await s.history!({ connectorId: 'c' })
      expect(history.map((h) => h.syncId)).toEqual([second.syncId, first.syncId])
      expect(history[0]).toMatchObject({ status: 'failed', error: { message: 'boom' }, rows: 1 })
      expect(await s.history!({ connectorId: 'c', limit: 1 })).toHaveLength(1)
    })
  })
}

/**
 * A destination that declares no connector store offers none of its methods: a connector over it
 * can't take half a store (a lease without history, or pause flags that are never read).
 */
export function describeConnectorStoreAbsent(name: string, make: () => Sink | Promise<Sink>): void {
  describe(`connector store (${name}): not declared`, () => {
    it('exposes no lease, pause flag or history method', async () => {
      const s = await make()
      expect([s.acquireLease, s.releaseLease, s.loadConnector, s.saveConnector, s.history].filter((m) => m !== undefined)).toEqual([])
    })
  })
}
