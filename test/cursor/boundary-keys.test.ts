import { describe, expect, it } from 'vitest'
import { BoundaryKeys } from '../../src/cursor/boundary-keys.js'

const make = (cap: number, start?: ConstructorParameters<typeof BoundaryKeys<string>>[0]['start']) =>
  new BoundaryKeys<string>({ cap, keyOf: (k) => k, ...(start ? { start } : {}) })

describe('BoundaryKeys', () => {
  it('keeps the keys of the rows at the highest value only', () => {
    const b = make(10)
    b.observe(1, 1, 'a')
    b.observe(2, 2, 'b')
    b.observe(2, 2, 'c')
    b.observe(1, 1, 'd')
    expect(b.value).toBe(2)
    expect(b.keys).toEqual(['b', 'c'])
    expect(b.has(2, 'b')).toBe(true)
    expect(b.has(1, 'a')).toBe(false)
  })

  it('builds keys only for rows at the boundary, and only when asked', () => {
    const built: string[] = []
    const b = new BoundaryKeys<string>({ cap: 10, keyOf: (k) => (built.push(k), k), start: { key: 5, value: 5, keys: ['x'] } })
    b.observe(4, 4, 'below')
    b.observe(6, 6, 'replaced')
    b.observe(7, 7, 'kept')
    expect(built).toEqual([])
    expect(b.keys).toEqual(['kept'])
    expect(built).toEqual(['kept'])
  })

  it('holds at most cap unkeyed rows between checkpoints', () => {
    const b = make(3)
    for (const k of ['a', 'b', 'c', 'd']) b.observe(1, 1, k) // the 4th forces keying: over the cap
    expect(b.keys).toBeUndefined()
  })

  it('past the cap forgets the keys and never claims to have seen a row (rows are re-emitted, not dropped)', () => {
    const b = make(3)
    for (const k of ['a', 'b', 'c']) b.observe(7, 7, k)
    expect(b.keys).toEqual(['a', 'b', 'c'])
    b.observe(7, 7, 'a') // the same key again is not a new one
    expect(b.keys).toHaveLength(3)
    b.observe(7, 7, 'd')
    expect(b.keys).toBeUndefined()
    expect(b.has(7, 'a')).toBe(false)
    // A higher value starts a fresh, complete memory.
    b.observe(8, 8, 'e')
    expect(b.keys).toEqual(['e'])
  })

  it('resumes from saved keys, incomplete when none were saved', () => {
    expect(make(5, { key: 'k', value: 'v', keys: ['1'] }).has('k', '1')).toBe(true)
    const incomplete = make(5, { key: 'k', value: 'v', keys: undefined })
    expect(incomplete.has('k', '1')).toBe(false)
    expect(incomplete.keys).toBeUndefined()
  })

  it('without a primary key nothing can be de-duplicated', () => {
    const b = new BoundaryKeys<string>({ cap: 5, keyOf: () => undefined })
    b.observe(1, 1, 'row')
    expect(b.keys).toBeUndefined()
  })
})
