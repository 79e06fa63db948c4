import { describe, expect, it } from 'vitest'
import { batchFromRows } from '../../src/core/batch-from-rows.js'
import { KeySet } from '../../src/mar/key-set.js'
import { marKeys } from '../../src/mar/key-hash.js'

const pairs = (k: Uint32Array) => Array.from({ length: k.length / 2 }, (_, i) => `${k[2 * i]}:${k[2 * i + 1]}`)

describe('marKeys', () => {
  it('keys an integer the same whether the column is INT, LONG or an integral DOUBLE (a widened key keeps its MAR)', () => {
    const ints = marKeys(batchFromRows([{ id: 1 }, { id: -5 }], { columns: { id: 'INT' } }), ['id'])
    const longs = marKeys(batchFromRows([{ id: 1n }, { id: -5n }], { columns: { id: 'LONG' } }), ['id'])
    const doubles = marKeys(batchFromRows([{ id: 1 }, { id: -5 }], { columns: { id: 'DOUBLE' } }), ['id'])
    expect(pairs(longs)).toEqual(pairs(ints))
    expect(pairs(doubles)).toEqual(pairs(ints))
  })

  it('never collides for 2M distinct integer keys (the integer hash is a bijection) nor for 1M text keys', () => {
    const set = new KeySet()
    for (let s = -1_000_000; s < 1_000_000; s += 100_000) {
      set.addAll(marKeys(batchFromRows(Array.from({ length: 100_000 }, (_, i) => ({ id: s + i }))), ['id']))
    }
    expect(set.size).toBe(2_000_000)
    const text = new KeySet()
    text.addAll(marKeys(batchFromRows(Array.from({ length: 1_000_000 }, (_, i) => ({ k: `order-${i}` }))), ['k']))
    expect(text.size).toBe(1_000_000)
  })

  it('composite keys: part order and boundaries matter ("a","bc" ≠ "ab","c"); the same parts give the same key', () => {
    const k = marKeys(batchFromRows([{ a: 'a', b: 'bc' }, { a: 'ab', b: 'c' }, { a: 'a', b: 'bc' }]), ['a', 'b'])
    const [x, y, z] = pairs(k)
    expect(x).not.toBe(y)
    expect(x).toBe(z)
  })

  it('keyless rows are keyed by content (the _sluice_id): equal rows share a key whatever the column order', () => {
    const k = marKeys(batchFromRows([{ a: 1, b: 'x' }, { b: 'x', a: 1 }, { a: 2, b: 'x' }]), [])
    const [x, y, z] = pairs(k)
    expect(x).toBe(y)
    expect(x).not.toBe(z)
  })
})
