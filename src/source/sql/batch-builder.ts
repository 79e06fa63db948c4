import { Batch, type Column, type ColumnValues } from '../../core/batch.js'
import { allocate } from '../../core/batch-from-rows.js'
import type { ColumnType } from '../../core/column-type.js'
import { NO_FIT } from '../../core/encode-value.js'

/** Storage value of one database value (see `ColumnValues`), or `NO_FIT` when the column's type can't hold it. */
export type Decode = (raw: unknown) => number | bigint | string | Uint8Array | typeof NO_FIT

/**
 * How a database column lands in a batch: its sluice type and the decoder from the driver's raw
 * value (text for Postgres) straight into columnar storage — no row objects, no inference. A
 * value the type can't hold (`infinity`, a BC date, an out-of-range decimal) switches that
 * column of that batch to `fallback`, which holds every value; the sink widens its column.
 */
export interface SourceColumn {
  readonly name: string
  readonly type: ColumnType
  readonly decode: Decode
  readonly fallback: { readonly type: ColumnType; readonly decode: Decode }
}

/** A batch from rows as arrays (`rows[i][c]` is column `c`; `null`/`undefined` is NULL). Extra trailing row values are ignored. */
export function buildBatch(columns: readonly SourceColumn[], rows: readonly (readonly unknown[])[]): Batch {
  return new Batch(
    columns.map((c, index) => buildColumn(c.name, c.type, c.decode, rows, index) ?? buildColumn(c.name, c.fallback.type, c.fallback.decode, rows, index)!),
    rows.length,
  )
}

function buildColumn(name: string, type: ColumnType, decode: Decode, rows: readonly (readonly unknown[])[], index: number): Column | undefined {
  const n = rows.length
  const values = allocate(type, n)
  const slots = values as unknown as { [i: number]: unknown }
  const text = Array.isArray(values)
  let validity: Uint8Array | undefined
  let nullCount = 0
  for (let i = 0; i < n; i++) {
    const raw = rows[i]![index]
    if (raw === null || raw === undefined) {
      if (validity === undefined) validity = new Uint8Array((n + 7) >> 3).fill(0xff)
      validity[i >> 3]! &= ~(1 << (i & 7))
      nullCount++
      if (text) slots[i] = type === 'BINARY' ? EMPTY : ''
      continue
    }
    const v = decode(raw)
    if (v === NO_FIT) return undefined
    slots[i] = v
  }
  if (validity && n & 7) validity[n >> 3]! &= (1 << (n & 7)) - 1
  return { name, type, values: values as ColumnValues, validity, nullCount }
}

const EMPTY = new Uint8Array(0)
