import { describe, expect, it } from 'vitest'
import { batchFromRows, isNull, SluiceError, valueAt } from '../../src/index.js'
import { inferType } from '../../src/core/infer-type.js'
import { widenType } from '../../src/core/column-type.js'
import { toArrow } from '../../src/arrow.js'

describe('batchFromRows', () => {
  it('infers Fivetran types from JS values and round-trips rows', () => {
    const rows = [
      { id: 1, big: 2 ** 40, amount: 1.5, ok: true, at: '2026-11-22T10:00:00Z', name: 'x', tags: { a: 1 }, bytes: new Uint8Array([1]), when: new Date(0) },
      { id: 2, big: 3, amount: 2, ok: false, at: '2026-11-22T10:00:00.123456Z', name: null, tags: [1, 2], bytes: null, when: null },
    ]
    const batch = batchFromRows(rows)
    expect(batch.types).toEqual({
      id: 'INT', big: 'LONG', amount: 'DOUBLE', ok: 'BOOLEAN', at: 'UTC_DATETIME', name: 'STRING', tags: 'JSON', bytes: 'BINARY', when: 'UTC_DATETIME',
    })
    expect(batch.column('id')!.values).toBeInstanceOf(Int32Array)
    expect(batch.column('big')!.values).toBeInstanceOf(BigInt64Array)
    expect(batch.toRows()).toEqual([
      { ...rows[0], when: '1970-01-01T00:00:00.000Z' },
      { ...rows[1], when: null },
    ])
  })

  it('makes a missing key NULL and keeps the union of columns in first-seen order', () => {
    const batch = batchFromRows([{ a: 1 }, { b: 'x' }, { a: undefined, c: true }])
    expect(batch.names).toEqual(['a', 'b', 'c'])
    expect(batch.column('a')!.nullCount).toBe(2)
    expect([0, 1, 2].map((i) => isNull(batch.column('b')!, i))).toEqual([true, false, true])
  })

  it('widens mixed values losslessly: ints then doubles, then strings', () => {
    expect(batchFromRows([{ v: 1 }, { v: 2.5 }]).types.v).toBe('DOUBLE')
    expect(batchFromRows([{ v: 1 }, { v: 'x' }]).toRows().map((r) => r.v)).toEqual(['1', 'x'])
    expect(batchFromRows([{ v: true }, { v: 2 }]).types.v).toBe('INT')
    expect(batchFromRows([{ v: '2026-01-01T00:00:00Z' }, { v: 'garbage' }]).types.v).toBe('STRING')
    expect(inferType([null, undefined])).toBeUndefined()
    expect(widenType('INT', 'DOUBLE')).toBe('DOUBLE')
    expect(widenType('DECIMAL(10,2)', 'DECIMAL(12,4)')).toBe('DECIMAL(12,4)')
    expect(widenType('DECIMAL(10,2)', 'DECIMAL(4,4)')).toBe('DECIMAL(12,4)')
    expect(widenType('NAIVE_DATE', 'UTC_DATETIME')).toBe('STRING')
  })

  it('uses declared types where the values fit and widens where they do not', () => {
    const b = batchFromRows([{ id: '12', at: '2026-01-01 10:00:00', price: 1.25, flag: 'true' }], {
      columns: { id: 'LONG', at: 'UTC_DATETIME', price: 'DECIMAL(10,2)', flag: 'BOOLEAN' },
    })
    expect(b.types).toEqual({ id: 'LONG', at: 'UTC_DATETIME', price: 'DECIMAL(10,2)', flag: 'BOOLEAN' })
    expect(b.toRows()[0]).toEqual({ id: 12, at: '2026-01-01T10:00:00Z', price: '1.25', flag: true })
    const widened = batchFromRows([{ n: 1 }, { n: 'not a number' }], { columns: { n: 'INT' } })
    expect(widened.types.n).toBe('STRING')
    const tooPrecise = batchFromRows([{ p: 1.234 }], { columns: { p: 'DECIMAL(10,2)' } })
    expect([tooPrecise.types.p, tooPrecise.toRows()[0]!.p]).toEqual(['STRING', '1.234']) // DECIMAL ∪ DOUBLE keeps every digit as text
  })

  it('keeps timestamps exact to the microsecond and normalises offsets to UTC', () => {
    const b = batchFromRows([{ at: '2026-03-01T00:30:00.000001+01:00' }])
    expect(b.toRows()[0]!.at).toBe('2026-02-28T23:30:00.000001Z')
  })

  it('rejects functions, symbols, invalid dates and cyclic objects with UNSUPPORTED_VALUE', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const bad of [() => 1, Symbol('s'), new Date('nope'), cyclic]) {
      const err = (() => { try { batchFromRows([{ ok: 1, v: 1 }, { v: bad }], { table: 't' }) } catch (e) { return e } })()
      expect(err).toBeInstanceOf(SluiceError)
      expect(err).toMatchObject({ code: 'UNSUPPORTED_VALUE', context: { table: 't', column: 'v', row: 1 } })
    }
    expect(() => batchFromRows([5 as never])).toThrow(/must be a plain object/)
  })

  it('filter, slice and select build new batches and leave the input untouched', () => {
    const b = batchFromRows([{ id: 1, s: 'a' }, { id: 2, s: null }, { id: 3, s: 'c' }])
    const f = b.filter([1, 0, 1])
    expect(f.toRows()).toEqual([{ id: 1, s: 'a' }, { id: 3, s: 'c' }])
    expect(b.slice(1).toRows()).toEqual([{ id: 2, s: null }, { id: 3, s: 'c' }])
    expect(b.select(['s']).names).toEqual(['s'])
    expect(b.length).toBe(3)
    expect(valueAt(b.column('s')!, 1)).toBeNull()
  })
})

describe('toArrow', () => {
  it('converts every type with the right Arrow type and values', () => {
    const batch = batchFromRows(
      [
        { i: 1, l: 2n ** 60n, d: 0.5, b: true, s: 'héllo', j: { x: 1 }, t: '2026-11-22T10:00:00.5Z', day: '2026-11-22', dec: '-12.345', bin: new Uint8Array([9]) },
        { i: null, l: null, d: null, b: null, s: null, j: null, t: null, day: null, dec: null, bin: null },
        { i: -5, l: -1n, d: -1e300, b: false, s: 'ascii', j: [1], t: '1960-01-01T00:00:00Z', day: '1900-03-01', dec: '0.001', bin: new Uint8Array([]) },
      ],
      { columns: { day: 'NAIVE_DATE', dec: 'DECIMAL(10,3)' } },
    )
    const rb = toArrow(batch)
    expect(rb.numRows).toBe(3)
    expect(rb.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'i:Int32', 'l:Int64', 'd:Float64', 'b:Bool', 's:Utf8', 'j:Utf8', 't:Timestamp<MICROSECOND, UTC>', 'day:Date32<DAY>', 'dec:Decimal[10e+3]', 'bin:Binary',
    ])
    const col = (name: string) => rb.getChild(name)!
    expect([0, 1, 2].map((k) => col('i').get(k))).toEqual([1, null, -5])
    expect(col('l').get(0)).toBe(2n ** 60n)
    expect(col('b').get(0)).toBe(true)
    expect(col('b').get(2)).toBe(false)
    expect([0, 1, 2].map((k) => col('s').get(k))).toEqual(['héllo', null, 'ascii'])
    expect(col('j').get(0)).toBe('{"x":1}')
    expect(col('t').get(0)).toBe(Date.parse('2026-11-22T10:00:00.5Z'))
    expect(col('t').get(2)).toBe(Date.parse('1960-01-01T00:00:00Z'))
    expect(col('day').get(2)).toBe(Date.parse('1900-03-01T00:00:00Z'))
    expect(Array.from(col('bin').get(0) as Uint8Array)).toEqual([9])
    expect(rb.schema.fields[0]!.metadata.get('sluice.type')).toBe('INT')
    const words = col('dec').data[0]!.values as Uint32Array
    const unscaled = (row: number) => BigInt.asIntN(128, [0, 1, 2, 3].reduce((acc, w) => acc | (BigInt(words[row * 4 + w]!) << BigInt(32 * w)), 0n))
    expect([unscaled(0), unscaled(2)]).toEqual([-12345n, 1n])
  })
})
