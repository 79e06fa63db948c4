import { Schema } from 'effect'
import { describe, expect, it } from 'vitest'
import { memory, op, sync, type State } from '../../src/index.js'
import { validate } from '../../src/stage/validate.js'
import { page, scripted } from '../support/sources.js'

const Order = Schema.Struct({ id: Schema.Number, total: Schema.Number.pipe(Schema.nonNegative()), email: Schema.optional(Schema.NullOr(Schema.String)) })

describe('validate', () => {
  it('skip: failing rows go to _sluice_errors with the decode error; valid rows are written', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      // A batch column has one type: 'x' would make the whole column STRING, so it comes in its own page.
      source: scripted([...page('orders', [{ id: 1, total: 5 }, { id: 2, total: -1 }, { id: 4, total: 0 }], { n: 1 }), ...page('orders', [{ id: 3, total: 'x' }], { n: 2 })]),
      stages: [validate({ orders: Order }, { onError: 'skip' })],
    })
    expect(r.status).toBe('succeeded')
    expect(r.errors).toBe(2)
    expect(sink.rows('orders').map((x) => x.id).sort()).toEqual([1, 4])
    const errors = await sink.readErrors!()
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatchObject({ kind: 'record', table: 'orders', code: 'VALIDATION_FAILED', record: { id: 2, total: -1 }, context: { row: 1 } })
    expect(errors[0]!.message).toMatch(/total: Expected a non-negative number, actual -1/)
    expect(errors[1]!.message).toMatch(/total: Expected number, actual "x"/)
  })

  it('fail: the sync fails with VALIDATION_FAILED naming the table, row and key; the last checkpoint stays', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      connectorId: 'v',
      source: scripted([...page('orders', [{ id: 1, total: 5 }], { n: 1 }), ...page('orders', [{ id: 2, total: 1 }, { id: 3, total: -3 }], { n: 2 })]),
      stages: [validate(Order, { onError: 'fail', tables: ['orders'] })],
    })
    expect(r.status).toBe('failed')
    expect(r.error).toMatchObject({ code: 'VALIDATION_FAILED', context: { table: 'orders', row: 1, key: { id: 3 } } })
    expect(r.error?.message).toContain('table orders, batch row 1')
    expect(sink.rows('orders').map((x) => x.id)).toEqual([1])
    let state: State | undefined
    await sync({ destination: sink, connectorId: 'v', source: { async *read(args) { state = args.state } } })
    expect(state).toEqual({ n: 1 })
  })

  it('applies only to the tables and ops it is given; extra columns are allowed; the input batch is untouched', async () => {
    const sink = memory()
    const upsert = op.upsert('orders', [{ id: 1, total: -1, extra: true }])
    const before = upsert.batch.toRows()
    const r = await sync({
      destination: sink,
      source: scripted([op.upsert('other', { id: 1, total: -1 }), upsert, op.update('orders', { id: 9, total: -5 }), op.checkpoint({})]),
      stages: [validate(Order, { onError: 'skip', tables: ['orders'] })],
    })
    expect(r.status).toBe('succeeded')
    expect(sink.rows('other')).toHaveLength(1)
    expect(sink.rows('orders').map((x) => x.id)).toEqual([9]) // the update is not checked (partial row)
    expect(upsert.batch.toRows()).toEqual(before)
  })

  it('refuses bad options when built', () => {
    expect(() => validate(Order, { onError: 'ignore' as never })).toThrow(/onError 'fail' or 'skip', got "ignore"/)
    expect(() => validate({ orders: 'nope' as never }, { onError: 'skip' })).toThrow(/contract of table "orders" must be an effect Schema/)
    expect(() => validate({ orders: Order }, { onError: 'skip', tables: ['x'] })).toThrow(/`tables` applies to a single contract/)
    expect(() => validate(Order, { onError: 'skip', ops: ['insert' as never] })).toThrow(/validate.ops/)
  })
})
