import { describe, expect, it } from 'vitest'
import { DESTINATIONS, selectedDestinations } from './destinations.js'

describe('the destination list and SLUICE_DESTINATIONS', () => {
  it('lists every destination of the library once', () => {
    const names = DESTINATIONS.map((d) => d.name)
    expect(new Set(names).size).toBe(names.length)
    expect(names).toEqual(expect.arrayContaining(['memory', 'sqlite', 'sqlite-thread', 'postgres', 'duckdb', 'files-parquet', 'files-arrow', 'files-ndjson', 'files-csv']))
  })

  it('selects every destination when unset, by name or by family when set', () => {
    expect(selectedDestinations('')).toBe(DESTINATIONS) // not undefined: that reads SLUICE_DESTINATIONS, which a run may set
    expect(selectedDestinations(' ')).toBe(DESTINATIONS)
    expect(selectedDestinations('postgres, memory').map((d) => d.name)).toEqual(['memory', 'postgres'])
    expect(selectedDestinations('files').map((d) => d.name)).toEqual(['files-parquet', 'files-arrow', 'files-ndjson', 'files-csv'])
    expect(selectedDestinations('sqlite-thread,files-csv').map((d) => d.name)).toEqual(['sqlite-thread', 'files-csv'])
  })

  it('an unknown name fails instead of selecting nothing (a typo must not pass CI with no destination tested)', () => {
    expect(() => selectedDestinations('sqlite,postgress')).toThrow(/postgress/)
  })
})
