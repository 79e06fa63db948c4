import { valueAt, type Column } from '../core/batch.js'
import { allocate } from '../core/batch-from-rows.js'
import type { ColumnType } from '../core/column-type.js'
import { encodeValue, NO_FIT } from '../core/encode-value.js'
import { SluiceError } from '../core/sluice-error.js'

/**
 * A batch column in the storage form of `type`, its destination column's type: a column that
 * already has it is returned as is; a narrower one (INT into a LONG column, a number into a
 * STRING column) is converted value by value exactly as a fresh write of `type` stores it. A
 * value that does not fit throws `DESTINATION_WRITE` naming the table, column and row.
 *
 * @example
 * ```ts
 * import { batchFromRows } from 'sluice'
 * import { columnAsType } from './column-as-type.js'
 * const long = columnAsType(batchFromRows([{ n: 1 }]).column('n')!, 'LONG', 'table t', 'n')
 * ```
 */
export function columnAsType(column: Column, type: ColumnType, where: string, name = column.name): Column {
  if (column.type === type) return name === column.name ? column : { ...column, name }
  const n = column.values.length
  const values = allocate(type, n)
  const text = Array.isArray(values)
  for (let i = 0; i < n; i++) {
    const v = valueAt(column, i)
    if (v === null) {
      if (text) (values as unknown[])[i] = type === 'BINARY' ? EMPTY : ''
      continue
    }
    const out = encodeValue(v, type)
    if (out === NO_FIT) {
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `${where}, column ${column.name}, row ${i}: a ${column.type} value does not fit the destination type ${type} exactly; declare the column STRING (or a wide enough DECIMAL) in the table spec`,
        context: { column: column.name, row: i, from: column.type, to: type },
      })
    }
    ;(values as unknown as Record<number, unknown>)[i] = out
  }
  return { name, type, values, validity: column.validity, nullCount: column.nullCount }
}

/** A column of `n` NULLs of `type`. */
export function nullColumn(name: string, type: ColumnType, n: number): Column {
  const values = allocate(type, n)
  if (Array.isArray(values)) (values as unknown[]).fill(type === 'BINARY' ? EMPTY : '')
  return { name, type, values, validity: new Uint8Array((n + 7) >> 3), nullCount: n }
}

const EMPTY = new Uint8Array(0)
