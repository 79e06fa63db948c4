import { baseType, type ColumnType } from './column-type.js'
import { parseJsonExact } from './parse-json-exact.js'
import { SluiceError } from './sluice-error.js'

/** One row as user code sees it: column name → JS value (`null` for SQL NULL). */
export type Row = Record<string, unknown>

/** A row as user code may hand it in: any object, including an interface type without an index signature. */
export type RowInput = object

/**
 * Storage of one column. Numbers and booleans live in typed arrays (zero-copy to Arrow);
 * text-like types (STRING, JSON as JSON text, DECIMAL as exact digits, the three temporal
 * types as ISO-8601 text) in a JS string array with `''` at null slots; BINARY as byte arrays.
 */
export type ColumnValues =
  | Uint8Array // BOOLEAN (0 | 1)
  | Int16Array // SHORT
  | Int32Array // INT
  | BigInt64Array // LONG
  | Float32Array // FLOAT
  | Float64Array // DOUBLE
  | string[] // DECIMAL, NAIVE_DATE, NAIVE_DATETIME, UTC_DATETIME, STRING, JSON
  | Uint8Array[] // BINARY

/** A column of a batch. `validity` is an Arrow-layout bitmap (bit set = has a value), absent when no value is null. */
export interface Column {
  readonly name: string
  readonly type: ColumnType
  readonly values: ColumnValues
  readonly validity: Uint8Array | undefined
  readonly nullCount: number
}

/** True when row `i` of `column` is NULL. */
export function isNull(column: Column, i: number): boolean {
  const v = column.validity
  return v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0
}

/**
 * The JS value of row `i` of a column, as user code and row-wise sinks see it:
 * numbers, booleans, bigint for LONG beyond 2^53, ISO text for temporal types, exact text for
 * DECIMAL, parsed values for JSON (integers beyond 2^53 in them as bigints), `Uint8Array` for
 * BINARY, `null` for NULL.
 */
export function valueAt(column: Column, i: number): unknown {
  if (isNull(column, i)) return null
  const values = column.values
  switch (baseType(column.type)) {
    case 'BOOLEAN':
      return (values as Uint8Array)[i] === 1
    case 'LONG': {
      const big = (values as BigInt64Array)[i]!
      return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big
    }
    case 'JSON':
      return parseJsonExact((values as string[])[i]!) // integers beyond 2^53 as bigints, as they were stored
    default:
      return (values as ArrayLike<unknown>)[i]
  }
}

/**
 * A columnar batch of rows of one table: the unit that flows from sources through stages to
 * sinks. Immutable by convention: stages build new batches (sharing untouched columns) and
 * never write into an input batch.
 *
 * @example
 * ```ts
 * import { batchFromRows } from 'sluice'
 * const batch = batchFromRows([{ id: 1, name: 'a' }, { id: 2, name: null }])
 * batch.length // 2
 * batch.toRows() // [{ id: 1, name: 'a' }, { id: 2, name: null }]
 * ```
 */
export class Batch {
  readonly #byName: Map<string, Column>

  /** A batch of `length` rows over `columns` (each holding `length` values); `batchFromRows` builds one from row objects. */
  constructor(
    readonly columns: readonly Column[],
    readonly length: number,
  ) {
    this.#byName = new Map(columns.map((c) => [c.name, c]))
  }

  /** Column names in order. */
  get names(): string[] {
    return this.columns.map((c) => c.name)
  }

  /** The column called `name`, if the batch has one. */
  column(name: string): Column | undefined {
    return this.#byName.get(name)
  }

  /** The column types, as a table spec's `columns` map. */
  get types(): Record<string, ColumnType> {
    const out: Record<string, ColumnType> = {}
    for (const c of this.columns) out[c.name] = c.type
    return out
  }

  /** Rows as plain objects (every column present, `null` for NULL). Costs one object per row: avoid on hot paths. */
  toRows(): Row[] {
    const rows: Row[] = new Array(this.length)
    const cols = this.columns
    for (let i = 0; i < this.length; i++) {
      const row: Row = {}
      for (let c = 0; c < cols.length; c++) row[cols[c]!.name] = valueAt(cols[c]!, i)
      rows[i] = row
    }
    return rows
  }

  /** A batch with only the named columns (in the given order); unknown names are skipped. */
  select(names: readonly string[]): Batch {
    const cols: Column[] = []
    for (const n of names) {
      const c = this.#byName.get(n)
      if (c) cols.push(c)
    }
    return new Batch(cols, this.length)
  }

  /** A batch with `column` added, or replacing the column of the same name in place. */
  withColumn(column: Column): Batch {
    if (column.values.length !== this.length) {
      throw new SluiceError({
        code: 'UNSUPPORTED_VALUE',
        message: `column ${column.name} has ${column.values.length} values, batch has ${this.length}`,
        context: { column: column.name, values: column.values.length, rows: this.length },
      })
    }
    const i = this.columns.findIndex((c) => c.name === column.name)
    const cols = [...this.columns]
    if (i === -1) cols.push(column)
    else cols[i] = column
    return new Batch(cols, this.length)
  }

  /** A batch of the rows whose `keep[i]` is non-zero, in order. */
  filter(keep: ArrayLike<number | boolean>): Batch {
    const index: number[] = []
    for (let i = 0; i < this.length; i++) if (keep[i]) index.push(i)
    if (index.length === this.length) return this
    return new Batch(this.columns.map((c) => takeRows(c, index)), index.length)
  }

  /** Rows `start` (inclusive) to `end` (exclusive) as a new batch. */
  slice(start: number, end: number = this.length): Batch {
    const s = Math.max(0, start)
    const e = Math.min(this.length, end)
    const index = Array.from({ length: Math.max(0, e - s) }, (_, k) => s + k)
    return new Batch(this.columns.map((c) => takeRows(c, index)), index.length)
  }
}

/** A new column with the rows at `index` (in that order). */
export function takeRows(column: Column, index: readonly number[]): Column {
  const n = index.length
  const src = column.values
  let values: ColumnValues
  if (Array.isArray(src)) {
    const out = new Array(n)
    for (let k = 0; k < n; k++) out[k] = src[index[k]!]
    values = out as ColumnValues
  } else {
    const Ctor = (src as Int32Array).constructor as new (n: number) => Int32Array
    const out = new Ctor(n)
    const typed = src as unknown as ArrayLike<number>
    for (let k = 0; k < n; k++) out[k] = typed[index[k]!]!
    values = out as unknown as ColumnValues
  }
  if (column.validity === undefined) return { ...column, values, validity: undefined, nullCount: 0 }
  const validity = new Uint8Array((n + 7) >> 3)
  let nullCount = 0
  for (let k = 0; k < n; k++) {
    if (isNull(column, index[k]!)) nullCount++
    else validity[k >> 3]! |= 1 << (k & 7)
  }
  return { ...column, values, validity: nullCount === 0 ? undefined : validity, nullCount }
}
