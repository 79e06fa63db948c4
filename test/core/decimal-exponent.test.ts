import { describe, expect, it } from 'vitest'
import { batchFromRows } from '../../src/index.js'
import { encodeValue, NO_FIT } from '../../src/core/encode-value.js'

describe('DECIMAL values in exponent form', () => {
  it('a long mantissa was rounded through a double; now its digits are kept exactly', () => {
    expect(encodeValue('1.2345678901234567890123e5', 'DECIMAL(30,20)')).toBe('123456.78901234567890123')
    expect(encodeValue('-12345678901234567891e-2', 'DECIMAL(38,2)')).toBe('-123456789012345678.91')
    expect(encodeValue(1e21, 'DECIMAL(38,0)')).toBe('1000000000000000000000') // String(1e21) is '1e+21'
    expect(encodeValue('.5E1', 'DECIMAL(10,2)')).toBe('5')
    expect(encodeValue('0.0015e6', 'DECIMAL(10,2)')).toBe('1500')
  })

  it('digits past the scale were silently rounded away (1e-7 in DECIMAL(10,2) became 0.00); now it does not fit', () => {
    expect(encodeValue(1e-7, 'DECIMAL(10,2)')).toBe(NO_FIT)
    expect(encodeValue('1.23456e0', 'DECIMAL(10,2)')).toBe(NO_FIT)
    expect(encodeValue(1e-7, 'DECIMAL(10,8)')).toBe('0.0000001')
    const widened = batchFromRows([{ d: 1e-7 }], { columns: { d: 'DECIMAL(10,2)' } })
    expect([widened.types.d, widened.toRows()[0]!.d]).toEqual(['STRING', '1e-7']) // widened, not lost
  })

  it('text that is no number in exponent form does not fit', () => {
    for (const bad of ['e5', '1e', '1e5.5', '1ee5', '--1e2', '1e99999']) expect(encodeValue(bad, 'DECIMAL(10,2)')).toBe(NO_FIT)
  })
})
