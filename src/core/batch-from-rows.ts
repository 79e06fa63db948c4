import { Batch, type Column, type ColumnValues, type Row, type RowInput } from './batch.js'
import { baseType, widenType, type ColumnType } from './column-type.js'
import { encodeValue, NO_FIT } from './encode-value.js'
import { KIND, kindOf, typeOfKinds } from './infer-type.js'
import { SluiceError } from './sluice-error.js'

/** Options of {@link batchFromRows}. */
export interface FromRowsOptions {
  /** Declared column types: values are converted to them where that is lossless, else the column widens. */
  readonly columns?: Readonly<Record<string, ColumnType>>
  /** Table name, for error messages. */
  readonly table?: string
}

/**
 * Builds a columnar batch from plain rows: the union of their keys becomes the columns (a
 * missing key is NULL), declared types are used where the values fit, other columns are
 * inferred (see `inferType`). A value no column type can hold (function, symbol, invalid Date,
 * cyclic object) throws `UNSUPPORTED_VALUE` with the table, column and row index.
 *
 * @example
 * ```ts
 * import { batchFromRows } from 'sluice'
 * const b = batchFromRows([{ id: 1, at: '2026-01-01T00:00:00Z' }], { columns: { id: 'LONG' } })
 * b.types // { id: 'LONG', at: 'UTC_DATETIME' }
 * ```
 */
export function batchFromRows(input: readonly RowInput[], options: FromRowsOptions = {}): Batch {
  const rows = input as readonly Row[]
  const n = rows.length
  const names = columnNames(rows, options.table)
  const columns: Column[] = new Array(names.length)
  for (let c = 0; c < names.length; c++) {
    const name = names[c]!
    const declared = options.columns?.[name]
    columns[c] = (declared && encodeColumn(rows, name, declared)) || inferColumn(rows, name, declared, options.table)
  }
  return new Batch(columns, n)
}

function columnNames(rows: readonly Row[], table: string | undefined): string[] {
  const names: string[] = []
  const seen = new Set<string>()
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new SluiceError({
        code: 'UNSUPPORTED_VALUE',
        message: `row ${i}${table ? ` of table ${table}` : ''} must be a plain object, got ${Array.isArray(row) ? 'an array' : typeof row}`,
        context: { table, row: i },
      })
    }
    for (const key in row) {
      if (!seen.has(key)) {
        seen.add(key)
        names.push(key)
      }
    }
  }
  return names
}

function inferColumn(rows: readonly Row[], name: string, declared: ColumnType | undefined, table: string | undefined): Column {
  let mask = 0
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![name]
    if (v === null || v === undefined) continue
    const kind = kindOf(v, (mask & KIND.STRING) === 0)
    if (kind === KIND.BAD) throw unsupported(v, name, i, table)
    mask |= kind
  }
  let type = typeOfKinds(mask) ?? declared ?? 'STRING'
  if (declared) type = widenType(declared, type)
  const column = encodeColumn(rows, name, type)
  if (column) return column
  // Only reachable for values that even STRING can't hold (cyclic objects): find and name one.
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![name]
    if (v !== null && v !== undefined && encodeValue(v, 'STRING') === NO_FIT) throw unsupported(v, name, i, table)
  }
  throw unsupported(undefined, name, -1, table)
}

function unsupported(v: unknown, name: string, row: number, table: string | undefined): SluiceError {
  const what = typeof v === 'object' && v !== null ? (v instanceof Date ? 'an invalid Date' : 'a cyclic or unserialisable object') : `a ${typeof v}`
  return new SluiceError({
    code: 'UNSUPPORTED_VALUE',
    message: `column ${JSON.stringify(name)}${table ? ` of table ${table}` : ''}, row ${row}: ${what} can't be stored; convert it to a string, number, boolean, Date, Uint8Array, plain object or array first`,
    context: { table, column: name, row },
  })
}

/** Encodes a whole column as `type`, or `undefined` if some value does not fit it. */
function encodeColumn(rows: readonly Row[], name: string, type: ColumnType): Column | undefined {
  const n = rows.length
  const values = allocate(type, n)
  let validity: Uint8Array | undefined
  let nullCount = 0
  const typed = !Array.isArray(values)
  const isString = type === 'STRING'
  for (let i = 0; i < n; i++) {
    const v = rows[i]![name]
    if (v === null || v === undefined) {
      if (validity === undefined) validity = new Uint8Array((n + 7) >> 3).fill(0xff)
      validity[i >> 3]! &= ~(1 << (i & 7))
      nullCount++
      if (!typed) (values as unknown[])[i] = isBinary(type) ? EMPTY_BYTES : ''
      continue
    }
    // Fast paths for the common shapes; everything else goes through encodeValue.
    if (isString && typeof v === 'string') {
      ;(values as string[])[i] = v
      continue
    }
    if (typed && typeof v === 'number' && values instanceof Float64Array) {
      values[i] = v
      continue
    }
    const e = encodeValue(v, type)
    if (e === NO_FIT) return undefined
    ;(values as unknown as Record<number, unknown>)[i] = e
  }
  if (validity && n & 7) validity[n >> 3]! &= (1 << (n & 7)) - 1
  return { name, type, values, validity, nullCount }
}

const EMPTY_BYTES = new Uint8Array(0)

function isBinary(type: ColumnType): boolean {
  return type === 'BINARY'
}

/** Allocates the storage of `n` values of `type`. */
export function allocate(type: ColumnType, n: number): ColumnValues {
  switch (baseType(type)) {
    case 'BOOLEAN':
      return new Uint8Array(n)
    case 'SHORT':
      return new Int16Array(n)
    case 'INT':
      return new Int32Array(n)
    case 'LONG':
      return new BigInt64Array(n)
    case 'FLOAT':
      return new Float32Array(n)
    case 'DOUBLE':
      return new Float64Array(n)
    case 'BINARY':
      return new Array<Uint8Array>(n)
    default:
      return new Array<string>(n)
  }
}
