import { describe, expect, it } from 'vitest'
import { fromIterable } from '../../src/index.js'
import { parseTableSpecs } from '../../src/core/table-spec.js'

describe('parseTableSpecs', () => {
  it('an unknown mode is refused with every valid mode listed, not only the first', () => {
    expect(() => parseTableSpecs([{ table: 'a' }, { table: 't', mode: 'hist' }], 'tables')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: "`tables[1].mode` must be one of upsert, append, replace, history; got 'hist'" }),
    )
    expect(() => fromIterable('t', [], { mode: 3 as never })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: '`fromIterable[0].mode` must be one of upsert, append, replace, history; got 3' }),
    )
  })

  it('every valid mode is accepted as declared', () => {
    const specs = parseTableSpecs(['upsert', 'append', 'replace', 'history'].map((mode, i) => ({ table: `t${i}`, mode })), 'tables')
    expect(specs.map((s) => s.mode)).toEqual(['upsert', 'append', 'replace', 'history'])
  })
})
