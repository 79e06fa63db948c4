import type { DuckDBValue } from '@duckdb/node-api'
import { baseType, type ColumnType } from '../../core/column-type.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'
import { formatMicros } from '../../core/temporal.js'
import { formatEpochMicros } from '../../codec/epoch-micros.js'

const MAX_SAFE = 9007199254740991n

/**
 * The JS view of a DuckDB value of a column of sluice `type`, as `valueAt` gives it for a batch:
 * booleans, numbers (LONG beyond 2^53 stays a bigint), exact DECIMAL text, ISO-8601 text for the
 * temporal types (microseconds kept), parsed JSON, `Uint8Array` for BINARY, `null` for NULL.
 * `type` undefined (a column sluice did not create) converts by the value's own kind.
 */
export function duckdbValueView(value: DuckDBValue, type: ColumnType | undefined): unknown {
  if (value === null || value === undefined) return null
  const base = type === undefined ? undefined : baseType(type)
  switch (typeof value) {
    case 'bigint':
      return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value
    case 'string':
      return base === 'JSON' ? parseJsonExact(value) : value // JSON.parse would round numbers beyond a double
    case 'number':
    case 'boolean':
      return value
  }
  const v = value as unknown as Record<string, unknown>
  if (typeof v.micros === 'bigint') {
    // TIMESTAMPTZ and TIMESTAMP both carry epoch micros; the sluice type (or the class) says which.
    const zoned = base === 'UTC_DATETIME' || (base === undefined && value.constructor.name.includes('TZ'))
    return formatEpochMicros(v.micros, zoned ? 'Z' : '')
  }
  if (typeof v.days === 'number') return formatMicros(v.days * 86_400_000_000, '').slice(0, 10)
  if (v.bytes instanceof Uint8Array) return new Uint8Array(v.bytes)
  return String(value) // DECIMAL prints its exact digits; anything else as DuckDB prints it
}
