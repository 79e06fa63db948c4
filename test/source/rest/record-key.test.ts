import { describe, expect, it } from 'vitest'
import { recordKey } from '../../../src/source/rest/rest-event.js'

describe('recordKey (boundary de-duplication key of a REST record)', () => {
  it('keeps a bigint key exact instead of throwing, and tells keys one apart beyond 2^53', () => {
    const one = recordKey({ primaryKey: ['id'] } as never)!
    expect(one({ id: 9007199254740993n })).toBe('9007199254740993')
    expect(one({ id: 9007199254740993n })).not.toBe(one({ id: 9007199254740992n }))
    expect(one({ id: 7 })).toBe('7')
    expect(one({})).toBe('null')
    const two = recordKey({ primaryKey: ['a', 'b'] } as never)!
    expect(two({ a: 1n, b: 'x' })).toBe('[1,"x"]')
  })
})
