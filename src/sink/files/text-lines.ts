import { isNull, type Batch, type Column } from '../../core/batch.js'
import { baseType } from '../../core/column-type.js'

/**
 * A batch as NDJSON: one JSON object per row, keys in column order, `null` for NULL. Types keep
 * their exact form: LONG as a JSON number with every digit, DECIMAL as a string of its digits,
 * dates and times as ISO-8601 strings, JSON columns embedded as JSON, BINARY as base64, and a
 * non-finite FLOAT/DOUBLE as the string `"NaN"`, `"Infinity"` or `"-Infinity"` (JSON has no such
 * numbers). Built column by column into row strings: no row objects, one `JSON.stringify` per string.
 *
 * @example
 * ```ts
 * import { batchFromRows } from 'sluice'
 * import { ndjsonLines } from './text-lines.js'
 * ndjsonLines(batchFromRows([{ id: 1, name: 'a' }])) // '{"id":1,"name":"a"}\n'
 * ```
 */
export function ndjsonLines(batch: Batch): string {
  const parts = new Array<string>(batch.length).fill('{')
  batch.columns.forEach((column, c) => {
    const key = `${c === 0 ? '' : ','}${JSON.stringify(column.name)}:`
    const text = jsonText(column)
    for (let i = 0; i < batch.length; i++) parts[i] += key + (isNull(column, i) ? 'null' : text(i))
  })
  return parts.length === 0 ? '' : `${parts.join('}\n')}}\n`
}

function jsonText(column: Column): (i: number) => string {
  const values = column.values
  switch (baseType(column.type)) {
    case 'BOOLEAN':
      return (i) => ((values as Uint8Array)[i] ? 'true' : 'false')
    case 'SHORT':
    case 'INT':
    case 'LONG':
      return (i) => String((values as ArrayLike<number | bigint>)[i])
    case 'FLOAT':
    case 'DOUBLE':
      return (i) => {
        const v = (values as Float64Array)[i]!
        return Number.isFinite(v) ? numberText(v) : `"${String(v)}"`
      }
    case 'JSON':
      return (i) => (values as string[])[i]!
    case 'BINARY':
      return (i) => `"${base64((values as Uint8Array[])[i]!)}"`
    default:
      return (i) => JSON.stringify((values as string[])[i])
  }
}

/**
 * A batch as CSV rows (RFC 4180): fields separated by commas, rows ended by CRLF, a field quoted
 * when it holds a quote, comma, CR or LF (quotes doubled inside). NULL is an empty unquoted field
 * and the empty string a quoted one (`""`), so the two stay apart. Values are written as in
 * {@link ndjsonLines}, unquoted where plain: `true`/`false`, numbers, ISO text, JSON text, base64.
 */
export function csvLines(batch: Batch): string {
  const parts = new Array<string>(batch.length).fill('')
  batch.columns.forEach((column, c) => {
    const text = csvText(column)
    for (let i = 0; i < batch.length; i++) {
      const field = isNull(column, i) ? '' : csvField(text(i))
      parts[i] += c === 0 ? field : `,${field}`
    }
  })
  return parts.length === 0 ? '' : `${parts.join('\r\n')}\r\n`
}

/** The header row of a CSV file. */
export function csvHeader(names: readonly string[]): string {
  return `${names.map(csvField).join(',')}\r\n`
}

const NEEDS_QUOTES = /[",\r\n]/

/** One CSV field, quoted when it must be (and always when empty, which tells it from NULL). */
export function csvField(text: string): string {
  if (text !== '' && !NEEDS_QUOTES.test(text)) return text
  return `"${text.replace(/"/g, '""')}"`
}

function csvText(column: Column): (i: number) => string {
  const values = column.values
  switch (baseType(column.type)) {
    case 'BOOLEAN':
      return (i) => ((values as Uint8Array)[i] ? 'true' : 'false')
    case 'SHORT':
    case 'INT':
    case 'LONG':
      return (i) => String((values as ArrayLike<number | bigint>)[i])
    case 'FLOAT':
    case 'DOUBLE':
      return (i) => numberText((values as Float64Array)[i]!)
    case 'BINARY':
      return (i) => base64((values as Uint8Array[])[i]!)
    default:
      return (i) => (values as string[])[i]!
  }
}

/** A number as text that parses back to it, negative zero included (`String(-0)` is `'0'`). */
function numberText(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v)
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
