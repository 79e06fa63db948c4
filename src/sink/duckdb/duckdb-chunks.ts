import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api'
import type { Column } from '../../core/batch.js'
import { baseType } from '../../core/column-type.js'
import { SluiceError } from '../../core/sluice-error.js'
import { utf8 } from '../../core/utf8-column.js'
import { parseNaiveDays, parseNaiveMicros, parseUtcMicros } from '../../core/temporal.js'
import { exactMicros } from '../../codec/epoch-micros.js'
import type { DuckDbModule } from './load-duckdb.js'

/** Rows per DuckDB vector (`duckdb_vector_size()`, fixed at 2048 in every release). */
const VECTOR_SIZE = 2048
/** Longest string DuckDB stores inline in its 16-byte string header (no heap pointer needed). */
const INLINE_BYTES = 12
const TWO32 = 4294967296

type Vector = ReturnType<DuckDbModule['bindings']['data_chunk_get_vector']>

/**
 * Appends the columns of a batch to a (staging) table through DuckDB's appender, a data chunk of
 * 2048 rows at a time, filled by bulk memory copies instead of one call per value: numeric and
 * boolean columns are copied straight from their typed arrays, the null bitmap is copied as is
 * (Arrow's bit layout is DuckDB's validity mask), temporal text becomes epoch micros or days in
 * one pass, and strings of up to 12 bytes are written into the string headers in one copy. Only
 * longer strings and bytes cost one native call each. The table's columns must match `columns`
 * in order and type (`stagingType` for staging tables, `duckdbType` without DECIMAL otherwise).
 * `schema` is `'temp'` for the temp staging tables, `'main'` for a table of the database.
 */
export async function appendColumns(
  duck: DuckDbModule, connection: DuckDBConnection, table: string, columns: readonly Column[], length: number, schema: 'temp' | 'main' = 'temp',
): Promise<void> {
  if (length === 0) return
  const appender = await connection.createAppender(table, null, schema === 'temp' ? 'temp' : null)
  try {
    const types = columns.map((_, i) => appender.columnType(i))
    const chunk = duck.api.DuckDBDataChunk.create(types, Math.min(VECTOR_SIZE, length))
    const scratch = new Scratch()
    for (let start = 0; start < length; start += VECTOR_SIZE) {
      const n = Math.min(VECTOR_SIZE, length - start)
      if (start > 0) chunk.reset()
      chunk.rowCount = n
      for (let c = 0; c < columns.length; c++) fillVector(duck, chunk, c, columns[c]!, start, n, scratch)
      appender.appendDataChunk(chunk)
    }
    appender.flushSync()
  } finally {
    appender.closeSync()
  }
}

/** Reused buffers for one append: converted temporal values and string headers. */
class Scratch {
  readonly micros = new BigInt64Array(VECTOR_SIZE)
  readonly microWords = new Uint32Array(this.micros.buffer)
  readonly days = new Int32Array(VECTOR_SIZE)
  readonly headers = new Uint8Array(VECTOR_SIZE * 16)
  readonly headerWords = new Uint32Array(this.headers.buffer)
}

function fillVector(duck: DuckDbModule, chunk: DuckDBDataChunk, index: number, column: Column, start: number, n: number, scratch: Scratch): void {
  const b = duck.bindings
  const vector = b.data_chunk_get_vector(chunk.chunk, index)
  const validity = column.validity
  if (validity !== undefined) {
    // `start` is a multiple of 2048, so the chunk's bits begin on a byte boundary of the batch's bitmap.
    b.vector_ensure_validity_writable(vector)
    b.copy_data_to_vector_validity(vector, 0, validity.buffer as ArrayBuffer, validity.byteOffset + start / 8, Math.ceil(n / 8))
  }
  const values = column.values
  switch (baseType(column.type)) {
    case 'BOOLEAN':
    case 'SHORT':
    case 'INT':
    case 'LONG':
    case 'FLOAT':
    case 'DOUBLE': {
      const typed = values as Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array
      const width = typed.BYTES_PER_ELEMENT
      b.copy_data_to_vector(vector, 0, typed.buffer as ArrayBuffer, typed.byteOffset + start * width, n * width)
      return
    }
    case 'UTC_DATETIME':
      return copyMicros(duck, vector, values as string[], start, n, scratch, parseUtcMicros, column)
    case 'NAIVE_DATETIME':
      return copyMicros(duck, vector, values as string[], start, n, scratch, parseNaiveMicros, column)
    case 'NAIVE_DATE': {
      const strings = values as string[]
      for (let i = 0; i < n; i++) {
        const text = strings[start + i]!
        scratch.days[i] = text === '' ? 0 : checked(parseNaiveDays(text), text, column, start + i)
      }
      b.copy_data_to_vector(vector, 0, scratch.days.buffer, 0, n * 4)
      return
    }
    case 'BINARY':
      return copyBytes(duck, vector, concatBytes(values as Uint8Array[], start, n), n, scratch)
    default: {
      const strings = values as string[]
      return copyBytes(duck, vector, utf8(start === 0 && n === strings.length ? strings : strings.slice(start, start + n)), n, scratch)
    }
  }
}

function copyMicros(
  duck: DuckDbModule, vector: Vector, strings: readonly string[], start: number, n: number, scratch: Scratch,
  parse: (text: string) => number | undefined, column: Column,
): void {
  const words = scratch.microWords
  let lastText = ''
  let lo = 0
  let hi = 0
  for (let i = 0; i < n; i++) {
    const text = strings[start + i]!
    // A repeated value (a constant column such as `_sluice_synced`) is parsed once.
    if (text !== lastText) {
      lastText = text
      if (text === '') lo = hi = 0
      else {
        // Two 32-bit words instead of a BigInt per value; beyond 2^53 µs (before 1685, after 2255) the exact bigint.
        const us = checked(parse(text), text, column, start + i)
        if (Number.isSafeInteger(us)) {
          const high = Math.floor(us / TWO32)
          lo = us - high * TWO32
          hi = high >>> 0
        } else {
          const big = BigInt.asUintN(64, exactMicros(text, parse === parseUtcMicros)!)
          lo = Number(big & 0xffffffffn)
          hi = Number(big >> 32n)
        }
      }
    }
    words[2 * i] = lo
    words[2 * i + 1] = hi
  }
  duck.bindings.copy_data_to_vector(vector, 0, scratch.micros.buffer, 0, n * 8)
}

/**
 * Strings and bytes, encoded once into one buffer for the slice: every value of up to 12 bytes
 * goes into its 16-byte header (length + inline bytes, zero padded) and all headers are copied at
 * once; longer values need DuckDB to allocate, so each is one call with a view of the buffer.
 */
function copyBytes(duck: DuckDbModule, vector: Vector, { offsets, data }: { offsets: Int32Array; data: Uint8Array }, n: number, scratch: Scratch): void {
  const headers = scratch.headers
  const words = scratch.headerWords
  headers.fill(0, 0, n * 16)
  let long: number[] | undefined
  for (let i = 0; i < n; i++) {
    const from = offsets[i]!
    const len = offsets[i + 1]! - from
    if (len > INLINE_BYTES) {
      ;(long ??= []).push(i)
      continue
    }
    words[i * 4] = len
    const at = i * 16 + 4
    for (let k = 0; k < len; k++) headers[at + k] = data[from + k]!
  }
  duck.bindings.copy_data_to_vector(vector, 0, headers.buffer, 0, n * 16)
  if (long) for (const i of long) duck.bindings.vector_assign_string_element_len(vector, i, data.subarray(offsets[i]!, offsets[i + 1]!))
}

function concatBytes(parts: readonly Uint8Array[], start: number, n: number): { offsets: Int32Array; data: Uint8Array } {
  const offsets = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + parts[start + i]!.byteLength
  const data = new Uint8Array(offsets[n]!)
  for (let i = 0; i < n; i++) data.set(parts[start + i]!, offsets[i]!)
  return { offsets, data }
}

function checked(value: number | undefined, text: string, column: Column, row: number): number {
  if (value === undefined) {
    throw new SluiceError({
      code: 'UNSUPPORTED_VALUE',
      message: `column ${column.name} row ${row}: ${JSON.stringify(text)} is not a ${column.type} value`,
      context: { column: column.name, row, type: column.type },
    })
  }
  return value
}
