import { describe, expect, it } from 'vitest'
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
})
