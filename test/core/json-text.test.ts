import { describe, expect, it } from 'vitest'
import { batchFromRows } from '../../src/index.js'
import { stringifyWithBigints } from '../../src/core/bigint-json.js'
import { encodeValue, NO_FIT } from '../../src/core/encode-value.js'
import { jsonText } from '../../src/core/json-text.js'

/** Values whose JSON text the native serializer defines: the fallback must write exactly the same. */
const SAMPLES: unknown[] = [
  { tags: ['a', 'b', 'c'], meta: { x: 1 } },
  { s: 'q"\\\n\u2028\ud800', n: -0, f: 1e21, g: 1.5e-7, nan: NaN, inf: -Infinity, t: true, z: null },
  { u: undefined, fn: () => 1, sym: Symbol('x'), arr: [undefined, () => 1, Symbol('y'), null] },
  { at: new Date('2026-11-22T10:11:12.123Z'), bad: new Date(NaN), nested: { at: new Date(0) } },
  { buf: Buffer.from([0, 1, 255]), bytes: new Uint8Array([7, 8]), map: new Map([[1, 2]]), set: new Set([1]) },
  { boxed: [new Number(3), new String('s'), new Boolean(false)], custom: { toJSON: (k: string) => `key:${k}` } },
  { 2: 'b', 1: 'a', z: 'z', a: 'a' }, // integer keys first, as Object.keys orders them
  [],
  {},
  'text',
  42,
  null,
]

describe('jsonText', () => {
  it('a bigint inside a JSON value was stored as a string; now as the exact JSON number', () => {
    expect(encodeValue({ n: 12345678901234567890n }, 'JSON')).toBe('{"n":12345678901234567890}')
    expect(encodeValue([1n, -(2n ** 80n), { deep: [2n ** 63n] }], 'JSON')).toBe('[1,-1208925819614629174706176,{"deep":[9223372036854775808]}]')
    const batch = batchFromRows([{ doc: { id: 2n ** 60n + 1n, name: 'x' } }])
    expect(batch.types.doc).toBe('JSON')
    expect(batch.column('doc')!.values[0]).toBe('{"id":1152921504606846977,"name":"x"}')
  })

  it('the bigint-aware writer produces exactly the native text for every other value', () => {
    for (const v of SAMPLES) {
      expect(stringifyWithBigints(v)).toBe(JSON.stringify(v))
      // With a bigint added the native call throws; the rest of the text must still be the native one.
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        expect(jsonText({ ...v, big: 1n })).toBe(JSON.stringify({ ...v, big: 'BIG' }).replace('"BIG"', '1'))
      }
    }
    expect(stringifyWithBigints(undefined)).toBeUndefined()
  })

  it('keeps what the replacer did not change: undefined is no JSON, a cycle does not fit, toJSON and Buffer as natively', () => {
    expect(encodeValue(undefined, 'JSON')).toBe(NO_FIT)
    const cyclic: Record<string, unknown> = { n: 1n }
    cyclic.self = cyclic
    expect(encodeValue(cyclic, 'JSON')).toBe(NO_FIT)
    const plainCycle: Record<string, unknown> = {}
    plainCycle.self = plainCycle
    expect(encodeValue(plainCycle, 'JSON')).toBe(NO_FIT)
    expect(encodeValue({ buf: Buffer.from([1]), at: new Date(0) }, 'JSON')).toBe('{"buf":{"type":"Buffer","data":[1]},"at":"1970-01-01T00:00:00.000Z"}')
    const throwing = { get x(): number { throw new Error('getter') } }
    expect(encodeValue(throwing, 'JSON')).toBe(NO_FIT)
  })

  it('values after a bigint are still written right, with or without bigints (the walk is only a shortcut)', () => {
    const values = [{ a: 1n }, { a: 2 }, { b: [3n] }, { c: 'x' }, { d: 4 }, 5n, 'y']
    expect(values.map(jsonText)).toEqual(['{"a":1}', '{"a":2}', '{"b":[3]}', '{"c":"x"}', '{"d":4}', '5', '"y"'])
    const cyclic: unknown[] = [1n]
    cyclic.push(cyclic)
    expect([jsonText({ a: 1n }), jsonText(cyclic), jsonText({ ok: true })]).toEqual(['{"a":1}', undefined, '{"ok":true}'])
  })
})
