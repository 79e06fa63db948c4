import { isNull, valueAt, type Column } from '../../core/batch.js'
import { baseType, type ColumnType } from '../../core/column-type.js'
import { encodeValue, NO_FIT } from '../../core/encode-value.js'
import { SluiceError } from '../../core/sluice-error.js'

/** The COPY text-format field of row `i` (already escaped; `\N` for NULL). */
export type FieldEncoder = (i: number) => string

/** COPY text format's NULL marker. */
export const COPY_NULL = '\\N'

const SPECIAL = /[\\\t\n\r\0]/
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/**
 * Escapes text for a COPY text-format field: backslash, tab, newline and carriage return become
 * backslash sequences, so an empty string stays an empty field and only `\N` is NULL. A NUL
 * character can't be stored in Postgres text at all: that throws `UNSUPPORTED_VALUE`.
 */
export function escapeCopyText(text: string, where: () => string): string {
  if (!SPECIAL.test(text)) return text
  if (text.includes('\0')) {
    throw new SluiceError({
      code: 'UNSUPPORTED_VALUE',
      message: `postgres: ${where()} contains a NUL character (\\u0000), which Postgres text cannot store; strip it with a transform stage`,
    })
  }
  return text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!)
}

/**
 * A field encoder for `column` landing in a destination column of type `target`. Same-typed
 * columns take fast paths straight off the columnar storage; a column written into a wider
 * destination type (INT into `double precision`, a date into `text`, …) converts each value the
 * way a batch of the wider type would have held it.
 */
export function fieldEncoder(column: Column, target: ColumnType, where: (i: number) => string): FieldEncoder {
  const from = baseType(column.type)
  const to = baseType(target)
  const values = column.values
  const nullable = column.validity !== undefined
  const wrap = (encode: FieldEncoder): FieldEncoder => (nullable ? (i) => (isNull(column, i) ? COPY_NULL : encode(i)) : encode)

  if (from !== to && !compatible(from, to)) return wrap(converted(column, target, where))
  switch (from) {
    case 'BOOLEAN': {
      const v = values as Uint8Array
      if (to === 'BOOLEAN') return wrap((i) => (v[i] ? 't' : 'f'))
      if (to === 'STRING') return wrap((i) => (v[i] ? 'true' : 'false'))
      return wrap((i) => (v[i] ? '1' : '0'))
    }
    case 'SHORT':
    case 'INT': {
      const v = values as ArrayLike<number>
      return wrap((i) => String(v[i]))
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const v = values as ArrayLike<number>
      return wrap((i) => numberText(v[i]!))
    }
    case 'LONG': {
      const v = values as BigInt64Array
      return wrap((i) => v[i]!.toString())
    }
    case 'BINARY': {
      const v = values as Uint8Array[]
      return wrap((i) => `\\\\x${hex(v[i]!)}`)
    }
    default: {
      const v = values as string[]
      return wrap((i) => escapeCopyText(v[i]!, () => where(i)))
    }
  }
}

/** Whether values of `from` can be written as they are into a column of `to` (the text Postgres parses is the same). */
function compatible(from: string, to: string): boolean {
  if (to === 'JSON') return false // a string must become a JSON string literal, a NaN must become null
  if (from === 'BOOLEAN') return to !== 'BINARY'
  // Postgres would parse the digits of a LONG beyond 2^53 into the nearest double: convert, which refuses it.
  if (from === 'LONG' && (to === 'FLOAT' || to === 'DOUBLE')) return false
  if (from === 'SHORT' || from === 'INT' || from === 'LONG' || from === 'FLOAT' || from === 'DOUBLE') {
    return to === 'SHORT' || to === 'INT' || to === 'LONG' || to === 'FLOAT' || to === 'DOUBLE' || to === 'STRING'
  }
  if (from === 'BINARY') return false
  // Text storage: DECIMAL, temporal, STRING, JSON text into text, a date into a timestamp.
  return to === 'STRING' || (from === 'NAIVE_DATE' && to === 'NAIVE_DATETIME')
}

function converted(column: Column, target: ColumnType, where: (i: number) => string): FieldEncoder {
  const to = baseType(target)
  return (i) => {
    const e = encodeValue(valueAt(column, i), target)
    if (e === NO_FIT) {
      throw new SluiceError({
        code: 'DESTINATION_WRITE', // as the other sinks say it
        message: `postgres: ${where(i)} does not fit the destination type ${target} exactly; declare the column STRING (or a wide enough DECIMAL) in the table spec`,
      })
    }
    if (typeof e === 'string') return escapeCopyText(e, () => where(i))
    if (e instanceof Uint8Array) return `\\\\x${hex(e)}`
    if (to === 'BOOLEAN') return e === 1 ? 't' : 'f'
    return typeof e === 'number' ? numberText(e) : String(e)
  }
}

/** `String(n)`, except that -0 keeps its sign (Postgres floats have one). */
function numberText(n: number): string {
  return n === 0 && 1 / n < 0 ? '-0' : String(n)
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/**
 * COPY text for rows of fields, in chunks of about `chunkChars` characters, built lazily: the
 * first chunk is on the wire (and being parsed by Postgres) while the next is encoded. `rows`
 * is a row count (rows 0…n-1) or the row indexes to write, in order; `extra` are constant fields
 * appended to every row (the write time).
 */
export function* copyText(fields: readonly FieldEncoder[], rows: readonly number[] | number, extra: readonly string[] = [], chunkChars = 1 << 17): Generator<string> {
  const tail = extra.length ? `\t${extra.join('\t')}\n` : '\n'
  const k = fields.length
  const n = typeof rows === 'number' ? rows : rows.length
  const first = fields[0]!
  let chunk = ''
  for (let r = 0; r < n; r++) {
    const i = typeof rows === 'number' ? r : rows[r]!
    let line = first(i)
    for (let c = 1; c < k; c++) line += '\t' + fields[c]!(i)
    chunk += line + tail
    if (chunk.length >= chunkChars) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk) yield chunk
}
