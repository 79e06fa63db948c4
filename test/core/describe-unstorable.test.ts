import { describe, expect, it } from 'vitest'
import { batchFromRows, fromIterable, isSluiceError, memory, sync } from '../../src/index.js'

function nested(depth: number): unknown {
  let v: unknown = 1
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

function errorOf(run: () => unknown): unknown {
  try {
    run()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

describe('a value that has no JSON text', () => {
  // Regression: an array nested 5,000 deep was reported as "a cyclic or unserialisable object".
  it('an array nested 5,000 deep is reported as that, with table, column and row', () => {
    const e = errorOf(() => batchFromRows([{ id: 1, deep: 1 }, { id: 2, deep: nested(5_000) }], { table: 'events' }))
    expect(isSluiceError(e) && e.code).toBe('UNSUPPORTED_VALUE')
    expect((e as Error).message).toBe(
      'column "deep" of table events, row 1: an array nested 5000 levels deep can\'t be stored; JSON text that deep exceeds the JavaScript stack; flatten the value or convert it to a string first',
    )
    expect(isSluiceError(e) && e.context).toMatchObject({ table: 'events', column: 'deep', row: 1, reason: 'deep', depth: 5000 })
  })

  it('a cycle is reported as a cycle, at the level it closes', () => {
    const a: Record<string, unknown> = { b: { c: {} } }
    ;(a.b as { c: Record<string, unknown> }).c.back = a
    const e = errorOf(() => batchFromRows([{ id: 1, a }], { table: 't' }))
    expect((e as Error).message).toContain('row 0: a cyclic object (an object that contains itself 3 levels down)')
    expect(isSluiceError(e) && e.context).toMatchObject({ reason: 'cycle' })
  })

  it('an object whose toJSON throws is reported as that, not as a cycle', () => {
    const bad = { toJSON: () => { throw new Error('no') } }
    const e = errorOf(() => batchFromRows([{ id: 1, bad }], { table: 't' }))
    expect((e as Error).message).toContain("row 0: an object whose toJSON or a getter throws can't be stored")
  })

  it('a sync of a too-deep row fails with UNSUPPORTED_VALUE naming table, column and row', async () => {
    const report = await sync({ destination: memory(), source: fromIterable('events', [{ id: 1, deep: nested(5_000) }], { primaryKey: ['id'] }) })
    expect(report.status).toBe('failed')
    expect(report.error?.code).toBe('UNSUPPORTED_VALUE')
    expect(report.error?.message).toMatch(/column "deep" of table events, row 0: an array nested 5000 levels deep/)
  })
})
