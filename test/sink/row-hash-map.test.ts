import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { lowKey, RowHashMap, rowKey } from '../../src/sink/sqlite/row-hash-map.js'

describe('row keys of a row hash', () => {
  it('are the 52-bit halves parseInt reads, for any hash and for text that is not hex', () => {
    const hashes = Array.from({ length: 2000 }, () => randomBytes(32).toString('hex'))
    hashes.push('f'.repeat(64), '0'.repeat(64), 'ABCDEF0123456789'.repeat(4), 'abc', '12345678901zz3456', 'é'.repeat(30), '')
    for (const h of hashes) {
      expect(Object.is(rowKey(h), parseInt(h.slice(0, 13), 16)), h).toBe(true)
      expect(Object.is(lowKey(h), parseInt(h.slice(13, 26), 16)), h).toBe(true)
    }
  })

  it('find rows by hash through growth and clears', () => {
    const map = new RowHashMap(4)
    const hashes = Array.from({ length: 5000 }, () => randomBytes(32).toString('hex'))
    hashes.forEach((h, i) => map.set(h, i))
    expect(map.size).toBe(5000)
    hashes.forEach((h, i) => expect(map.get(h)).toBe(i))
    expect(map.getKeys(rowKey(hashes[7]!), lowKey(hashes[7]!))).toBe(7)
    expect(map.get(randomBytes(32).toString('hex'))).toBeUndefined()
    map.set(hashes[0]!, 99)
    expect(map.get(hashes[0]!)).toBe(99)
    map.clear()
    expect(map.get(hashes[1]!)).toBeUndefined()
  })
})
