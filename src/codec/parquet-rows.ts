import type { Row } from '../core/batch.js'
import type { ColumnType } from '../core/column-type.js'
import { SluiceError } from '../core/sluice-error.js'
import { formatMicros } from '../core/temporal.js'
import { decimalText } from './arrow-values.js'
import { formatEpochMicros } from './epoch-micros.js'
import { loadOptional } from '../core/load-optional.js'
import { parseJsonExact } from '../core/parse-json-exact.js'

type Hyparquet = typeof import('hyparquet')
type FileMetaData = Awaited<ReturnType<Hyparquet['parquetMetadataAsync']>>
type SchemaElement = FileMetaData['schema'][number]

/** How one top-level Parquet column becomes a sluice value. */
interface ColumnPlan {
  readonly name: string
  readonly type: ColumnType
  readonly convert?: (raw: unknown) => unknown
}

/**
 * Reads a Parquet file with `hyparquet`, one row group at a time (memory stays one row group),
 * and yields its rows with exact values: DECIMAL as its digits (hyparquet would give a double),
 * timestamps with their microseconds as ISO text (zoned when `isAdjustedToUTC`), dates as
 * `YYYY-MM-DD`, 64-bit integers as bigints, nested columns as JSON. Yields the column types
 * first, from the file's schema. A file that is not valid Parquet (truncated, no footer) throws
 * `FILE_PARSE` before any row.
 */
export async function* parquetRows(path: string, signal: AbortSignal): AsyncGenerator<{ types: Record<string, ColumnType> } | { rows: Row[] }> {
  const hyparquet = await loadOptional<Hyparquet>('hyparquet', 'Reading Parquet (fileSource)', () => import('hyparquet'))
  let file: Awaited<ReturnType<Hyparquet['asyncBufferFromFile']>>
  let metadata: FileMetaData
  try {
    file = await hyparquet.asyncBufferFromFile(path)
    metadata = await hyparquet.parquetMetadataAsync(file)
  } catch (cause) {
    throw new SluiceError({ code: 'FILE_PARSE', message: `Parquet: ${(cause as Error).message}`, cause })
  }
  const { plans, patched } = planColumns(metadata)
  yield { types: Object.fromEntries(plans.map((p) => [p.name, p.type])) }
  let start = 0
  for (const group of metadata.row_groups) {
    if (signal.aborted) return
    const end = start + Number(group.num_rows)
    let rows: Record<string, unknown>[]
    try {
      rows = await hyparquet.parquetReadObjects({
        file, metadata: patched, rowStart: start, rowEnd: end, utf8: false,
        parsers: { timestampFromNanoseconds: (ns: bigint) => formatEpochMicros(ns / 1000n, 'Z') },
      })
    } catch (cause) {
      throw new SluiceError({ code: 'FILE_PARSE', message: `Parquet rows ${start}–${end}: ${(cause as Error).message}`, cause, context: { row: start } })
    }
    for (const row of rows) {
      for (const plan of plans) {
        const v = row[plan.name]
        row[plan.name] = v === null || v === undefined ? null : plan.convert ? plan.convert(v) : v
      }
    }
    yield { rows }
    start = end
  }
}

/**
 * The sluice type and conversion of each top-level column, and metadata with the DECIMAL,
 * DATE and TIMESTAMP annotations removed so hyparquet hands over the raw integers and bytes
 * (converted exactly here instead).
 */
function planColumns(metadata: FileMetaData): { plans: ColumnPlan[]; patched: FileMetaData } {
  const schema = metadata.schema.map((e) => ({ ...e }))
  const declared = sluiceTypes(metadata)
  const plans: ColumnPlan[] = []
  let i = 1
  for (let c = 0; c < (schema[0]?.num_children ?? 0); c++) {
    const plan = planColumn(metadata.schema[i]!, schema[i]!)
    // Text a sluice-written file marks as JSON (in its `sluice.types` metadata) is JSON.
    plans.push(plan.type === 'STRING' && declared[plan.name] === 'JSON' ? { name: plan.name, type: 'JSON', convert: (v) => jsonCell(text(v), plan.name) } : plan)
    i = skipSubtree(schema, i)
  }
  return { plans, patched: { ...metadata, schema } }
}

function sluiceTypes(metadata: FileMetaData): Record<string, string> {
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'sluice.types')
  try {
    return entry?.value ? (JSON.parse(entry.value) as Record<string, string>) : {}
  } catch {
    return {}
  }
}

function text(v: unknown): string {
  return v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)
}

function skipSubtree(schema: readonly SchemaElement[], at: number): number {
  let next = at + 1
  for (let k = 0; k < (schema[at]!.num_children ?? 0); k++) next = skipSubtree(schema, next)
  return next
}

function planColumn(original: SchemaElement, patched: SchemaElement): ColumnPlan {
  const name = original.name
  if (original.num_children) return { name, type: 'JSON' }
  const logical = original.logical_type as { type?: string; isAdjustedToUTC?: boolean; unit?: string; bitWidth?: number; isSigned?: boolean } | undefined
  const converted = original.converted_type
  const strip = () => {
    delete (patched as { converted_type?: unknown }).converted_type
    delete (patched as { logical_type?: unknown }).logical_type
  }
  if (converted === 'DECIMAL' || logical?.type === 'DECIMAL') {
    const scale = original.scale ?? 0
    const precision = original.precision ?? 38
    strip()
    const type: ColumnType = precision <= 38 ? `DECIMAL(${precision},${scale})` : 'STRING'
    return { name, type, convert: (raw) => decimalText(unscaled(raw), scale) }
  }
  if (converted === 'DATE' || logical?.type === 'DATE') {
    strip()
    return { name, type: 'NAIVE_DATE', convert: (days) => formatMicros(Number(days) * 86_400_000_000, '').slice(0, 10) }
  }
  const unit = logical?.type === 'TIMESTAMP' ? logical.unit : converted === 'TIMESTAMP_MILLIS' ? 'MILLIS' : converted === 'TIMESTAMP_MICROS' ? 'MICROS' : undefined
  if (unit) {
    const zoned = logical?.type === 'TIMESTAMP' ? logical.isAdjustedToUTC !== false : true
    strip()
    const toMicros = unit === 'MILLIS' ? (v: bigint) => v * 1000n : unit === 'NANOS' ? (v: bigint) => v / 1000n : (v: bigint) => v
    return { name, type: zoned ? 'UTC_DATETIME' : 'NAIVE_DATETIME', convert: (raw) => formatEpochMicros(toMicros(BigInt(raw as bigint)), zoned ? 'Z' : '') }
  }
  switch (original.type) {
    case 'BOOLEAN':
      return { name, type: 'BOOLEAN' }
    case 'INT32':
      if (logical?.type === 'INTEGER' && logical.bitWidth !== undefined && logical.bitWidth <= 16 && (logical.isSigned !== false || logical.bitWidth < 16)) return { name, type: 'SHORT' }
      if (converted === 'INT_8' || converted === 'INT_16' || converted === 'UINT_8') return { name, type: 'SHORT' }
      if (converted === 'UINT_32' || (logical?.type === 'INTEGER' && logical.isSigned === false)) return { name, type: 'LONG' }
      return { name, type: 'INT' }
    case 'INT64':
      if (converted === 'UINT_64' || (logical?.type === 'INTEGER' && logical.isSigned === false)) return { name, type: 'STRING', convert: (v) => String(v) }
      return { name, type: 'LONG' }
    case 'INT96':
      return { name, type: 'UTC_DATETIME' }
    case 'FLOAT':
      return { name, type: 'FLOAT' }
    case 'DOUBLE':
      return { name, type: 'DOUBLE' }
    default: {
      // hyparquet parses converted_type JSON itself; the JSON logical type alone arrives as bytes.
      if (converted === 'JSON' || logical?.type === 'JSON') return { name, type: 'JSON', convert: (v) => (v instanceof Uint8Array ? jsonCell(text(v), name) : v) }
      const isText = converted === 'UTF8' || converted === 'ENUM' || logical?.type === 'STRING' || logical?.type === 'ENUM' || logical?.type === 'UUID'
      if (isText) return { name, type: 'STRING', convert: text }
      return { name, type: 'BINARY' }
    }
  }
}

/** The unscaled integer of a Parquet DECIMAL: INT32, INT64, or big-endian two's complement bytes. */
function unscaled(raw: unknown): bigint {
  if (typeof raw === 'bigint') return raw
  if (typeof raw === 'number') return BigInt(raw)
  const bytes = raw as Uint8Array
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  return bytes.length > 0 && bytes[0]! & 0x80 ? v - (1n << BigInt(bytes.length * 8)) : v
}

/** A JSON column's value, parsed; text that is no JSON is FILE_PARSE naming the column. */
function jsonCell(json: string, name: string): unknown {
  try {
    return parseJsonExact(json)
  } catch (cause) {
    throw new SluiceError({ code: 'FILE_PARSE', message: `Parquet column ${name} holds JSON text that is not JSON: ${(cause as Error).message}`, context: { column: name }, cause })
  }
}
