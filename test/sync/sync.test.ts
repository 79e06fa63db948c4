import { describe, expect, it } from 'vitest'
import { connector, fromIterable, memory, memoryState, op, sync, type Message, type Source, type State } from '../../src/index.js'
import { page, scripted } from '../support/sources.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** An endless source: a page and a checkpoint every `everyMs`. */
function ticking(everyMs: number, onAbort?: () => void): Source {
  return {
    id: 'ticking',
    tables: () => [{ table: 't', primaryKey: ['id'] }],
    async *read({ state, signal }) {
      let n = typeof state?.n === 'number' ? state.n : 0
      try {
        for (;;) {
          await sleep(everyMs)
          if (signal.aborted) throw new Error('aborted by signal')
          n++
          yield op.upsert('t', { id: n })
          yield op.checkpoint({ n })
        }
      } finally {
        onAbort?.()
      }
    },
  }
}

describe('sync()', () => {
  it('reports per-table counts, rows, checkpoints and fires events in order', async () => {
    const events: string[] = []
    const report = await sync({
      destination: memory(),
      source: scripted([
        ...page('a', [{ id: 1 }, { id: 2 }], { p: 1 }),
        op.update('a', { id: 1, x: 1 }),
        op.delete('a', { id: 2 }),
        op.truncate('b'),
        op.checkpoint({ p: 2 }),
      ]),
      on: {
        syncStart: () => events.push('start'),
        checkpoint: (e) => events.push(`checkpoint:${JSON.stringify(e.state)}`),
        syncComplete: (r) => events.push(`complete:${r.status}`),
        syncError: () => events.push('error'),
      },
    })
    expect(report).toMatchObject({ status: 'succeeded', rows: 4, checkpoints: 2, connectorId: 'scripted' })
    expect(report.tables).toEqual({ a: { upserts: 2, updates: 1, deletes: 1, truncates: 0 }, b: { upserts: 0, updates: 0, deletes: 0, truncates: 1 } })
    expect(events).toEqual(['start', 'checkpoint:{"p":1}', 'checkpoint:{"p":2}', 'complete:succeeded'])
  })

  it('a throwing event handler does not change the outcome', async () => {
    const report = await sync({ destination: memory(), source: scripted(page('t', [{ id: 1 }], { n: 1 })), on: { checkpoint: () => { throw new Error('handler bug') } } })
    expect(report.status).toBe('succeeded')
  })

  it('deadline: stops at the first checkpoint after it, with the state saved, and the next run resumes', async () => {
    const sink = memory()
    const first = await sync({ destination: sink, source: ticking(5), deadline: 60 })
    expect(first).toMatchObject({ status: 'stopped', stopReason: 'deadline' })
    const written = sink.rows('t').length
    expect(written).toBeGreaterThan(0)
    let resumedFrom: State | undefined
    const second = await sync({
      destination: sink,
      connectorId: 'ticking',
      deadline: 30,
      source: { ...ticking(5), read: (args) => { resumedFrom = args.state; return ticking(5).read(args) } },
    })
    expect(second.status).toBe('stopped')
    expect(resumedFrom).toEqual({ n: written })
    const ids = sink.rows('t').map((r) => r.id)
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1)) // no gap, no duplicate
  })

  it('abort signal: graceful stop at the next checkpoint', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 30)
    const report = await sync({ destination: memory(), source: ticking(5), signal: ac.signal })
    expect(report).toMatchObject({ status: 'stopped', stopReason: 'aborted' })
  })

  it('a source stuck past the grace period is aborted: status stopped, uncommitted rows rolled back', async () => {
    const sink = memory()
    let cleaned = false
    const source: Source = {
      id: 'stuck',
      tables: () => [{ table: 't', primaryKey: ['id'] }],
      async *read({ signal }) {
        try {
          yield* page('t', [{ id: 1 }], { n: 1 })
          yield op.upsert('t', { id: 2 })
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('socket closed'))))
        } finally {
          cleaned = true
        }
      },
    }
    const report = await sync({ destination: sink, source, deadline: 20, grace: 20 })
    expect(report.status).toBe('stopped')
    expect(cleaned).toBe(true)
    expect(sink.rows('t').map((r) => r.id)).toEqual([1])
  })

  it('a failure reports the error and keeps only the last acknowledged state in an outside store', async () => {
    const store = memoryState()
    const report = await sync({
      destination: memory(),
      state: store,
      connectorId: 'c',
      source: scripted([...page('t', [{ id: 1 }], { n: 1 }), op.upsert('t', { id: 2 })], { failWith: new Error('page 2: HTTP 500') }),
    })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'SOURCE_FAILED', message: 'page 2: HTTP 500' })
    expect(await store.load({ connectorId: 'c' })).toEqual({ n: 1 })
  })

  it('a state that is not JSON-serialisable fails with STATE_INVALID and saves nothing past the last checkpoint', async () => {
    const store = memoryState()
    const bad = { kind: 'checkpoint', state: { at: new Date() } } as unknown as Message
    const report = await sync({ destination: memory(), state: store, connectorId: 'c', source: scripted([...page('t', [{ id: 1 }], { n: 1 }), bad]) })
    expect(report.error).toMatchObject({ code: 'STATE_INVALID' })
    expect(report.error?.message).toContain('toISOString')
    expect(await store.load({ connectorId: 'c' })).toEqual({ n: 1 })
    expect(() => op.checkpoint({ f: (() => 1) as never })).toThrow(/\$\.f is a function/)
    expect(() => op.checkpoint({ n: 10n as never })).toThrow(/string/)
  })

  it('a value of an unsupported type fails with UNSUPPORTED_VALUE naming the column and row', async () => {
    const report = await sync({ destination: memory(), source: scripted([op.upsert('t', [{ id: 1 }, { id: 2, cb: Symbol('x') }]), op.checkpoint({})]) })
    expect(report.error).toMatchObject({ code: 'UNSUPPORTED_VALUE', context: { table: 't', column: 'cb', row: 1 } })
  })

  it('a bad destination path fails with DESTINATION_UNAVAILABLE before reading anything', async () => {
    const { sqlite } = await import('../../src/index.js')
    let read = false
    const report = await sync({ destination: sqlite({ path: '/nonexistent-dir/sub/w.db' }), source: { async *read() { read = true } } })
    expect(report.error).toMatchObject({ code: 'DESTINATION_UNAVAILABLE' })
    expect(report.error?.message).toContain('does not exist')
    expect(read).toBe(false)
  })
})

describe('connector()', () => {
  const declared = (update: () => AsyncIterable<Message>) =>
    connector({ id: 'c', schema: () => [{ table: 'recalls', primaryKey: ['id'], columns: { report_date: 'UTC_DATETIME', id: 'LONG' } }], update })

  it('applies declared column types to rows', async () => {
    const sink = memory()
    await sync({ destination: sink, source: declared(async function* () { yield op.upsert('recalls', { id: 7, report_date: '2026-01-02T03:04:05+02:00' }); yield op.checkpoint({}) }) })
    expect(sink.rows('recalls')[0]).toMatchObject({ id: 7, report_date: '2026-01-02T01:04:05Z' })
    expect((await sink.describe!())[0]?.columns).toEqual([
      { source: 'report_date', name: 'report_date', type: 'UTC_DATETIME' },
      { source: 'id', name: 'id', type: 'LONG' },
    ])
  })

  it('an op on an undeclared table fails with TABLE_UNDECLARED', async () => {
    const report = await sync({ destination: memory(), source: declared(async function* () { yield op.upsert('other', { id: 1 }) }) })
    expect(report.error).toMatchObject({ code: 'TABLE_UNDECLARED', context: { table: 'other' } })
    expect(report.error?.message).toContain('schema()')
  })

  it('passes {} as the state of a first sync and the saved state afterwards', async () => {
    const seen: State[] = []
    const c = connector({ id: 'c', update: async function* (_config, state) { seen.push(state); yield op.checkpoint({ n: seen.length }) } })
    const sink = memory()
    await sync({ destination: sink, source: c })
    await sync({ destination: sink, source: c })
    expect(seen).toEqual([{}, { n: 1 }])
  })

  it('rejects non-string configuration values and missing required keys, naming the key', async () => {
    const c = connector({ id: 'c', required: ['api_key'], update: async function* () {} })
    const r1 = await sync({ destination: memory(), source: c, configuration: { api_key: 5 } as never })
    expect(r1.error).toMatchObject({ code: 'CONFIGURATION_KEY', context: { key: 'api_key' } })
    const r2 = await sync({ destination: memory(), source: c, configuration: {} })
    expect(r2.error?.message).toContain('missing the key "api_key"')
  })

  it('rejects a malformed schema with CONFIG_INVALID naming the path', async () => {
    const c = connector({ id: 'c', schema: () => [{ table: 't', primaryKey: [1 as never], columns: { a: 'NUMBER' as never } }], update: async function* () {} })
    const r = await sync({ destination: memory(), source: c })
    expect(r.error?.code).toBe('CONFIG_INVALID')
    expect(r.error?.message).toMatch(/primaryKey/)
  })
})

describe('fromIterable()', () => {
  // Resuming an interrupted pass is tested in test/source/from-iterable.test.ts. This test used to
  // expect 0 rows from the second sync: that was the bug (a completed pass was "resumed" past its end).
  it('checkpoints each batch and reads the iterable again after a completed pass', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({ id: i }))
    const sink = memory()
    const report = await sync({ destination: sink, source: fromIterable('t', rows, { primaryKey: ['id'], batchSize: 10 }) })
    expect(report.checkpoints).toBe(3)
    const again = await sync({ destination: sink, source: fromIterable('t', rows, { primaryKey: ['id'], batchSize: 10 }) })
    expect(again.rows).toBe(25)
    expect(() => fromIterable('t', rows, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/)
  })
})
