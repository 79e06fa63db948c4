import { isNull, valueAt, type Column, type ColumnValues } from '../core/batch.js'
import { allocate } from '../core/batch-from-rows.js'
import { baseType, decimalParams, widenType, type ColumnType } from '../core/column-type.js'
import { encodeValue, NO_FIT } from '../core/encode-value.js'

/** Rows (ascending) whose value can't be stored as `type` without loss; empty when the whole column fits. */
export function misfits(column: Column, length: number, type: ColumnType): number[] {
  const out: number[] = []
  for (let i = 0; i < length; i++) {
    if (!isNull(column, i) && encodeValue(valueAt(column, i), type) === NO_FIT) out.push(i)
  }
  return out
}

/**
 * The column re-encoded as `type` (a new column; the input is untouched), with the rows in
 * `nulled` set to NULL. Every other value must fit `type` (check with {@link misfits} first).
 */
export function castColumn(column: Column, length: number, type: ColumnType, nulled: ReadonlySet<number> = EMPTY): Column {
  const values = allocate(type, length)
  const typed = !Array.isArray(values)
  const blank = baseType(type) === 'BINARY' ? new Uint8Array(0) : ''
  const validity = new Uint8Array((length + 7) >> 3)
  let nullCount = 0
  for (let i = 0; i < length; i++) {
    if (isNull(column, i) || nulled.has(i)) {
      nullCount++
      if (!typed) (values as unknown[])[i] = blank
      continue
    }
    const e = encodeValue(valueAt(column, i), type)
    // internal invariant: callers null or refuse the misfits first (drift-decision), so every value left fits
    if (e === NO_FIT) throw new RangeError(`castColumn: row ${i} of ${column.name} does not fit ${type}`)
    ;(values as unknown as Record<number, unknown>)[i] = e
    validity[i >> 3]! |= 1 << (i & 7)
  }
  return { name: column.name, type, values: values as ColumnValues, validity: nullCount === 0 ? undefined : validity, nullCount }
}

const EMPTY: ReadonlySet<number> = new Set()

/**
 * The narrowest type that holds both what `known` holds and every value of `column`: the lossless
 * widening order (BOOLEAN < INT < LONG < DOUBLE < STRING, see `widenType`), except that a DECIMAL
 * widens to a DECIMAL with enough digits while the values are exact decimals (never to a lossy
 * DOUBLE), and anything that still does not fit becomes STRING (a date column that gets a value
 * that is not a date).
 */
export function widenTarget(known: ColumnType, column: Column, length: number): ColumnType {
  if (baseType(known) === 'DECIMAL') {
    const decimal = decimalFit(known, column, length)
    if (decimal) return decimal
  }
  const wider = widenType(known, column.type)
  if (wider !== known && widenType(known, wider) === wider && misfits(column, length, wider).length === 0) return wider
  return 'STRING'
}

const DECIMAL_TEXT = /^[-+]?(\d+)(?:\.(\d+))?$/

/** The DECIMAL(p,s) holding `known`'s digits and every value of the column, if one exists (p ≤ 38). */
function decimalFit(known: ColumnType, column: Column, length: number): ColumnType | undefined {
  const { precision, scale: knownScale } = decimalParams(known)
  let integer = precision - knownScale
  let scale = knownScale
  for (let i = 0; i < length; i++) {
    if (isNull(column, i)) continue
    const v = valueAt(column, i)
    const text = typeof v === 'string' ? v.trim() : typeof v === 'bigint' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : undefined
    const m = text === undefined ? null : DECIMAL_TEXT.exec(text)
    if (!m) return undefined
    integer = Math.max(integer, m[1]!.replace(/^0+/, '').length)
    scale = Math.max(scale, (m[2] ?? '').replace(/0+$/, '').length)
  }
  return integer + scale <= 38 ? `DECIMAL(${Math.max(1, integer + scale)},${scale})` : undefined
}
