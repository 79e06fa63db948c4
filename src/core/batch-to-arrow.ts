import {
  Binary, Bool, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, makeData, RecordBatch, Schema, Struct,
  TimestampMicrosecond, Utf8, type Data, type DataType,
} from 'apache-arrow'
import type { Batch, Column } from './batch.js'
import { SluiceError } from './sluice-error.js'
import { baseType, decimalParams } from './column-type.js'
import { utf8 } from './utf8-column.js'
import { parseNaiveDays, parseNaiveMicros, parseNaiveMicrosExact, parseUtcMicros, parseUtcMicrosExact } from './temporal.js'

/**
 * Converts a batch to an `apache-arrow` `RecordBatch` for sinks that take Arrow (DuckDB,
 * Parquet, Arrow IPC). Numeric columns are zero-copy; text columns are encoded once into one
 * UTF-8 buffer with Int32 offsets (the stock builders are ~10× slower, see LIMITS.md); temporal
 * text becomes Date32 / Timestamp(µs), DECIMAL becomes Decimal128, JSON stays UTF-8 text. Each
 * field carries its sluice type in the `sluice.type` metadata.
 *
 * @example
 * ```ts
 * import { batchFromRows } from 'sluice'
 * import { toArrow } from 'sluice/arrow'
 * const rb = toArrow(batchFromRows([{ id: 1, name: 'a' }]))
 * rb.numRows // 1
 * ```
 */
export function toArrow(batch: Batch): RecordBatch {
  const fields: Field[] = []
  const children: Data[] = []
  for (const column of batch.columns) {
    const data = columnData(column, batch.length)
    fields.push(new Field(column.name, data.type, true, new Map([['sluice.type', column.type]])))
    children.push(data)
  }
  const schema = new Schema(fields)
  const struct = makeData({ type: new Struct(fields), length: batch.length, nullCount: 0, children })
  return new RecordBatch(schema, struct)
}

function columnData(column: Column, length: number): Data<DataType> {
  const nullBitmap = column.validity
  const base = { length, nullCount: column.nullCount, ...(nullBitmap ? { nullBitmap } : {}) }
  const values = column.values
  switch (baseType(column.type)) {
    case 'BOOLEAN':
      return makeData({ type: new Bool(), ...base, data: packBits(values as Uint8Array) })
    case 'SHORT':
      return makeData({ type: new Int16(), ...base, data: values as Int16Array })
    case 'INT':
      return makeData({ type: new Int32(), ...base, data: values as Int32Array })
    case 'LONG':
      return makeData({ type: new Int64(), ...base, data: values as BigInt64Array })
    case 'FLOAT':
      return makeData({ type: new Float32(), ...base, data: values as Float32Array })
    case 'DOUBLE':
      return makeData({ type: new Float64(), ...base, data: values as Float64Array })
    case 'UTC_DATETIME':
      return makeData({ type: new TimestampMicrosecond('UTC'), ...base, data: micros(values as string[], column, parseUtcMicros, parseUtcMicrosExact) })
    case 'NAIVE_DATETIME':
      return makeData({ type: new TimestampMicrosecond(), ...base, data: micros(values as string[], column, parseNaiveMicros, parseNaiveMicrosExact) })
    case 'NAIVE_DATE':
      return makeData({ type: new DateDay(), ...base, data: days(values as string[], column) })
    case 'DECIMAL': {
      const { precision, scale } = decimalParams(column.type)
      return makeData({ type: new Decimal(scale, precision, 128), ...base, data: decimal128(values as string[], column, scale) })
    }
    case 'BINARY': {
      const { offsets, data } = concatBytes(values as Uint8Array[])
      return makeData({ type: new Binary(), ...base, valueOffsets: offsets, data })
    }
    default: {
      const { offsets, data } = utf8(values as string[])
      return makeData({ type: new Utf8(), ...base, valueOffsets: offsets, data })
    }
  }
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3)
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7)
  return out
}

function concatBytes(parts: readonly Uint8Array[]): { offsets: Int32Array; data: Uint8Array } {
  const offsets = new Int32Array(parts.length + 1)
  let total = 0
  for (let i = 0; i < parts.length; i++) {
    total += parts[i]!.byteLength
    offsets[i + 1] = total
  }
  const data = new Uint8Array(total)
  for (let i = 0; i < parts.length; i++) data.set(parts[i]!, offsets[i]!)
  return { offsets, data }
}

const TWO32 = 4294967296

/**
 * Int64 values written as two 32-bit words: no BigInt per value where the number is exact (within
 * 2^53 µs, about 1685–2255); beyond, the exact bigint from `exact` (years 0001–9999 all fit int64).
 */
function micros(
  values: readonly string[], column: Column, parse: (s: string) => number | undefined, exact: (s: string) => bigint | undefined,
): BigInt64Array {
  const out = new BigInt64Array(values.length)
  const words = new Uint32Array(out.buffer)
  for (let i = 0; i < values.length; i++) {
    const text = values[i]!
    if (text === '') continue // a null slot
    const us = parse(text)
    if (us === undefined) throw notA(column, i, text, `a ${column.type} value`)
    if (us > Number.MAX_SAFE_INTEGER || us < -Number.MAX_SAFE_INTEGER) {
      out[i] = exact(text)!
      continue
    }
    const hi = Math.floor(us / TWO32)
    words[2 * i] = us - hi * TWO32
    words[2 * i + 1] = hi >>> 0
  }
  return out
}

function days(values: readonly string[], column: Column): Int32Array {
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    if (values[i] === '') continue
    const d = parseNaiveDays(values[i]!)
    if (d === undefined) throw notA(column, i, values[i]!, 'a NAIVE_DATE value')
    out[i] = d
  }
  return out
}

/** Decimal128 little-endian words of `value × 10^scale`. */
function decimal128(values: readonly string[], column: Column, scale: number): Uint32Array {
  const out = new Uint32Array(values.length * 4)
  const mask = (1n << 32n) - 1n
  for (let i = 0; i < values.length; i++) {
    const text = values[i]!
    if (text === '') continue
    const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(text)
    if (!m) throw notA(column, i, text, 'a decimal')
    const frac = (m[3] ?? '').padEnd(scale, '0').slice(0, scale)
    let v = BigInt((m[2] || '0') + frac)
    if (m[1] === '-') v = -v
    const twos = BigInt.asUintN(128, v)
    for (let w = 0; w < 4; w++) out[i * 4 + w] = Number((twos >> BigInt(32 * w)) & mask)
  }
  return out
}

/** A text value that is not of its column's declared type (a `Batch` built by hand, say). */
function notA(column: Column, row: number, text: string, what: string): SluiceError {
  return new SluiceError({
    code: 'UNSUPPORTED_VALUE',
    message: `column ${column.name} row ${row}: ${JSON.stringify(text)} is not ${what}`,
    context: { column: column.name, row, type: column.type },
  })
}
