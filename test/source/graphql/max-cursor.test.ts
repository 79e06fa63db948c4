import { describe, expect, it } from 'vitest'
import { maxCursor } from '../../../src/source/graphql/max-cursor.js'

describe('maxCursor', () => {
  it('numbers by value, instants by time, integer text exactly beyond 2^53, other text by code units', () => {
    expect(maxCursor(undefined, 5)).toBe(5)
    expect(maxCursor(9, 10)).toBe(10)
    expect(maxCursor('2026-01-02T00:00:00Z', '2026-01-01T23:00:00.000Z')).toBe('2026-01-02T00:00:00Z')
    expect(maxCursor('9', '10')).toBe('10')
    // As doubles these are equal, and the first seen would stay.
    expect(maxCursor('9007199254740992', '9007199254740993')).toBe('9007199254740993')
    expect(maxCursor('12345678901234567891', '12345678901234567890')).toBe('12345678901234567891')
    expect(maxCursor('2.5', '10')).toBe('10')
    expect(maxCursor('b', 'a')).toBe('b')
    expect(maxCursor(3, 'x')).toBe(3) // mixed kinds: keeps what it had
  })
})
