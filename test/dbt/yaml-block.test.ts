import { describe, expect, it } from 'vitest'
import { yamlBlock } from '../../src/dbt/yaml-block.js'
import { parseYamlSubset } from '../support/yaml-subset.js'

describe('yamlBlock', () => {
  it('writes block style: nested mappings, sequences of mappings, scalars after the key', () => {
    expect(yamlBlock({ version: 2, sources: [{ name: 'shop', tables: [{ name: 'orders', tests: ['unique', 'not_null'] }] }] })).toBe(
      ['version: 2', 'sources:', '  - name: shop', '    tables:', '      - name: orders', '        tests:', '          - unique', '          - not_null', ''].join('\n'),
    )
  })

  it('quotes every string a YAML reader would take for something else, and parses back to the same data', () => {
    const tricky = ['yes', 'No', 'null', '~', '', '12', '1e3', 'a: b', '- x', '#x', "it's", 'say "hi"', ' lead', 'tab\there', 'line\nbreak', '{x}', '[1]', '*ref', '&a', '!tag', '%p', '@at', '`b`', 'ünï', 'on', 'true']
    const value = { plain: 'orders_v2', list: tricky, nested: { empty: [], none: {}, n: 1.5, neg: -3, t: true, z: null }, 'key with space': 'x', 'yes': 'key' }
    const text = yamlBlock(value)
    for (const s of tricky) expect(text, s).toContain(JSON.stringify(s))
    expect(parseYamlSubset(text)).toEqual(value)
  })

  it('leaves out keys whose value is undefined', () => {
    expect(yamlBlock({ a: 1, b: undefined, c: [{ d: undefined, e: 'x' }] })).toBe('a: 1\nc:\n  - e: x\n')
  })

  it('(the tests\' parser) throws on YAML outside the emitter\'s subset rather than guessing', () => {
    expect(() => parseYamlSubset('a: b: c\n')).toThrow(/outside the subset/)
    expect(() => parseYamlSubset('a:\n   b: 1\n')).toThrow(/two-space/)
    expect(() => parseYamlSubset('a: 1\na: 2\n')).toThrow(/duplicate key a/)
    expect(() => parseYamlSubset('a: "x" y\n')).toThrow(/after a quoted string/)
  })
})
