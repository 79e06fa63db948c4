import { describe, expect, it } from 'vitest'
import { batchFromRows } from '../../src/index.js'
import { toArrow } from '../../src/arrow.js'
import { encodeValue, NO_FIT } from '../../src/core/encode-value.js'
import { formatMicros, parseNaiveMicrosExact, parseUtcMicrosExact } from '../../src/core/temporal.js'

/** Exact epoch µs of `YYYY-MM-DDTHH:MM:SS` (UTC) plus `micros`, computed without sluice's parser. */
const epochMicros = (isoSeconds: string, micros: bigint): bigint => BigInt(new Date(`${isoSeconds}Z`).getTime()) * 1000n + micros

// Outside 1685–2255 epoch microseconds exceed 2^53: as one JS number they round to a multiple of 2..64.
const EDGES = [
  ['9999-12-31T23:59:59', 999_999n],
  ['0001-01-01T00:00:00', 1n],
  ['2300-06-01T12:00:00', 123_457n],
  ['1600-02-29T23:59:59', 999_999n],
] as const

describe('temporal values beyond 2^53 microseconds (years 0001–1685 and 2255–9999)', () => {
  it('NAIVE_DATETIME text past year 2255 was rounded by encodeValue; now kept to the microsecond', () => {
    for (const [s, us] of EDGES) {
      const text = `${s}.${us.toString().padStart(6, '0').replace(/0+$/, '')}`
      expect(encodeValue(text, 'NAIVE_DATETIME')).toBe(text)
      expect(encodeValue(text.replace('T', ' '), 'NAIVE_DATETIME')).toBe(text) // normalised, still exact
    }
    expect(encodeValue('9999-12-31T23:59:59.9999999', 'NAIVE_DATETIME')).toBe('9999-12-31T23:59:59.999999')
  })

  it('UTC_DATETIME with an offset or without a zone past 2255 was rounded; now exact', () => {
    expect(encodeValue('9999-12-31T23:59:59.999999+02:00', 'UTC_DATETIME')).toBe('9999-12-31T21:59:59.999999Z')
    expect(encodeValue('0001-01-01T01:00:00.000001+01:00', 'UTC_DATETIME')).toBe('0001-01-01T00:00:00.000001Z')
    expect(encodeValue('2300-06-01 12:00:00.123457', 'UTC_DATETIME')).toBe('2300-06-01T12:00:00.123457Z')
    expect(encodeValue('9999-12-31T23:59:59.999999Z', 'UTC_DATETIME')).toBe('9999-12-31T23:59:59.999999Z')
  })

  it('NAIVE_DATE keeps the first and last days the types allow', () => {
    expect(encodeValue('0001-01-01', 'NAIVE_DATE')).toBe('0001-01-01')
    expect(encodeValue('9999-12-31', 'NAIVE_DATE')).toBe('9999-12-31')
    const rb = toArrow(batchFromRows([{ d: '0001-01-01' }, { d: '9999-12-31' }], { columns: { d: 'NAIVE_DATE' } }))
    const days = [...(rb.getChild('d')!.data[0]!.values as Int32Array)]
    expect(days).toEqual([new Date('0001-01-01T00:00:00Z').getTime() / 86_400_000, new Date('9999-12-31T00:00:00Z').getTime() / 86_400_000])
  })

  it('a Date past year 9999 no longer encodes as expanded-year text that no temporal type can read', () => {
    const far = new Date(Date.UTC(10000, 0, 1))
    expect(encodeValue(far, 'UTC_DATETIME')).toBe(NO_FIT)
    expect(encodeValue(far, 'NAIVE_DATETIME')).toBe(NO_FIT)
    expect(encodeValue(far, 'NAIVE_DATE')).toBe(NO_FIT)
    expect(batchFromRows([{ at: far }]).toRows()).toEqual([{ at: '+010000-01-01T00:00:00.000Z' }]) // kept as text
    expect(encodeValue(new Date('9999-12-31T23:59:59.999Z'), 'NAIVE_DATETIME')).toBe('9999-12-31T23:59:59.999')
  })

  it('toArrow rounded Timestamp(µs) values outside 1685–2255; now the exact int64, near ones unchanged', () => {
    const rows = [...EDGES, ['2026-11-22T10:11:12', 123_456n], ['1969-12-31T23:59:59', 999_999n]].map(([s, us]) => {
      const frac = `.${us.toString().padStart(6, '0')}`
      return { utc: `${s}${frac}Z`, naive: `${s}${frac}` }
    })
    const rb = toArrow(batchFromRows([...rows, { utc: null, naive: null }], { columns: { naive: 'NAIVE_DATETIME' } }))
    const expected = [...EDGES, ['2026-11-22T10:11:12', 123_456n], ['1969-12-31T23:59:59', 999_999n]].map(([s, us]) => epochMicros(s as string, us as bigint))
    for (const name of ['utc', 'naive']) {
      const values = rb.getChild(name)!.data[0]!.values as BigInt64Array
      expect([...values.subarray(0, expected.length)]).toEqual(expected)
    }
    expect(rb.getChild('utc')!.get(rows.length)).toBeNull()
  })

  it('exact parsers and formatMicros(bigint) round-trip every edge', () => {
    for (const [s, us] of EDGES) {
      const exact = epochMicros(s, us)
      const frac = `.${us.toString().padStart(6, '0')}`
      expect(parseUtcMicrosExact(`${s}${frac}Z`)).toBe(exact)
      expect(parseNaiveMicrosExact(`${s}${frac}`)).toBe(exact)
      expect(formatMicros(exact, 'Z')).toBe(`${s}${frac.replace(/0+$/, '')}Z`)
    }
    expect(parseUtcMicrosExact('2026-02-30T00:00:00Z')).toBeUndefined()
  })
})
