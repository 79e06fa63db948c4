import { describe, expect, it } from 'vitest'
import { fromIterable, memory, sync, type MemorySink, type Sink, type State } from '../../src/index.js'

const ids = (n: number, version = 1) => Array.from({ length: n }, (_, i) => ({ id: i + 1, version }))

/** `inner` whose `checkpoint` fails when `fails(state)` holds: a crash before that state commits. */
function crashingAt(inner: MemorySink, fails: (state: State) => boolean): Sink {
  return {
    ...inner,
    async checkpoint(args) {
      if (fails(args.state)) throw new Error('crash before the checkpoint commits')
      return inner.checkpoint(args)
    },
  }
}

const versions = (sink: MemorySink) => sink.rows('t').map((r) => `${String(r.id)}:${String(r.version)}`)

describe('fromIterable() state', () => {
  // Regression: the state `{ rows: 2 }` of a completed pass made the next sync skip the first
  // 2 rows of new data, so day-2 changes to ids 1–2 were dropped silently (0 rows written).
  it('starts the next sync from the first row after a completed pass', async () => {
    const sink = memory()
    const first = await sync({ destination: sink, connectorId: 'c', source: fromIterable('t', ids(2, 1), { primaryKey: ['id'] }) })
    expect(first.rows).toBe(2)
    const second = await sync({ destination: sink, connectorId: 'c', source: fromIterable('t', ids(2, 2), { primaryKey: ['id'] }) })
    expect(second.status).toBe('succeeded')
    expect(second.rows).toBe(2)
    expect(versions(sink)).toEqual(['1:2', '2:2'])
  })

  it('resumes an interrupted pass after the rows of its last committed checkpoint', async () => {
    const inner = memory()
    const crash = crashingAt(inner, (state) => state.rows === 20)
    const broken = await sync({ destination: crash, connectorId: 'c', source: fromIterable('t', ids(25), { primaryKey: ['id'], batchSize: 10 }) })
    expect(broken.status).toBe('failed')
    expect(inner.rows('t')).toHaveLength(10)
    const resumed = await sync({ destination: inner, connectorId: 'c', source: fromIterable('t', ids(25), { primaryKey: ['id'], batchSize: 10 }) })
    expect(resumed.status).toBe('succeeded')
    expect(resumed.rows).toBe(15) // rows 11–25, not the 10 already committed
    expect(inner.rows('t')).toHaveLength(25)
  })

  it('resumes after the last rows when the crash hit before the pass-complete checkpoint, then starts over', async () => {
    const inner = memory()
    // The last 5 rows and the "complete" state commit together: the crash loses both.
    const crash = crashingAt(inner, (state) => state.complete === true)
    const broken = await sync({ destination: crash, connectorId: 'c', source: fromIterable('t', ids(25), { primaryKey: ['id'], batchSize: 10 }) })
    expect(broken.status).toBe('failed')
    expect(inner.rows('t')).toHaveLength(20)
    const resumed = await sync({ destination: inner, connectorId: 'c', source: fromIterable('t', ids(25), { primaryKey: ['id'], batchSize: 10 }) })
    expect(resumed.rows).toBe(5)
    expect(inner.rows('t')).toHaveLength(25)
    const next = await sync({ destination: inner, connectorId: 'c', source: fromIterable('t', ids(25, 2), { primaryKey: ['id'], batchSize: 10 }) })
    expect(next.rows).toBe(25)
    expect(new Set(inner.rows('t').map((r) => r.version))).toEqual(new Set([2]))
  })

  it('resumes mid-pass when a sync stops at its deadline-like abort and completes on the next run', async () => {
    const inner = memory()
    const controller = new AbortController()
    const sink: Sink = {
      ...inner,
      async checkpoint(args) {
        await inner.checkpoint(args)
        if (args.state.rows === 10) controller.abort()
      },
    }
    const stopped = await sync({ destination: sink, connectorId: 'c', signal: controller.signal, source: fromIterable('t', ids(25), { primaryKey: ['id'], batchSize: 10 }) })
    expect(stopped.status).toBe('stopped')
    const resumed = await sync({ destination: inner, connectorId: 'c', source: fromIterable('t', ids(25), { primaryKey: ['id'], batchSize: 10 }) })
    expect(resumed.rows).toBe(15)
  })
})
