import type { Column, Row } from './batch.js'
import type { ColumnType } from './column-type.js'
import { looksZonedIso } from './infer-type.js'
import { parseCanonicalUtcMicros } from './temporal.js'

/*
 * The fast path of `batchFromRows`: one row-wise pass that builds the columns whose values all
 * fit one plain storage (int32, double, boolean, canonical UTC text, text) exactly as the general
 * path would store them, and hands any other column to the general path with its values read
 * again from the rows.
 */

/** Columns finished by the single pass (`built`), and the values of the others for the general path (`cells`). */
export interface Scan {
  readonly names: string[]
  readonly cells: (unknown[] | undefined)[]
  readonly built: (Column | undefined)[]
}

// States of a column in the single pass: the one storage its values so far fit exactly as the
// general path (inferColumn + encodeColumn) would store them.
const PENDING = 0 // only nulls so far
const INT = 1 // int32 numbers → Int32Array
const DOUBLE = 2 // numbers, one of them not an integer → Float64Array
const BOOL = 3 // booleans → Uint8Array
const UTC = 4 // canonical `…Z` timestamps → string[] as is
const TEXT = 5 // strings, one of them not a zoned timestamp → string[] as is
const GENERAL = 6 // anything else: values kept in `cells` for the general path

interface Building {
  state: number
  values: Int32Array | Float64Array | Uint8Array | string[] | undefined
  validity: Uint8Array | undefined
  nullCount: number
  cells: unknown[] | undefined
}

const TYPE_OF_STATE: Record<number, ColumnType> = { [INT]: 'INT', [DOUBLE]: 'DOUBLE', [BOOL]: 'BOOLEAN', [UTC]: 'UTC_DATETIME', [TEXT]: 'STRING' }

/**
 * The fast path for the common batch: every row a plain object with the same keys in the same
 * order, and columns of plain numbers, booleans or strings. Each value is read once and stored
 * straight into its column's final storage while the column's type is inferred — instead of
 * copying values out, inferring, then encoding (three passes). A column that meets anything
 * else (objects, Dates, bigints, mixed kinds, declared types) keeps its raw values for the
 * general path; a row with other keys (or not an object) gives the whole batch to `transpose`.
 * Results are identical to the general path's: the states above admit only values for which
 * the general path's type and storage are known from the state alone.
 */
export function singlePass(rows: readonly Row[], declared: Readonly<Record<string, ColumnType>> | undefined): Scan | undefined {
  const n = rows.length
  const first = rows[0]
  if (n === 0 || typeof first !== 'object' || first === null || Array.isArray(first)) return undefined
  const names: string[] = []
  for (const key in first) names.push(key)
  const k = names.length
  const columns: Building[] = names.map((name) => ({
    state: declared?.[name] ? GENERAL : PENDING,
    values: undefined,
    validity: undefined,
    nullCount: 0,
    cells: declared?.[name] ? new Array(n) : undefined,
  }))
  for (let i = 0; i < n; i++) {
    const row = rows[i]
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return undefined
    let c = 0
    for (const key in row) {
      if (key !== names[c]) return undefined // also when the row has more keys than the first
      const column = columns[c]!
      const v = row[key]
      if (!put(column, i, v, n)) toGeneral(column, i, v, rows, names[c]!)
      c++
    }
    if (c !== k) return undefined
  }
  const cells: (unknown[] | undefined)[] = new Array(k)
  const built: (Column | undefined)[] = new Array(k)
  for (let c = 0; c < k; c++) {
    const column = columns[c]!
    if (column.state === GENERAL || column.state === PENDING) cells[c] = column.cells ?? new Array(n)
    else built[c] = finish(column, names[c]!, n)
  }
  return { names, cells, built }
}

/** Stores `v` at row `i` if it keeps the column in a single-pass state; false if it does not. */
function put(column: Building, i: number, v: unknown, n: number): boolean {
  if (v === null || v === undefined) {
    if (column.state === GENERAL) column.cells![i] = v
    else {
      column.validity ??= new Uint8Array((n + 7) >> 3).fill(0xff)
      column.validity[i >> 3]! &= ~(1 << (i & 7))
      column.nullCount++
    }
    return true
  }
  switch (column.state) {
    case INT:
      if (typeof v !== 'number') return false
      if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
        ;(column.values as Int32Array)[i] = v
        return true
      }
      // An integer beyond int32 could make the column LONG, and a -0 would be lost in Int32Array.
      if (Number.isInteger(v)) return false
      column.state = DOUBLE
      column.values = Float64Array.from(column.values as Int32Array) // exact: int32 ⊂ double
      ;(column.values as Float64Array)[i] = v
      return true
    case DOUBLE:
      if (typeof v !== 'number') return false
      ;(column.values as Float64Array)[i] = v
      return true
    case BOOL:
      if (typeof v !== 'boolean') return false
      ;(column.values as Uint8Array)[i] = v ? 1 : 0
      return true
    case UTC:
      if (typeof v !== 'string') return false
      if (parseCanonicalUtcMicros(v) === undefined) {
        // Another zoned form would need normalising if the column stays UTC_DATETIME.
        if (looksZonedIso(v)) return false
        column.state = TEXT
      }
      ;(column.values as string[])[i] = v
      return true
    case TEXT:
      if (typeof v !== 'string') return false
      ;(column.values as string[])[i] = v
      return true
    case PENDING:
      return start(column, i, v, n)
    default:
      column.cells![i] = v
      return true
  }
}

/** The first non-null value of a column picks its state and storage. */
function start(column: Building, i: number, v: unknown, n: number): boolean {
  if (typeof v === 'number') {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      column.state = INT
      column.values = new Int32Array(n)
    } else if (!Number.isInteger(v)) {
      column.state = DOUBLE
      column.values = new Float64Array(n)
    } else return false
  } else if (typeof v === 'boolean') {
    column.state = BOOL
    column.values = new Uint8Array(n)
  } else if (typeof v === 'string') {
    if (parseCanonicalUtcMicros(v) !== undefined) column.state = UTC
    else if (looksZonedIso(v)) return false
    else column.state = TEXT
    column.values = new Array<string>(n)
  } else return false
  return put(column, i, v, n)
}

/** Moves a column to the general path at row `i`: its earlier values are read again from the rows. */
function toGeneral(column: Building, i: number, v: unknown, rows: readonly Row[], name: string): void {
  const cells = new Array(rows.length)
  for (let j = 0; j < i; j++) cells[j] = rows[j]![name]
  cells[i] = v
  column.state = GENERAL
  column.cells = cells
  column.values = undefined
}

function finish(column: Building, name: string, n: number): Column {
  const { values, validity } = column
  if (validity) {
    if (n & 7) validity[n >> 3]! &= (1 << (n & 7)) - 1
    if (Array.isArray(values)) for (let i = 0; i < n; i++) if (((validity[i >> 3]! >> (i & 7)) & 1) === 0) values[i] = ''
  }
  return { name, type: TYPE_OF_STATE[column.state]!, values: values!, validity, nullCount: column.nullCount }
}

