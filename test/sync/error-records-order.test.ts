import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { memory, op, sync, type Sink } from '../../src/index.js'

// Regression: with prefetch the source runs one message ahead, so an error it recorded after
// yielding a checkpoint was already queued when that checkpoint committed, and was committed with
// it — it surfaced once the sink took a turn of the event loop per write (the SQLite worker thread).
describe('error records and checkpoints', () => {
  it('an error recorded after a checkpoint is not committed with it, even when the sink is slow', async () => {
    const inner = memory()
    const slow: Sink = {
      ...inner,
      write: async (args) => {
        await nextTurn()
        return inner.write(args)
      },
    }
    const report = await sync({
      destination: slow,
      source: {
        tables: () => [{ table: 't', primaryKey: ['id'] }],
        async *read({ recordError }) {
          recordError({ kind: 'request', table: 't', code: 'HTTP_STATUS', message: 'before the checkpoint' })
          yield op.upsert('t', [{ id: 1 }])
          yield op.checkpoint({ n: 1 })
          recordError({ kind: 'record', table: 't', code: 'VALIDATION_FAILED', message: 'after the checkpoint', record: { id: 9 } })
          yield op.upsert('t', [{ id: 2 }])
          throw new Error('fail before the next checkpoint')
        },
      },
    })
    expect(report.status).toBe('failed')
    expect(report.errors).toBe(2)
    expect((await inner.readErrors!()).map((e) => e.message)).toEqual(['before the checkpoint'])
  })
})
