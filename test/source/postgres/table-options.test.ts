import { describe, expect, it } from 'vitest'
import { parseTables } from '../../../src/source/sql/table-options.js'

/** The CONFIG_INVALID message `parseTables` throws for `tables`. */
function messageOf(tables: unknown): string {
  try {
    parseTables(tables, 'postgresSource')
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
    return (error as Error).message
  }
  throw new Error(`accepted ${JSON.stringify(tables)}`)
}

describe('parseTables (database source tables)', () => {
  it('takes names and objects; lookback as written; the selection as a predicate', () => {
    const [a, b] = parseTables(['a', { table: 'b', cursor: 'at', primaryKey: ['id'], lookback: '5m', columns: { exclude: ['secret'] } }], 'postgresSource')
    expect(a).toMatchObject({ table: 'a', cursor: undefined, primaryKey: undefined, lookback: { value: 0, text: false }, named: [] })
    expect(b).toMatchObject({ table: 'b', cursor: 'at', primaryKey: ['id'], lookback: { value: 300_000, text: true }, named: ['secret'] })
    expect([b!.include('secret'), b!.include('id')]).toEqual([false, true])
  })

  it('names every problem of an entry at its path', () => {
    expect(messageOf([{ table: '', cursor: 5, extra: 1 }])).toBe(
      'postgresSource.tables[0].extra: is unexpected, expected: "table" | "cursor" | "primaryKey" | "lookback" | "columns"; postgresSource.tables[0].table: Expected a non empty string, actual ""; postgresSource.tables[0].cursor: Expected string, actual 5',
    )
    expect(messageOf(['t', { table: 't', columns: { include: ['id', ''] } }])).toBe('postgresSource.tables[1].columns.include.1: Expected a non empty string, actual ""')
    expect(messageOf([{ table: 't', primaryKey: [] }])).toBe('postgresSource.tables[0].primaryKey: Expected a non-empty array of column names, actual []')
    expect(messageOf([{ table: 't', columns: { include: [] } }])).toBe('postgresSource.tables[0].columns.include: Expected at least one column, actual []; leave `columns` out to read every column')
  })

  it('a lookback of the wrong type says number | string (it said "Expected number")', () => {
    expect(messageOf([{ table: 't', lookback: true }])).toBe('postgresSource.tables[0].lookback: Expected number | string, actual true')
  })

  it('a selection with both include and exclude, or neither, names the two shapes', () => {
    const shapes = '{ readonly include: readonly [NonEmptyString, ...NonEmptyString[]] } | { readonly exclude: ReadonlyArray<NonEmptyString> }'
    expect(messageOf([{ table: 't', columns: { include: ['a'], exclude: ['b'] } }])).toBe(`postgresSource.tables[0].columns: Expected ${shapes}, actual {"include":["a"],"exclude":["b"]}`)
    expect(messageOf([{ table: 't', columns: {} }])).toBe(`postgresSource.tables[0].columns: Expected ${shapes}, actual {}`)
  })

  it('refuses a table listed twice', () => {
    expect(messageOf(['t', { table: 't' }])).toBe('postgresSource.tables[1]: table "t" is listed twice')
  })
})
