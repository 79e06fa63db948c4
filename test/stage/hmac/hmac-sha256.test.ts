import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { columnHmac, type ColumnHmac } from '../../../src/stage/hmac/hmac-sha256.js'

/** The WebAssembly kernel for `key` (the fallback would pass these tests too, and prove nothing about the kernel). */
function kernel(key: Uint8Array): ColumnHmac {
  const hmac = columnHmac(key)
  expect(hmac.midstates).toBeInstanceOf(Int32Array)
  return hmac
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

const reference = (key: Uint8Array, value: string | Uint8Array) => createHmac('sha256', key).update(value).digest('hex')

describe('HmacSha256 (WebAssembly SIMD HMAC-SHA256, four values per lane group)', () => {
  it('equals node:crypto createHmac for every message length 0–300 (one, two and more blocks) and keys shorter, equal and longer than a block', () => {
    for (const keyLength of [1, 16, 55, 64, 65, 200]) {
      const key = bytes(keyLength, keyLength)
      const hmac = kernel(key)
      const messages = Array.from({ length: 301 }, (_, n) => bytes(n, n + 1000))
      const got = hmac.bytes(messages)
      messages.forEach((m, n) => expect(got[n], `key ${keyLength} B, message ${n} B`).toBe(reference(key, m)))
    }
  })

  it('hashes lanes of different lengths side by side: each group mixes one-block, multi-block and empty values', () => {
    const key = Buffer.from('salt-for-the-test')
    const hmac = kernel(key)
    const lengths = [0, 1, 55, 56, 63, 64, 119, 120, 5000, 3, 200, 0, 64, 128, 1000, 7, 2]
    const values = lengths.map((n, i) => bytes(n, i))
    expect(hmac.bytes(values)).toEqual(values.map((v) => reference(key, v)))
  })

  it('hashes UTF-8 text (non-ASCII, emoji), ASCII text, and batches whose size is not a multiple of four', () => {
    const key = Buffer.from('k')
    const hmac = kernel(key)
    for (const texts of [['a@x.io'], ['žluť-🐎@example.com', 'plain', ''], Array.from({ length: 1003 }, (_, i) => `user${i}@example.com`)]) {
      expect(hmac.texts(texts)).toEqual(texts.map((t) => reference(key, t)))
    }
    expect(hmac.texts([])).toEqual([])
  })

  it('grows its memory for a large batch and keeps working for small ones after it', () => {
    const key = Buffer.from('grow')
    const hmac = kernel(key)
    const big = Array.from({ length: 20_000 }, (_, i) => `${'x'.repeat(i % 300)}${i}`)
    expect(hmac.texts(big)).toEqual(big.map((t) => reference(key, t)))
    expect(hmac.texts(['after'])).toEqual([reference(key, 'after')])
    const huge = 'é'.repeat(300_000)
    expect(hmac.texts([huge, 'y'])).toEqual([reference(key, huge), reference(key, 'y')])
  })

  it('keeps instances for different keys apart', () => {
    const a = kernel(Buffer.from('key-a'))
    const b = kernel(Buffer.from('key-b'))
    expect(a.texts(['v'])).toEqual([reference(Buffer.from('key-a'), 'v')])
    expect(b.texts(['v'])).toEqual([reference(Buffer.from('key-b'), 'v')])
    expect(a.texts(['v'])[0]).not.toBe(b.texts(['v'])[0])
  })

  it('falls back to createHmac where WebAssembly is unavailable (node --jitless), with the same digests', () => {
    const script = `
      const { columnHmac } = await import(${JSON.stringify(new URL('../../../src/stage/hmac/hmac-sha256.ts', import.meta.url).href)})
      const hmac = columnHmac(Buffer.from('k'))
      console.log(JSON.stringify({ wasm: typeof WebAssembly, midstates: hmac.midstates === undefined ? 'none' : 'some', texts: hmac.texts(['a@x.io', 'žluť']), bytes: hmac.bytes([new Uint8Array([1, 2])]) }))`
    const child = spawnSync(process.execPath, ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(child.status, child.stderr).toBe(0)
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!)).toEqual({
      wasm: 'undefined',
      midstates: 'none',
      texts: [reference(Buffer.from('k'), 'a@x.io'), reference(Buffer.from('k'), 'žluť')],
      bytes: [reference(Buffer.from('k'), new Uint8Array([1, 2]))],
    })
  }, 60_000)
})
