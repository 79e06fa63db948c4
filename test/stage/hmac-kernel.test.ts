import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hmacKernel } from '../../src/stage/hmac-kernel.js'
import { padsOf } from '../../src/stage/hmac-sha256.js'

const pads = (key: Buffer): [Uint8Array, Uint8Array] => {
  const { ipad, opad } = padsOf(key)
  return [ipad, opad]
}

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

describe('hmacKernel (JavaScript HMAC-SHA256 from midstates)', () => {
  it('equals node:crypto createHmac for every message length 0–300 (one, two and more blocks) and keys shorter, equal and longer than a block', () => {
    for (const keyLength of [1, 16, 55, 64, 65, 200]) {
      const key = bytes(keyLength, keyLength)
      const hmac = hmacKernel(...pads(key))
      for (let n = 0; n <= 300; n++) {
        const message = bytes(n, n + 1000)
        const out = Buffer.alloc(48)
        hmac(message, 0, n, out, 8)
        expect(out.subarray(8, 40).toString('hex'), `key ${keyLength} B, message ${n} B`).toBe(createHmac('sha256', key).update(message).digest('hex'))
        expect(out.subarray(0, 8).every((b) => b === 0) && out.subarray(40).every((b) => b === 0)).toBe(true)
      }
    }
  })

  it('hashes a slice of a larger buffer, and a long value after short ones (its block buffer grows)', () => {
    const key = Buffer.from('salt-for-the-test')
    const hmac = hmacKernel(...pads(key))
    const values = ['a@x.io', 'žluť-🐎@example.com', 'x'.repeat(5000), '']
    const data = Buffer.from(values.join(''))
    const out = Buffer.alloc(32 * values.length)
    let at = 0
    values.forEach((v, i) => {
      const len = Buffer.byteLength(v)
      hmac(data, at, at + len, out, 32 * i)
      at += len
    })
    values.forEach((v, i) => expect(out.subarray(32 * i, 32 * i + 32).toString('hex')).toBe(createHmac('sha256', key).update(v).digest('hex')))
  })
})
