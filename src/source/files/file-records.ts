import { createReadStream } from 'node:fs'
import { TextDecoder } from 'node:util'
import type { Row } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import { SluiceError } from '../../core/sluice-error.js'
import { CsvParser, type CsvRecord } from '../../codec/csv-parser.js'
import { JsonArraySplitter } from './json-array-splitter.js'
import { parquetRows } from '../../codec/parquet-rows.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'

/** Formats `fileSource` reads. */
export type SourceFormat = 'csv' | 'ndjson' | 'json' | 'parquet'

/** CSV reading options. */
export interface CsvOptions {
  /** Field separator (default `,`). */
  readonly delimiter?: string
  /** The first record names the columns (default true); without it columns are `column_1`, `column_2`, … */
  readonly header?: boolean
  /**
   * Undeclared columns get numbers and booleans from text that round-trips exactly (`12`, `-3.5`,
   * `true`; not `007` or `1.50`), everything else stays text (default true). Declared column types
   * always apply.
   */
  readonly inferTypes?: boolean
}

/** What a format reader yields: the file's column types (Parquet), a data record, or a record it could not read. */
export type FileItem =
  | { readonly kind: 'types'; readonly types: Record<string, ColumnType> }
  | { readonly kind: 'row'; readonly row: Row }
  | { readonly kind: 'bad'; readonly message: string; readonly line: number; readonly text: string }

/** Bytes read from disk at a time: memory stays this plus one batch of rows. */
const CHUNK_BYTES = 1 << 20

/**
 * The records of one file, streamed in bounded memory. Errors that leave the rest of the file
 * unreadable (a broken CSV quote, a truncated Parquet footer, invalid UTF-8, a JSON file that is
 * not an array) throw `FILE_PARSE`; a single bad NDJSON line or JSON element is yielded as `bad`
 * and reading goes on.
 */
export function fileRecords(path: string, format: SourceFormat, signal: AbortSignal, csv: CsvOptions, declared: Readonly<Record<string, ColumnType>>): AsyncGenerator<FileItem> {
  switch (format) {
    case 'csv':
      return csvRecords(path, signal, csv, declared)
    case 'ndjson':
      return ndjsonRecords(path, signal)
    case 'json':
      return jsonRecords(path, signal)
    case 'parquet':
      return parquetRecords(path, signal)
  }
}

/** The file as text chunks, decoded as UTF-8 (invalid bytes are an error, never silently replaced). */
async function* textChunks(path: string, signal: AbortSignal): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES, signal })
  try {
    for await (const chunk of stream) yield decode(decoder, chunk as Buffer, true)
    const tail = decode(decoder, undefined, false)
    if (tail) yield tail
  } finally {
    stream.destroy()
  }
}

function decode(decoder: TextDecoder, chunk: Buffer | undefined, stream: boolean): string {
  try {
    return decoder.decode(chunk, { stream })
  } catch (cause) {
    throw new SluiceError({ code: 'FILE_PARSE', message: 'the file is not valid UTF-8 text', cause })
  }
}

async function* csvRecords(path: string, signal: AbortSignal, options: CsvOptions, declared: Readonly<Record<string, ColumnType>>): AsyncGenerator<FileItem> {
  const parser = new CsvParser(options.delimiter === undefined ? {} : { delimiter: options.delimiter })
  const infer = options.inferTypes ?? true
  let names: string[] | undefined = options.header === false ? [] : undefined
  let convert: ((text: string | null) => unknown)[] = []
  const toRow = (record: CsvRecord, line: number): FileItem | undefined => {
    if (record.length === 1 && record[0] === null) return undefined // a blank line
    if (names === undefined) {
      names = uniqueNames(record)
      convert = names.map((n) => fieldConverter(declared[n], infer, n))
      return undefined
    }
    if (options.header === false && record.length > names.length) {
      for (let i = names.length; i < record.length; i++) names.push(`column_${i + 1}`)
      convert = names.map((n) => fieldConverter(declared[n], infer, n))
    }
    if (record.length > names.length) {
      return { kind: 'bad', line, text: record.join(','), message: `CSV line ${line}: ${record.length} fields, the header has ${names.length}` }
    }
    const row: Row = {}
    for (let i = 0; i < names.length; i++) row[names[i]!] = convert[i]!(i < record.length ? record[i]! : null)
    return { kind: 'row', row }
  }
  const lines: number[] = []
  for await (const text of textChunks(path, signal)) {
    lines.length = 0
    const records = parser.push(text, lines)
    for (let r = 0; r < records.length; r++) {
      const item = toRow(records[r]!, lines[r]!)
      if (item) yield item
    }
  }
  lines.length = 0
  for (const record of parser.end(lines)) {
    const item = toRow(record, lines[0]!)
    if (item) yield item
  }
}

/** Header names made usable: an empty one becomes `column_<n>`, a repeated one gets `_2`, `_3`, … */
function uniqueNames(record: CsvRecord): string[] {
  const seen = new Set<string>()
  return record.map((field, i) => {
    let name = field === null || field.trim() === '' ? `column_${i + 1}` : field
    for (let k = 2; seen.has(name); k++) name = `${field}_${k}`
    seen.add(name)
    return name
  })
}

const INTEGER = /^-?(?:0|[1-9]\d*)$/
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/

/** How a CSV field becomes a value: declared JSON and BINARY are decoded, numbers inferred when asked. */
function fieldConverter(type: ColumnType | undefined, infer: boolean, name: string): (text: string | null) => unknown {
  if (type === 'JSON') return (t) => (t === null ? null : jsonField(t, name))
  if (type === 'BINARY') return (t) => (t === null ? null : new Uint8Array(Buffer.from(t, 'base64')))
  if (type !== undefined || !infer) return (t) => t
  return (t) => {
    if (t === null || t === '') return t
    if (t === 'true' || t === 'false') return t === 'true'
    if (INTEGER.test(t)) {
      const n = Number(t)
      return Number.isSafeInteger(n) ? n : BigInt(t)
    }
    if (NUMBER.test(t)) {
      const n = Number(t)
      if (String(n) === t) return n
    }
    return t
  }
}

async function* ndjsonRecords(path: string, signal: AbortSignal): AsyncGenerator<FileItem> {
  let pending = ''
  let line = 0
  const parse = (text: string): FileItem | undefined => {
    line++
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text
    if (trimmed.trim() === '') return undefined
    return element(trimmed, line, `NDJSON line ${line}`)
  }
  for await (const text of textChunks(path, signal)) {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const item = parse(pending + text.slice(start, nl))
      pending = ''
      start = nl + 1
      if (item) yield item
    }
    pending += text.slice(start)
  }
  if (pending !== '') {
    const item = parse(pending)
    if (item) yield item
  }
}

async function* jsonRecords(path: string, signal: AbortSignal): AsyncGenerator<FileItem> {
  const splitter = new JsonArraySplitter()
  let index = 0
  for await (const text of textChunks(path, signal)) {
    for (const part of splitter.push(text)) {
      index++
      yield element(part, index, `JSON element ${index}`)
    }
  }
  splitter.end()
}

/** One JSON object as a row, or a `bad` item saying why not. */
function element(text: string, line: number, where: string): FileItem {
  let value: unknown
  try {
    value = parseJsonExact(text)
  } catch (cause) {
    return { kind: 'bad', line, text, message: `${where}: ${(cause as Error).message}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'bad', line, text, message: `${where}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` }
  }
  return { kind: 'row', row: value as Row }
}

async function* parquetRecords(path: string, signal: AbortSignal): AsyncGenerator<FileItem> {
  for await (const part of parquetRows(path, signal)) {
    if ('types' in part) yield { kind: 'types', types: part.types }
    else for (const row of part.rows) yield { kind: 'row', row }
  }
}

/** A CSV field declared JSON, parsed; text that is no JSON is FILE_PARSE naming the column. */
function jsonField(text: string, name: string): unknown {
  try {
    return parseJsonExact(text)
  } catch (cause) {
    throw new SluiceError({ code: 'FILE_PARSE', message: `CSV column ${name} is declared JSON: ${(cause as Error).message}`, context: { column: name }, cause })
  }
}
