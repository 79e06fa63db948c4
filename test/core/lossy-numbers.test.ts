import { describe, expect, it } from 'vitest'
import { ExactDecimal } from '../../src/core/exact-decimal.js'
import { jsonText } from '../../src/core/json-text.js'
import { keptByDouble, lossyNumbers, normalDecimal } from '../../src/core/lossy-numbers.js'

/** The tokens the scan lists, as text. */
const tokens = (text: string) => {
  const spans = lossyNumbers(text) ?? []
  const out: string[] = []
  for (let k = 0; k < spans.length; k += 2) out.push(text.slice(spans[k], spans[k + 1]))
  return out
}

describe('lossyNumbers', () => {
  it('finds integers beyond 2^53 and decimals a double rounds, wherever they sit in the text', () => {
    const text = `{"a":9007199254740993,"b":[ -12345678901234567890 ,1],"c":12345678901234567890.123,"d":1234567.1234567891,"e":1.2345678901234567891e5}`
    expect(tokens(text)).toEqual(['9007199254740993', '-12345678901234567890', '12345678901234567890.123', '1234567.1234567891', '1.2345678901234567891e5'])
    // At every offset modulo the sampling stride.
    for (let pad = 0; pad < 20; pad++) expect(tokens(`{"${'x'.repeat(pad)}":[12345678901234567890]}`)).toEqual(['12345678901234567890'])
    expect(tokens('12345678901234567890')).toEqual(['12345678901234567890'])
  })

  it('passes numbers a double keeps: up to 15 digits, 2^53 - 1, shortest doubles with 17 digits', () => {
    expect(lossyNumbers('[9007199254740991,-9007199254740991,0.30000000000000004,123456789012345,1e300,0.000000000000000000001]')).toBeUndefined()
    expect(lossyNumbers(JSON.stringify({ data: Array.from({ length: 50 }, (_, i) => ({ id: i, at: '2026-01-01T00:00:00.123Z', amount: i / 7 })) }))).toBeUndefined()
  })

  it('skips digit runs inside strings that are no number by their surroundings', () => {
    expect(lossyNumbers('{"card":"4111111111111111111","ip":"a.12345678901234567890x"}')).toBeUndefined()
  })
})

describe('keptByDouble', () => {
  it('says whether JSON.parse keeps a number token exactly', () => {
    expect(keptByDouble('9007199254740991')).toBe(true)
    expect(keptByDouble('9007199254740992')).toBe(false) // not a safe integer: a bigint, like 2^53 + 1
    expect(keptByDouble('0.30000000000000004')).toBe(true)
    expect(keptByDouble('0.10000000000000001')).toBe(false) // the double prints as 0.1
    expect(keptByDouble('1.5000000000000000000')).toBe(true)
    expect(keptByDouble('1e400')).toBe(false)
  })

  it('normalDecimal writes equal values alike', () => {
    expect(normalDecimal('1500')).toBe(normalDecimal('1.5e3'))
    expect(normalDecimal('0.0015')).toBe(normalDecimal('15e-4'))
    expect(normalDecimal('-0.000')).toBe('0')
  })
})

describe('ExactDecimal', () => {
  it('is its text as a string, the nearest double in arithmetic, its digits as a string to JSON.stringify, the number to jsonText', () => {
    const d = new ExactDecimal('12345678901234567890.123')
    expect(String(d)).toBe('12345678901234567890.123')
    expect(+d).toBe(12345678901234567890.123)
    expect(JSON.stringify({ d })).toBe('{"d":"12345678901234567890.123"}')
    expect(jsonText({ d, n: [1] })).toBe('{"d":12345678901234567890.123,"n":[1]}')
    expect(jsonText({ n: [1] })).toBe('{"n":[1]}')
    expect(() => new ExactDecimal('1.')).toThrow(SyntaxError)
  })
})
