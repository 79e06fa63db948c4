import stableStringify from 'fast-json-stable-stringify'
import { describe, expect, it } from 'vitest'
import { isStableJson } from '../../src/core/stable-json.js'

/** What the fast path claims: the text is valid JSON and is its own stable form. */
const stableForm = (text: string): string | undefined => {
  try {
    return stableStringify(JSON.parse(text)) as string
  } catch {
    return undefined
  }
}

describe('isStableJson', () => {
  it('accepts stable texts', () => {
    for (const t of ['0', '1', '-1', '1.5', '-0.25', '123456789012345', '0.000001', '0.123456789012345', 'true', 'false', 'null', '""', '"a\\"b\\\\c\\n\\t\\r\\b\\f"', '[]', '{}', '[1,"x",null,{"a":[]}]', '{"10":1,"9":2,"A":3,"a":{"b":true}}', '"é🐎"'.replace('🐎', 'x'), '"\u2028"']) {
      expect(isStableJson(t), t).toBe(true)
      expect(stableForm(t), t).toBe(t)
    }
  })

  it('refuses texts whose stable form differs, and invalid JSON', () => {
    const cases = [
      ' 1', '1 ', '[1, 2]', '{"b":1,"a":2}', '{"a":1,"a":2}', '1.0', '1.50', '-0', '-0.0', '0.0', '1e3', '1E3', '0.0000001', '1234567890123456',
      '9007199254740993', '0.1000000000000000055', '"\\u0041"', '"\\/"', '"\ud83d\udc0e"', '"\ud83d"', '{"__proto__":1}', '{"a\\"":1}', '01', '.5', '1.', '-',
      '+1', 'tru', 'nul', '[1,]', '{"a":1,}', '{"a"}', '"abc', '[', '{', '', 'undefined', 'NaN', '"a\nb"', '[1]x', '{"a":1}}',
    ]
    for (const t of cases) expect(isStableJson(t), JSON.stringify(t)).toBe(false)
  })

  it('never accepts a text that is not its own stable form (random texts of every shape)', () => {
    let seed = 11
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    const ws = () => (rand() < 0.05 ? pick([' ', '\n', '\t']) : '')
    const number = () =>
      pick(['0', '-0', '1', '-7', '10', '1.5', '1.50', '0.1', '0.000001', '0.0000001', '1e2', '2E-3', '123456789012345', '1234567890123456', '0.30000000000000004', '9007199254740993', '-0.5', `${Math.floor(rand() * 1e6)}`, `${(rand() * 100).toFixed(Math.floor(rand() * 6))}`])
    const string = () => `"${pick(['', 'a', 'b', 'é', 'a\\"b', '\\\\', '\\n', '\\u0041', '\\/', 'x y', '\u2028', '\ud83d\udc0e', 'Z', '10', '9'])}"`
    const value = (depth: number): string => {
      const r = rand()
      if (depth > 3 || r < 0.5) return pick([number, string, () => pick(['true', 'false', 'null'])])()
      if (r < 0.75) return `[${ws()}${Array.from({ length: Math.floor(rand() * 4) }, () => ws() + value(depth + 1) + ws()).join(',')}]`
      const keys = Array.from({ length: Math.floor(rand() * 4) }, string)
      if (rand() < 0.6) keys.sort()
      return `{${keys.map((k) => `${ws()}${k}${ws()}:${ws()}${value(depth + 1)}`).join(',')}}`
    }
    let accepted = 0
    for (let n = 0; n < 20_000; n++) {
      let text = value(0)
      if (rand() < 0.05) text = text.slice(0, Math.floor(rand() * text.length)) // truncated: invalid
      if (isStableJson(text)) {
        accepted++
        expect(stableForm(text), text).toBe(text)
      }
    }
    // The fast path is taken for a good share of them (a scanner that accepts nothing would pass the loop above).
    expect(accepted).toBeGreaterThan(4_000)
  })

  it('accepts what fast-json-stable-stringify writes for ordinary values', () => {
    const values = [{ tags: ['a', 'b'] }, ['x', 1, 2.5, true, null], { z: { y: [1, { b: 'c', a: 'd' }] }, a: 'é' }, 'text', 42, -3.25]
    for (const v of values) expect(isStableJson(stableStringify(v) as string)).toBe(true)
  })
})
