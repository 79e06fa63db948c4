import { Schema } from 'effect'
import { describe, expect, it } from 'vitest'
import { decodeConfig } from '../../src/index.js'

describe('decodeConfig', () => {
  const Offset = Schema.Struct({ limit: Schema.Number.pipe(Schema.positive()), param: Schema.optional(Schema.NonEmptyString) })

  it('returns the decoded value of a schema built with the caller\'s effect', () => {
    expect(decodeConfig(Schema.Struct({ n: Schema.NumberFromString }), { n: '5' }, 'opts')).toEqual({ n: 5 })
  })

  it('throws one CONFIG_INVALID listing every offending path, excess keys included', () => {
    expect(() => decodeConfig(Offset, { limit: 0, param: '', extra: 1 }, 'offset')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: 'offset.extra: is unexpected, expected: "limit" | "param"; offset.limit: Expected a positive number, actual 0; offset.param: Expected a non empty string, actual ""',
        context: expect.objectContaining({ option: 'offset' }),
      }),
    )
    expect(() => decodeConfig(Offset, 'x', 'offset')).toThrow(/^offset: Expected \{ readonly limit: positive; readonly param\?: NonEmptyString \| undefined \}, actual "x"$/)
  })
})
