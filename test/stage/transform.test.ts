import { describe, expect, it } from 'vitest'
import { batchFromRows, isNull, memory, op, sync, type Batch, type State } from '../../src/index.js'
import { transform } from '../../src/stage/transform.js'
import { page, scripted } from '../support/sources.js'

describe('transform', () => {
  it('maps rows; untouched columns keep their types; null drops a row; the input batch is untouched', async () => {
    const sink = memory()
    const message = op.upsert('orders', [{ id: 1, net: 10, day: '2026-01-01' }, { id: 2, net: 0, day: '2026-01-02' }]).withTypes({ day: 'NAIVE_DATE' })
    const before = message.batch.toRows()
    let typed: Batch | undefined
    const r = await sync({
      destination: sink,
      source: scripted([message, op.checkpoint({})]),
      stages: [
        transform((row, info) => (row.net === 0 ? null : { ...row, gross: Number(row.net) * 1.25, where: `${info.table}:${info.op}:${info.index}` })),
        transform({ batch: (b) => ((typed = b), b) }),
      ],
    })
    expect(r.status).toBe('succeeded')
    expect(sink.rows('orders').map(({ id, gross, where }) => ({ id, gross, where }))).toEqual([{ id: 1, gross: 12.5, where: 'orders:upsert:0' }])
    expect(typed?.types).toEqual({ id: 'INT', net: 'INT', day: 'NAIVE_DATE', gross: 'DOUBLE', where: 'STRING' })
    expect(message.batch.toRows()).toEqual(before)
  })

  it('a row transform keeps integers beyond 2^53 inside JSON values exact (they used to come back rounded)', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      source: scripted([op.upsert('events', [{ id: 1, payload: { account: 12345678901234567890n, ok: true } }]), op.checkpoint({})]),
      stages: [transform((row) => ({ ...row, seen: 1 }))],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    const [row] = sink.rows('events')
    expect(row!.payload).toEqual({ account: 12345678901234567890n, ok: true })
  })

  it('maps columnar batches (fast path) and only the tables asked for', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      source: scripted([op.upsert('a', [{ id: 1, v: 2 }, { id: 2, v: null }]), op.upsert('b', { id: 1, v: 2 }), op.checkpoint({})]),
      stages: [
        transform({
          tables: ['a'],
          batch: (b) => {
            const v = b.column('v')!
            const doubled = new Float64Array(b.length)
            for (let i = 0; i < b.length; i++) doubled[i] = isNull(v, i) ? 0 : Number(v.values[i]) * 2
            return b.withColumn({ name: 'v2', type: 'DOUBLE', values: doubled, validity: undefined, nullCount: 0 })
          },
        }),
      ],
    })
    expect(r.status).toBe('succeeded')
    expect(sink.rows('a').map((x) => x.v2)).toEqual([4, 0])
    expect(sink.rows('b')[0]).not.toHaveProperty('v2')
  })

  it('a thrown error fails the sync with TRANSFORM_FAILED naming table and row; no state past the last checkpoint', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      connectorId: 'tf',
      source: scripted([...page('t', [{ id: 1 }], { n: 1 }), ...page('t', [{ id: 2 }, { id: 3 }], { n: 2 })]),
      stages: [transform((row) => {
        if (row.id === 3) throw new Error('bad id 3')
        return row
      })],
    })
    expect(r.status).toBe('failed')
    expect(r.error).toMatchObject({ code: 'TRANSFORM_FAILED', context: { table: 't', row: 1 } })
    expect(r.error?.message).toContain('bad id 3')
    expect(sink.rows('t').map((x) => x.id)).toEqual([1])
    let state: State | undefined
    await sync({ destination: sink, connectorId: 'tf', source: { async *read(args) { state = args.state } } })
    expect(state).toEqual({ n: 1 })
  })

  it('rejects results that are not rows or batches, with TRANSFORM_FAILED', async () => {
    const run = (stage: ReturnType<typeof transform>) => sync({ destination: memory(), source: scripted(page('t', [{ id: 1 }], { n: 1 })), stages: [stage] })
    expect((await run(transform(() => 5 as never))).error).toMatchObject({ code: 'TRANSFORM_FAILED', message: expect.stringContaining('must return a row object or null, got number') })
    expect((await run(transform((async (r: object) => r) as never))).error?.message).toContain('returned a Promise')
    expect((await run(transform({ batch: () => [] as never }))).error).toMatchObject({ code: 'TRANSFORM_FAILED', message: expect.stringContaining('must return a Batch') })
    expect((await run(transform({ batch: () => { throw new Error('nope') } }))).error?.message).toContain('table t, batch: the function threw: nope')
    expect(() => transform({} as never)).toThrow(/exactly one of rows and batch/)
    expect(batchFromRows([]).length).toBe(0)
  })
})
