import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HmacSha256 } from '../../../src/stage/hmac/hmac-sha256.js'

/** Deterministic bytes: the test needs variety, not secrecy. */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n)
  let x = seed * 2654435761 + 1
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const reference = (key: Uint8Array, value: string | Uint8Array) => createHmac('sha256', key).update(value).digest('hex')

describe('HmacSha256 (WebAssembly SIMD HMAC-SHA256, four values per lane group)', () => {
  it('equals node:crypto createHmac for every message length 0–300 (one, two and more blocks) and keys shorter, equal and longer than a block', () => {
    for (const keyLength of [1, 16, 55, 64, 65, 200]) {
      const key = bytes(keyLength, keyLength)
      const hmac = new HmacSha256(key)
      const messages = Array.from({ length: 301 }, (_, n) => bytes(n, n + 1000))
      const got = hmac.bytes(messages)
      messages.forEach((m, n) => expect(got[n], `key ${keyLength} B, message ${n} B`).toBe(reference(key, m)))
    }
  })

  it('hashes lanes of different lengths side by side: each group mixes one-block, multi-block and empty values', () => {
    const key = Buffer.from('salt-for-the-test')
    const hmac = new HmacSha256(key)
    const lengths = [0, 1, 55, 56, 63, 64, 119, 120, 5000, 3, 200, 0, 64, 128, 1000, 7, 2]
    const values = lengths.map((n, i) => bytes(n, i))
    expect(hmac.bytes(values)).toEqual(values.map((v) => reference(key, v)))
  })

  it('hashes UTF-8 text (non-ASCII, emoji), ASCII text, and batches whose size is not a multiple of four', () => {
    const key = Buffer.from('k')
    const hmac = new HmacSha256(key)
    for (const texts of [['a@x.io'], ['žluť-🐎@example.com', 'plain', ''], Array.from({ length: 1003 }, (_, i) => `user${i}@example.com`)]) {
      expect(hmac.texts(texts)).toEqual(texts.map((t) => reference(key, t)))
    }
    expect(hmac.texts([])).toEqual([])
  })

  it('grows its memory for a large batch and keeps working for small ones after it', () => {
    const key = Buffer.from('grow')
    const hmac = new HmacSha256(key)
    const big = Array.from({ length: 20_000 }, (_, i) => `${'x'.repeat(i % 300)}${i}`)
    expect(hmac.texts(big)).toEqual(big.map((t) => reference(key, t)))
    expect(hmac.texts(['after'])).toEqual([reference(key, 'after')])
    const huge = 'é'.repeat(300_000)
    expect(hmac.texts([huge, 'y'])).toEqual([reference(key, huge), reference(key, 'y')])
  })

  it('keeps instances for different keys apart', () => {
    const a = new HmacSha256(Buffer.from('key-a'))
    const b = new HmacSha256(Buffer.from('key-b'))
    expect(a.texts(['v'])).toEqual([reference(Buffer.from('key-a'), 'v')])
    expect(b.texts(['v'])).toEqual([reference(Buffer.from('key-b'), 'v')])
    expect(a.texts(['v'])[0]).not.toBe(b.texts(['v'])[0])
  })
})
