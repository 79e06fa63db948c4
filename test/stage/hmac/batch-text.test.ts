import { describe, expect, it } from 'vitest'
import { readHexDigests, writeUtf8 } from '../../../src/stage/hmac/batch-text.js'

describe('writeUtf8 / readHexDigests (a column in and out of bytes, in chunks)', () => {
  it('writes every value and its end offset across chunk boundaries, with ASCII chunks, non-ASCII chunks and one value longer than a chunk', () => {
    const texts = [
      ...Array.from({ length: 3000 }, (_, i) => `user${i}@example.com`),
      'žluťoučký kůň 🐎',
      ...Array.from({ length: 3000 }, (_, i) => `ünï-${i}`),
      'x'.repeat(100_000),
      '',
      'end',
    ]
    let target = Buffer.alloc(16)
    let grown = 0
    const offsets = new Int32Array(texts.length + 1).fill(-1)
    const bytes = writeUtf8(texts, 10, offsets, (end) => {
      if (end > target.length) {
        const next = Buffer.alloc(end)
        target.copy(next)
        target = next
        grown++
      }
      return target
    })
    expect(grown).toBeGreaterThan(1)
    expect(bytes).toBe(Buffer.byteLength(texts.join(''), 'utf8'))
    expect(offsets[0]).toBe(0)
    texts.forEach((t, i) => expect(target.toString('utf8', 10 + offsets[i]!, 10 + offsets[i + 1]!)).toBe(t))
  })

  it('reads n digests of 64 hex digits from an offset, across decode chunks', () => {
    const n = 2500
    const digests = Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, 'a'))
    const bytes = Buffer.from(`zz${digests.join('')}`, 'latin1')
    expect(readHexDigests(bytes, 2, n)).toEqual(digests)
    expect(readHexDigests(bytes, 2, 0)).toEqual([])
  })
})
