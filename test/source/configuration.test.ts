import { describe, expect, it } from 'vitest'
import { checkConfiguration, configurationInteger } from '../../src/index.js'

describe('configuration helpers (configuration.json holds strings only)', () => {
  it('checkConfiguration names a missing key and a value that is not a string', () => {
    expect(() => checkConfiguration({ a: '1' }, ['a', 'b'])).toThrow(expect.objectContaining({ code: 'CONFIGURATION_KEY', message: expect.stringContaining('"b"') }))
    expect(() => checkConfiguration({ a: 1 }, [])).toThrow(expect.objectContaining({ code: 'CONFIGURATION_KEY', message: expect.stringContaining('"a": "1"') }))
  })

  it('configurationInteger reads a positive integer, takes the fallback when the key is absent, and names the key otherwise', () => {
    expect(configurationInteger({ page_size: '50' }, 'page_size', 100)).toBe(50)
    expect(configurationInteger({}, 'page_size', 100)).toBe(100)
    for (const bad of ['0', '-3', '2.5', 'ten', '', ' ']) {
      expect(() => configurationInteger({ page_size: bad }, 'page_size', 100), bad).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_KEY', context: { key: 'page_size' }, message: `configuration key "page_size" must be a positive integer, got ${JSON.stringify(bad)}` }),
      )
    }
  })
})
