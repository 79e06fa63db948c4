import { describe, expect, it } from 'vitest'
import { memoryState, op, sync, type Sink, type State } from '../../../src/index.js'
import { page, scripted } from '../../support/sources.js'

/** Runs one sync that only reads the state it is handed, and returns it. */
async function stateSeen(sink: Sink, store?: ReturnType<typeof memoryState>): Promise<State | undefined> {
  let seen: State | undefined
  const r = await sync({ destination: sink, connectorId: 'c', ...(store ? { state: store } : {}), source: { async *read({ state }) { seen = state } } })
  expect(r.error).toBeUndefined()
  return seen
}

/**
 * Where a connector's state lives. A destination that keeps state commits it with the data, so its
 * state wins over a `StateStore` handed to sync (which becomes a mirror, saved after each commit);
 * one that keeps none resumes from the store.
 */
export function describeState(name: string, make: () => Sink | Promise<Sink>, keepsState: boolean): void {
  describe(`state: ${name}`, () => {
    it(keepsState ? 'the destination\'s committed state wins over a state store, which mirrors it after each commit' : 'state lives in the state store handed to sync', async () => {
      const sink = await make()
      const store = memoryState()
      const r = await sync({ destination: sink, connectorId: 'c', state: store, source: scripted([...page('t', [{ id: 1 }], { n: 1 }), op.upsert('t', { id: 2 })], { failWith: new Error('after the checkpoint') }) })
      expect(r.status).toBe('failed')
      expect(await store.load({ connectorId: 'c' })).toEqual({ n: 1 })
      const stale = memoryState()
      await stale.save({ connectorId: 'c', state: { n: 99 } })
      expect(await stateSeen(sink, stale)).toEqual(keepsState ? { n: 1 } : { n: 99 })
      if (keepsState) expect(await stateSeen(sink)).toEqual({ n: 1 })
    })

    if (keepsState) {
      it('state is per connector, and resetState clears only the one named', async () => {
        const sink = await make()
        await sync({ destination: sink, connectorId: 'c', source: scripted(page('t', [{ id: 1 }], { n: 1 })) })
        await sync({ destination: sink, connectorId: 'other', source: scripted(page('u', [{ id: 1 }], { m: 2 })) })
        expect(await stateSeen(sink)).toEqual({ n: 1 })
        await sink.resetState!({ connectorId: 'c' })
        expect(await stateSeen(sink)).toBeUndefined()
        let other: State | undefined
        await sync({ destination: sink, connectorId: 'other', source: { async *read({ state }) { other = state } } })
        expect(other).toEqual({ m: 2 })
      })
    }
  })
}
