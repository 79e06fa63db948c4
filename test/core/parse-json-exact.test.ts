import { describe, expect, it } from 'vitest'
import { ExactDecimal } from '../../src/core/exact-decimal.js'
import { parseJsonExact } from '../../src/core/parse-json-exact.js'

describe('parseJsonExact', () => {
  it('keeps integers beyond 2^53 as bigints and everything else as JSON.parse does', () => {
    expect(parseJsonExact('{"id":9007199254740993,"n":[1,2.5,-12345678901234567890],"s":"12345678901234567890"}')).toEqual({
      id: 9007199254740993n,
      n: [1, 2.5, -12345678901234567890n],
      s: '12345678901234567890',
    })
    expect(parseJsonExact('1234567890123456')).toBe(1234567890123456) // 16 digits, still exact as a double
    expect(parseJsonExact('{"a":"\\u00e9\\n","b":true,"c":null,"d":1e3}')).toEqual(JSON.parse('{"a":"\\u00e9\\n","b":true,"c":null,"d":1e3}'))
  })

  it('makes "__proto__" an own key, as JSON.parse does, on both paths', () => {
    for (const text of ['{"__proto__":{"x":1}}', '{"__proto__":{"x":1},"id":12345678901234567890}']) {
      const parsed = parseJsonExact(text) as Record<string, unknown>
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
      expect(Object.keys(parsed)[0]).toBe('__proto__')
      expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toEqual({ x: 1 })
    }
  })

  it('throws a SyntaxError on invalid JSON, on both paths', () => {
    expect(() => parseJsonExact('{"a":')).toThrow(SyntaxError)
    expect(() => parseJsonExact('{"a":12345678901234567890,}')).toThrow(SyntaxError)
  })

  it('keeps decimals a double would round as ExactDecimal, the rest as numbers', () => {
    const parsed = parseJsonExact('{"d":12345678901234567890.123,"e":-1.00000000000000000001e-3,"f":0.30000000000000004,"g":[2.5]}') as Record<string, unknown>
    expect(parsed['d']).toEqual(new ExactDecimal('12345678901234567890.123'))
    expect(parsed['e']).toEqual(new ExactDecimal('-1.00000000000000000001e-3'))
    expect(parsed['f']).toBe(0.30000000000000004)
    expect(parsed['g']).toEqual([2.5])
  })

  it('gives the same values on the marker path and on the fallback parser', () => {
    const body = '[{"id":9007199254740993,"v":"a"},{"id":1,"x":{"y":[12345678901234567890.5]},"s":"\\u0000"}]'
    const viaMarkers = parseJsonExact(body.replace('\\u0000', 'plain'))
    const viaParser = parseJsonExact(body) // holds the marker escape: the fallback parser
    expect(viaMarkers).toEqual([{ id: 9007199254740993n, v: 'a' }, { id: 1, x: { y: [new ExactDecimal('12345678901234567890.5')] }, s: 'plain' }])
    expect(viaParser).toEqual([{ id: 9007199254740993n, v: 'a' }, { id: 1, x: { y: [new ExactDecimal('12345678901234567890.5')] }, s: '\u0000' }])
  })

  it('reads a string whose digits look like a number token as a string (the rewrite breaks, the parser takes over)', () => {
    expect(parseJsonExact('{"s":"a,12345678901234567890,b","n":12345678901234567890}')).toEqual({ s: 'a,12345678901234567890,b', n: 12345678901234567890n })
    expect(parseJsonExact('{"s":"a,12345678901234567890,b"}')).toEqual({ s: 'a,12345678901234567890,b' })
  })
})
