import { describe, expect, it } from 'vitest'
import { batchFromRows, valueAt } from '../../src/index.js'
import { ExactDecimal } from '../../src/core/exact-decimal.js'
import { parseJsonExact } from '../../src/core/parse-json-exact.js'

const rowsOf = (json: string) => parseJsonExact(json) as object[]

describe('batches keep numbers a double cannot hold', () => {
  it('stores integers beyond 2^53 next to fractions as exact text (a DOUBLE column would round them; it used to throw)', () => {
    const batch = batchFromRows([{ v: 9007199254740993n }, { v: 1.5 }])
    expect(batch.types).toEqual({ v: 'STRING' })
    expect(batch.toRows()).toEqual([{ v: '9007199254740993' }, { v: '1.5' }])
  })

  it('widens a declared DOUBLE that meets an integer beyond 2^53 to text, not to a rounded double', () => {
    const batch = batchFromRows([{ v: 9007199254740993n }], { columns: { v: 'DOUBLE' } })
    expect(batch.types).toEqual({ v: 'STRING' })
    expect(batch.toRows()).toEqual([{ v: '9007199254740993' }])
  })

  it('stores a long JSON decimal digit for digit in DECIMAL, STRING and JSON columns, and as its nearest double when undeclared', () => {
    const rows = rowsOf('[{"d":12345678901234567890.123,"s":12345678901234567890.123,"j":{"x":12345678901234567890.123},"u":12345678901234567890.123}]')
    const batch = batchFromRows(rows, { columns: { d: 'DECIMAL(38,3)', s: 'STRING', j: 'JSON' } })
    expect(batch.types).toEqual({ d: 'DECIMAL(38,3)', s: 'STRING', j: 'JSON', u: 'DOUBLE' })
    expect(batch.column('d')!.values).toEqual(['12345678901234567890.123'])
    expect(batch.column('s')!.values).toEqual(['12345678901234567890.123'])
    expect(batch.column('j')!.values).toEqual(['{"x":12345678901234567890.123}'])
    expect(valueAt(batch.column('j')!, 0)).toEqual({ x: new ExactDecimal('12345678901234567890.123') })
    expect(batch.column('u')!.values).toEqual(new Float64Array([12345678901234567890.123]))
  })

  it('refuses a DECIMAL too narrow for the digits rather than rounding them (the column widens to text)', () => {
    const batch = batchFromRows(rowsOf('[{"d":12345678901234567890.123}]'), { columns: { d: 'DECIMAL(38,2)' } })
    expect(batch.types.d).toBe('STRING')
    expect(batch.column('d')!.values).toEqual(['12345678901234567890.123'])
  })

  it('stores an integer written with a fraction or exponent in LONG, declared or not', () => {
    const rows = rowsOf('[{"a":12345678901234567.0,"b":1.2345678901234567e16}]')
    expect(batchFromRows(rows).column('a')!.values).toEqual(new BigInt64Array([12345678901234567n]))
    const declared = batchFromRows(rows, { columns: { a: 'LONG', b: 'LONG' } })
    expect(declared.types).toEqual({ a: 'LONG', b: 'LONG' })
    expect([...(declared.column('b')!.values as BigInt64Array)]).toEqual([12345678901234567n])
  })

  it('stores a declared LONG given as a double beyond 2^53 as an integer, by the digits it prints as (it used to become DOUBLE)', () => {
    const batch = batchFromRows([{ id: 1e18 }, { id: 123456789012345e4 }], { columns: { id: 'LONG' } })
    expect(batch.types.id).toBe('LONG')
    expect([...(batch.column('id')!.values as BigInt64Array)]).toEqual([1000000000000000000n, 1234567890123450000n])
  })
})
