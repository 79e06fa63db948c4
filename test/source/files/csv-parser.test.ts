import { describe, expect, it } from 'vitest'
import { CsvParser, type CsvRecord } from '../../../src/codec/csv-parser.js'

/** Parses `text` fed in chunks of `size` characters. */
function parse(text: string, size = text.length): CsvRecord[] {
  const parser = new CsvParser()
  const out: CsvRecord[] = []
  for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)))
  return [...out, ...parser.end()]
}

const TRICKY = '\ufeffid,note,empty,null\r\n1,"a, ""quoted""\r\nsecond line\nthird",,""\n2,"ends with CR\r",x,\r3,plain,"",y'
const EXPECTED: CsvRecord[] = [
  ['id', 'note', 'empty', 'null'],
  ['1', 'a, "quoted"\r\nsecond line\nthird', null, ''],
  ['2', 'ends with CR\r', 'x', null],
  ['3', 'plain', '', 'y'],
]

describe('CsvParser (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes, CR and LF inside; CRLF, LF and CR end records; drops a BOM', () => {
    expect(parse(TRICKY)).toEqual(EXPECTED)
  })

  it('gives the same records whatever the chunk boundaries (inside quotes, between CR and LF, inside "")', () => {
    for (let size = 1; size <= 12; size++) expect(parse(TRICKY, size), `chunks of ${size}`).toEqual(EXPECTED)
  })

  it('tells NULL (empty unquoted) from the empty string (quoted ""), including at the end of a record and of the file', () => {
    expect(parse(',""\n"",\n,')).toEqual([[null, ''], ['', null], [null, null]])
  })

  it('keeps spaces and an unterminated last record', () => {
    expect(parse(' a , b \nc')).toEqual([[' a ', ' b '], ['c']])
  })

  it('reports a quoted field left open at the end of the file, with its line', () => {
    expect(() => parse('a,b\n1,"open\nstill open')).toThrow(expect.objectContaining({ code: 'FILE_PARSE', message: expect.stringContaining('not closed') }))
  })

  it('reports a quote inside an unquoted field and text after a closing quote, with the line number', () => {
    expect(() => parse('a,b\n1,2\n3,x"y')).toThrow(expect.objectContaining({ code: 'FILE_PARSE', context: { line: 3 } }))
    expect(() => parse('a\n"x"y')).toThrow(expect.objectContaining({ code: 'FILE_PARSE', message: expect.stringContaining('after a closing quote') }))
  })

  it('counts lines inside quoted fields, so errors name the right line', () => {
    expect(() => parse('a,b\n"1\n2\n3",x\n4,5"')).toThrow(expect.objectContaining({ context: { line: 5 } }))
  })

  it('supports another delimiter and refuses one that cannot work', () => {
    const p = new CsvParser({ delimiter: ';' })
    expect([...p.push('a;"b;c"\n'), ...p.end()]).toEqual([['a', 'b;c']])
    expect(() => new CsvParser({ delimiter: '"' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('reports the line each record starts on', () => {
    const p = new CsvParser()
    const lines: number[] = []
    p.push('h\n"a\nb"\nc\n', lines)
    expect(lines).toEqual([1, 2, 4])
  })
})
