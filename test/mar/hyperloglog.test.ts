import { describe, expect, it } from 'vitest'
import { HyperLogLog } from '../../src/mar/hyperloglog.js'
import { KeySet } from '../../src/mar/key-set.js'
import { marKeys } from '../../src/mar/key-hash.js'
import { batchFromRows } from '../../src/core/batch-from-rows.js'

/** Keys of ids from..to-1 as marKeys makes them for an integer key column, built a page at a time. */
function intKeys(from: number, to: number): Uint32Array[] {
  const pages: Uint32Array[] = []
  for (let s = from; s < to; s += 50_000) {
    const rows = Array.from({ length: Math.min(50_000, to - s) }, (_, i) => ({ id: s + i }))
    pages.push(marKeys(batchFromRows(rows), ['id']))
  }
  return pages
}

function textKeys(n: number): Uint32Array {
  const rows = Array.from({ length: n }, (_, i) => ({ email: `user${String(i).padStart(7, '0')}@mail.io` }))
  return marKeys(batchFromRows(rows), ['email'])
}

const relError = (estimate: number, truth: number) => Math.abs(estimate - truth) / truth

describe('HyperLogLog', () => {
  it('estimates 1M distinct integer keys within 2%, however often each is added', () => {
    const hll = new HyperLogLog()
    for (const page of intKeys(1, 1_000_001)) hll.addKeys(page).addKeys(page) // every key twice
    expect(relError(hll.estimate(), 1_000_000)).toBeLessThan(0.02)
  })

  it('estimates 1M distinct text keys within 2%', () => {
    const hll = new HyperLogLog().addKeys(textKeys(1_000_000))
    expect(relError(hll.estimate(), 1_000_000)).toBeLessThan(0.02)
  })

  it('merging 4 partial sketches (overlapping workers) gives the union within 2%, the same as one sketch of everything', () => {
    // Workers see overlapping ranges: 0–300k, 200k–550k, 500k–800k, 750k–1M → 1M distinct keys.
    const ranges: [number, number][] = [[0, 300_000], [200_000, 550_000], [500_000, 800_000], [750_000, 1_000_000]]
    const parts = ranges.map(([a, b]) => {
      const h = new HyperLogLog()
      for (const page of intKeys(a, b)) h.addKeys(page)
      return HyperLogLog.fromBase64(h.toBase64()) // as persisted with a checkpoint
    })
    const merged = parts.reduce((acc, p) => acc.merge(p), new HyperLogLog())
    const whole = new HyperLogLog()
    for (const page of intKeys(0, 1_000_000)) whole.addKeys(page)
    expect(merged.registers).toEqual(whole.registers)
    expect(relError(merged.estimate(), 1_000_000)).toBeLessThan(0.02)
    expect(relError(parts[0]!.estimate(), 300_000)).toBeLessThan(0.02)
  })

  it('is accurate at small and middle cardinalities too (no bias bump between linear counting and the raw estimate)', () => {
    expect(new HyperLogLog().estimate()).toBe(0)
    for (const n of [1, 10, 100, 1_000, 20_000, 50_000, 100_000]) {
      const h = new HyperLogLog()
      for (const page of intKeys(0, n)) h.addKeys(page)
      expect(relError(h.estimate(), n), `n = ${n}`).toBeLessThan(n <= 1000 ? 0.01 : 0.025)
    }
  })

  it('round-trips through bytes and rejects foreign bytes, other precisions and bad precision', () => {
    const h = new HyperLogLog(12).addKeys(textKeys(1000))
    expect(HyperLogLog.fromBytes(h.toBytes()).estimate()).toBe(h.estimate())
    expect(() => HyperLogLog.fromBytes(new Uint8Array([9, 14, 0]))).toThrow(expect.objectContaining({ code: 'MAR_SKETCH_INVALID' }))
    expect(() => new HyperLogLog(14).merge(h)).toThrow(expect.objectContaining({ code: 'MAR_SKETCH_MISMATCH' }))
    expect(() => new HyperLogLog(2)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})

describe('KeySet', () => {
  it('returns only keys not seen before (each once, also within one call) and grows past its capacity', () => {
    const set = new KeySet(4)
    const fresh = set.addAll(new Uint32Array([0, 1, 0, 2, 0, 1, 0, 0, 0, 0]))
    expect([...fresh]).toEqual([0, 1, 0, 2, 0, 0]) // (0,0) is a key too
    expect(set.size).toBe(3)
    const many = intKeys(0, 100_000)
    let added = 0
    for (const page of many) added += set.addAll(page).length / 2
    for (const page of many) added += set.addAll(page).length / 2
    expect(added).toBe(100_000)
    expect(set.toKeys().length).toBe(2 * set.size)
    expect(set.has(0, 0) && set.has(0, 2) && !set.has(7, 7)).toBe(true)
  })
})
