import { hash } from 'node:crypto'
import stableStringify from 'fast-json-stable-stringify'
import { describe, expect, it } from 'vitest'
import { Batch, isNull, valueAt, type Column } from '../../../src/core/batch.js'
import { batchFromRows } from '../../../src/core/batch-from-rows.js'
import { baseType } from '../../../src/core/column-type.js'
import { rowHashes } from '../../../src/core/row-hash.js'

/** The row hash as every earlier version computed it: the row as an object, through fast-json-stable-stringify. */
function referenceHashes(batch: Batch): string[] {
  return Array.from({ length: batch.length }, (_, i) => {
    const row: Record<string, unknown> = {}
    for (const c of batch.columns) {
      const v = baseType(c.type) === 'JSON' && !isNull(c, i) ? JSON.parse((c.values as string[])[i]!) : valueAt(c, i)
      if (v === null) continue
      row[c.name] = typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v
    }
    return hash('sha256', stableStringify(row), 'hex')
  })
}

describe('rowHashes matches the ids stored by earlier versions', () => {
  it('for every type, NULLs, JSON values (nested, null, scalar), odd and numeric-looking column names', () => {
    const rows = [
      { id: 1, s: 'x"y\\z\u2028', b: true, f: 0.1, big: 2n ** 60n, small: -3, bytes: new Uint8Array([0, 1, 255]), doc: { z: [1, { b: null, a: 'é' }], a: 2 }, '10': 'ten', '9': 'nine', Ünï: 'u', 'a b': null },
      { id: 2, s: '', b: false, f: -0, big: 5n, doc: 'plain', '10': null, '__proto__': 'p' },
      { id: 3, f: 1e21, doc: null, big: -(2n ** 63n) },
      { id: 4, f: Number.NaN, s: '🐎', doc: [null, 1.5, 'x'] },
      // Strings JSON.stringify escapes (a lone surrogate, a control character, DEL and U+2028 it doesn't) next to plain ones.
      { id: 5, s: 'lone \ud83d', t: 'bell\u0007', u: 'del\u007f', v: 'plain text', w: 'tab\there' },
      { id: 6, s: '\udc00 low', t: 'quote " end', u: '', v: '\u2029', w: 'back\\slash' },
      {},
    ]
    const batch = batchFromRows(rows)
    expect(rowHashes(batch)).toEqual(referenceHashes(batch))
  })

  it('for random rows of random columns', () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const names = ['a', 'B', 'b', '_c', 'z9', '9z', 'ä', 'x y']
    const value = () => {
      const r = rand()
      return r < 0.15 ? null : r < 0.35 ? Math.floor(rand() * 1e6) - 5e5 : r < 0.5 ? rand() * 100 : r < 0.7 ? `s${Math.floor(rand() * 1000)}` : r < 0.8 ? rand() < 0.5 : r < 0.9 ? { k: Math.floor(rand() * 10), j: [rand() < 0.5] } : `${new Date(1.7e12 + Math.floor(rand() * 1e10)).toISOString()}`
    }
    for (let round = 0; round < 20; round++) {
      const rows = Array.from({ length: 50 }, () => Object.fromEntries(names.filter(() => rand() < 0.7).map((n) => [n, value()])))
      const batch = batchFromRows(rows)
      expect(rowHashes(batch)).toEqual(referenceHashes(batch))
    }
  })

  it('for JSON text as an API sends it: stable, unsorted, spaced, escaped, exponents, null', () => {
    const texts = ['{"a":1,"b":[2,"x"]}', '{"b":1,"a":2}', '[1, 2]', 'null', '1.50', '"\\u0041"', '{"k":1e2,"j":[true]}', '["a","b"]', '0.1', '{}']
    const col: Column = { name: 'doc', type: 'JSON', values: texts, validity: undefined, nullCount: 0 }
    const batch = new Batch([col], texts.length)
    expect(rowHashes(batch)).toEqual(referenceHashes(batch))
  })

  it('for a column built by hand with a validity bitmap', () => {
    const col: Column = { name: 'n', type: 'INT', values: new Int32Array([1, 0, 3]), validity: new Uint8Array([0b101]), nullCount: 1 }
    const batch = new Batch([col], 3)
    expect(rowHashes(batch)).toEqual(referenceHashes(batch))
  })
})
