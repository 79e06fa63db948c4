import { describe, expect, it } from 'vitest'
import { compareKeys, cursorKey, cursorTypeOf, parseTimestamp, shiftCursor } from '../../src/cursor/cursor-value.js'

const ts = (text: string) => cursorKey(text, 'timestamp', 'test')

describe('timestamp cursor values', () => {
  it('compares instants across offsets, not text', () => {
    // 00:30+02:00 is 22:30Z the day before: text order would say it is later.
    expect(ts('2026-01-01T02:00:00+02:00')).toBe(ts('2026-01-01T00:00:00Z'))
    expect(compareKeys(ts('2026-01-01T00:30:00+02:00'), ts('2025-12-31T23:00:00Z'))).toBe(-1)
    expect(compareKeys(ts('2026-01-01T00:00:00-05:00'), ts('2026-01-01T04:59:59Z'))).toBe(1)
  })

  it('keeps microsecond and nanosecond precision that Date would drop', () => {
    expect(compareKeys(ts('2026-01-01T00:00:00.000001Z'), ts('2026-01-01T00:00:00Z'))).toBe(1)
    expect(compareKeys(ts('2026-01-01T00:00:00.123456Z'), ts('2026-01-01T00:00:00.123457Z'))).toBe(-1)
    expect(compareKeys(ts('2026-01-01T00:00:00.1234567Z'), ts('2026-01-01T00:00:00.123456Z'))).toBe(1)
    expect(ts('2026-01-01T00:00:00.5Z')).toBe(ts('2026-01-01T00:00:00.500000Z'))
  })

  it('orders a whole-second value before a fractional one of the same second (text order would not)', () => {
    // As text, 'Z' (0x5A) sorts after '.' (0x2E): 00:00:00Z > 00:00:00.5Z, which is wrong.
    expect('2026-01-01T00:00:00Z' > '2026-01-01T00:00:00.5Z').toBe(true)
    expect(compareKeys(ts('2026-01-01T00:00:00Z'), ts('2026-01-01T00:00:00.5Z'))).toBe(-1)
  })

  it('reads space separators, compact offsets, dates and zone-less values (as UTC)', () => {
    expect(ts('2026-01-01 00:00:00Z')).toBe(ts('2026-01-01T00:00:00Z'))
    expect(ts('2026-01-01T01:00:00+0100')).toBe(ts('2026-01-01T00:00:00Z'))
    expect(ts('2026-01-01')).toBe(ts('2026-01-01T00:00:00Z'))
    expect(ts('2026-01-01T00:00:00')).toBe(ts('2026-01-01T00:00:00Z'))
    expect(parseTimestamp('2026-13-01T00:00:00Z')).toBeUndefined()
    expect(parseTimestamp('yesterday')).toBeUndefined()
  })

  it('rejects text that is not a timestamp with CURSOR_INVALID naming where', () => {
    expect(() => cursorKey('soon', 'timestamp', 'orders.updated_at')).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID', message: expect.stringContaining('orders.updated_at') }))
    expect(() => cursorKey(5, 'timestamp', 'x')).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }))
  })
})

describe('number and string cursor values', () => {
  it('compares numbers numerically, numeric text included', () => {
    expect(compareKeys(cursorKey(9, 'number', 'x'), cursorKey(10, 'number', 'x'))).toBe(-1)
    expect(compareKeys(cursorKey('9', 'number', 'x'), cursorKey('10', 'number', 'x'))).toBe(-1)
    expect(() => cursorKey('ten', 'number', 'x')).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }))
  })

  it('keeps integers beyond 2^53 exact, as bigints or as digits (9007199254740993 is not …992)', () => {
    const big = (v: unknown) => cursorKey(v, 'number', 'x')
    expect(compareKeys(big('9007199254740993'), big('9007199254740992'))).toBe(1)
    expect(compareKeys(big(9007199254740993n), big('9007199254740992'))).toBe(1)
    expect(compareKeys(big('12345678901234567890'), big(1e19))).toBe(1) // a bigint against a double, exactly
    expect(big('9007199254740993') === big(9007199254740993n)).toBe(true) // the same value gets the same kind of key
    expect(big(5n)).toBe(5)
    expect(big(' 42 ')).toBe(42)
    expect(big('1.5')).toBe(1.5)
    expect(shiftCursor('9007199254740993', 'number', 2)).toBe('9007199254740991')
  })

  it('compares strings by code units', () => {
    expect(compareKeys(cursorKey('b', 'string', 'x'), cursorKey('a', 'string', 'x'))).toBe(1)
    expect(compareKeys(cursorKey('10', 'string', 'x'), cursorKey('9', 'string', 'x'))).toBe(-1)
  })

  it('infers the type from a value', () => {
    expect(cursorTypeOf(3)).toBe('number')
    expect(cursorTypeOf('2026-01-01T00:00:00Z')).toBe('timestamp')
    expect(cursorTypeOf('v-17')).toBe('string')
    expect(cursorTypeOf({})).toBeUndefined()
  })
})

describe('shiftCursor (lookback)', () => {
  it('moves a timestamp back and writes it in the same shape, sub-millisecond digits kept', () => {
    expect(shiftCursor('2026-01-01T00:05:00.123456Z', 'timestamp', 300_000)).toBe('2026-01-01T00:00:00.123456Z')
    expect(shiftCursor('2026-01-01T00:05:00Z', 'timestamp', 300_000)).toBe('2026-01-01T00:00:00Z')
    expect(shiftCursor('2026-01-01 00:05:00', 'timestamp', 60_000)).toBe('2026-01-01 00:04:00')
    expect(shiftCursor('2026-01-02', 'timestamp', 86_400_000)).toBe('2026-01-01')
  })

  it('writes an offset value back in UTC, the same instant shifted', () => {
    const shifted = shiftCursor('2026-01-01T02:05:00.000001+02:00', 'timestamp', 300_000)
    expect(shifted).toBe('2026-01-01T00:00:00.000001Z')
  })

  it('subtracts cursor units from numbers and refuses strings', () => {
    expect(shiftCursor(100, 'number', 25)).toBe(75)
    expect(() => shiftCursor('abc', 'string', 5)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})
