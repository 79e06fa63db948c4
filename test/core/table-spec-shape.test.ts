import { describe, expect, it } from 'vitest'
import { parseTableSpecs } from '../../src/core/table-spec.js'

/** The CONFIG_INVALID message `parseTableSpecs` throws for `input`. */
function messageOf(input: unknown, where = 'schema'): string {
  try {
    parseTableSpecs(input, where)
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
    return (error as Error).message
  }
  throw new Error(`accepted ${JSON.stringify(input)}`)
}

describe('parseTableSpecs: the shape of a declaration', () => {
  it('returns the declarations with canonical column types; undefined columns and an empty key are left out', () => {
    expect(parseTableSpecs([
      { table: 'orders', primaryKey: ['id'], columns: { total: 'decimal(12, 2)', note: undefined }, mode: 'append' },
      { table: 'events', primaryKey: [] },
    ])).toEqual([
      { table: 'orders', primaryKey: ['id'], columns: { total: 'DECIMAL(12,2)' }, mode: 'append' },
      { table: 'events' },
    ])
  })

  it('names every problem of a declaration at its path, in one error', () => {
    expect(messageOf([{ tabel: 'orders', primaryKey: ['id', ''], mode: 'append' }])).toBe(
      'schema[0].tabel: is unexpected, expected: "table" | "primaryKey" | "columns" | "mode"; schema[0].table: is missing; schema[0].primaryKey.1: Expected a non empty string, actual ""',
    )
    expect(messageOf([{ table: ' orders' }], 'streams')).toBe('streams[0].table: Expected a string with no leading or trailing whitespace, actual " orders"')
    expect(messageOf([{ table: 't', primaryKey: 'id' }])).toBe('schema[0].primaryKey: Expected ReadonlyArray<NonEmptyString>, actual "id"')
    expect(messageOf([{ table: 't', columns: { total: 1 } }])).toBe('schema[0].columns.total: Expected string, actual 1')
    expect(messageOf([{ table: 't', columns: { total: 'MONEY' } }])).toMatch(/^schema\[0\]\.columns\.total: unknown column type "MONEY"/)
    expect(messageOf('orders')).toMatch(/^schema: Expected ReadonlyArray<\{ readonly table: NonEmptyTrimmedString; .*\}>, actual "orders"$/)
    expect(messageOf([null])).toMatch(/^schema\[0\]: Expected \{ readonly table: NonEmptyTrimmedString; .*\}, actual null$/)
  })

  it('refuses columns given as an array (["INT"] was accepted as a column named "0")', () => {
    expect(messageOf([{ table: 't', columns: ['INT'] }])).toBe('schema[0].columns: Expected { readonly [x: NonEmptyString]: string }, actual ["INT"]')
  })

  it('refuses a table declared twice, naming it', () => {
    expect(messageOf([{ table: 't' }, { table: 't' }], 'connector c schema()')).toBe('connector c schema(): table "t" is declared twice; declare each table once')
  })
})
