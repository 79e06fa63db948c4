import { Batch, type Column, type ColumnValues, type Row, type RowInput } from './batch.js'
import { baseType, widenType, type ColumnType } from './column-type.js'
import { describeUnstorable } from './describe-unstorable.js'
import { encodeValue, NO_FIT } from './encode-value.js'
import { KIND, kindOf, looksZonedIso, typeOfKinds } from './infer-type.js'
import { SluiceError } from './sluice-error.js'
import { singlePass, type Scan } from './single-pass.js'
import { parseCanonicalUtcMicros } from './temporal.js'
import { knownOptions } from './check-option.js'

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
 * cyclic object, an array nested too deep for JSON text) throws `UNSUPPORTED_VALUE` with the
 * table, column and row index, saying which it is.
 *
 * @example
 * ```ts
 * import { batchFromRows } from 'sluice'
 * const b = batchFromRows([{ id: 1, at: '2026-01-01T00:00:00Z' }], { columns: { id: 'LONG' } })
 * b.types // { id: 'LONG', at: 'UTC_DATETIME' }
 * ```
 */
export function batchFromRows(input: readonly RowInput[], options: FromRowsOptions = {}): Batch {
  knownOptions(options, { columns: true, table: true }, 'batchFromRows')
  const rows = input as readonly Row[]
  const { names, cells, built } = singlePass(rows, options.columns) ?? transpose(rows, options.table)
  const columns: Column[] = new Array(names.length)
  for (let c = 0; c < names.length; c++) {
    const done = built[c]
    if (done) {
      columns[c] = done
      continue
    }
    const name = names[c]!
    const values = cells[c]!
    const declared = options.columns?.[name]
    columns[c] = (declared && encodeColumn(values, name, declared)) || inferColumn(values, name, declared, options.table)
  }
  return new Batch(columns, rows.length)
}

/**
 * The rows' values column by column: `names` in order of first appearance (the union of the
 * rows' keys) and, per name, an array of `rows.length` values (a hole where a row lacks the key).
 *
 * Why copy first: reading `row[name]` for one name after another makes that property load
 * megamorphic, and inference then encoding read every value twice. One row-wise `for…in` pass
 * reads each value once through V8's enum-cache fast path; both column passes then index a
 * plain array.
 */
function transpose(rows: readonly Row[], table: string | undefined): Scan {
  const n = rows.length
  const names: string[] = []
  const cells: unknown[][] = []
  const index = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const row = rows[i]
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new SluiceError({
        code: 'UNSUPPORTED_VALUE',
        message: `row ${i}${table ? ` of table ${table}` : ''} must be a plain object, got ${Array.isArray(row) ? 'an array' : typeof row}`,
        context: { table, row: i },
      })
    }
    // Rows of one source nearly always list the same keys in the same order: comparing the k-th
    // key with the k-th known name (a pointer compare for interned keys) skips the map lookup.
    let k = 0
    for (const key in row) {
      let c: number
      if (names[k] === key) c = k++
      else {
        k = names.length // out of step with the names: the rest of this row goes through the map
        let known = index.get(key)
        if (known === undefined) {
          known = names.length
          index.set(key, known)
          names.push(key)
          cells.push(new Array(n))
        }
        c = known
      }
      cells[c]![i] = row[key]
    }
  }
  return { names, cells, built: [] }
}

function inferColumn(values: readonly unknown[], name: string, declared: ColumnType | undefined, table: string | undefined): Column {
  let mask = 0
  // True while every non-null value is canonical `…Z` text: such a UTC_DATETIME column is stored as
  // is (what normalizeUtc would return), so encoding need not parse each timestamp a second time.
  let canonicalUtc = true
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) continue
    // Strings first and inline (the common case): a canonical timestamp is a zoned ISO value, so
    // the cheap parse settles it without looksZonedIso's regex fallback.
    if (typeof v === 'string' && (mask & KIND.STRING) === 0 && parseCanonicalUtcMicros(v) !== undefined) {
      mask |= KIND.UTC
      continue
    }
    canonicalUtc = false
    const kind = kindOf(v, (mask & KIND.STRING) === 0)
    if (kind === KIND.BAD) throw unsupported(v, name, i, table)
    mask |= kind
  }
  let type = typeOfKinds(mask) ?? declared ?? 'STRING'
  if (declared) type = widenType(declared, type)
  // widenType ranks DOUBLE above LONG, but a double rounds an integer beyond 2^53: text keeps it.
  if (mask & KIND.WIDE && (type === 'DOUBLE' || type === 'FLOAT')) type = 'STRING'
  const column = encodeColumn(values, name, type, canonicalUtc)
  if (column) return column
  // Only reachable for values that even STRING can't hold (cyclic objects): find and name one.
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v !== null && v !== undefined && encodeValue(v, 'STRING') === NO_FIT) throw unsupported(v, name, i, table)
  }
  throw unsupported(undefined, name, -1, table)
}

function unsupported(v: unknown, name: string, row: number, table: string | undefined): SluiceError {
  // An object is described by what stops it (a cycle, nesting too deep, a throwing toJSON), never "cyclic or unserialisable".
  const object = typeof v === 'object' && v !== null && !(v instanceof Date) ? describeUnstorable(v) : undefined
  const what = object?.what ?? (v instanceof Date ? 'an invalid Date' : `a ${typeof v}`)
  const fix = object?.fix ?? 'convert it to a string, number, boolean, Date, Uint8Array, plain object or array first'
  return new SluiceError({
    code: 'UNSUPPORTED_VALUE',
    message: `column ${JSON.stringify(name)}${table ? ` of table ${table}` : ''}, row ${row}: ${what} can't be stored; ${fix}`,
    context: { table, column: name, row, ...(object ? { reason: object.reason } : {}), ...(object?.depth !== undefined ? { depth: object.depth } : {}) },
  })
}

/** How `encodeColumn` stores the common shapes without the general `encodeValue` (same results). */
const enum Fast {
  None,
  String, // STRING column, string value: stored as is
  Double, // DOUBLE column, number value: stored as is
  Int, // INT column, number that is an int32: `v | 0` is `v` exactly then
  Boolean, // BOOLEAN column, boolean value: 1 | 0
  Utc, // UTC_DATETIME column whose values inference saw as canonical `…Z` text: stored as is
}

function fastPathOf(type: ColumnType, canonicalUtc: boolean): Fast {
  switch (type) {
    case 'STRING':
      return Fast.String
    case 'DOUBLE':
      return Fast.Double
    case 'INT':
      return Fast.Int
    case 'BOOLEAN':
      return Fast.Boolean
    case 'UTC_DATETIME':
      return canonicalUtc ? Fast.Utc : Fast.None
    default:
      return Fast.None
  }
}

/**
 * Encodes a whole column as `type`, or `undefined` if some value does not fit it.
 * `canonicalUtc`: the caller has checked that every non-null value is canonical `…Z` text.
 */
function encodeColumn(cells: readonly unknown[], name: string, type: ColumnType, canonicalUtc = false): Column | undefined {
  const n = cells.length
  const values = allocate(type, n)
  let validity: Uint8Array | undefined
  let nullCount = 0
  const typed = !Array.isArray(values)
  const fast = fastPathOf(type, canonicalUtc)
  // Typed views of `values` for the fast paths (the other view is unused for that type).
  const numbers = values as Float64Array | Int32Array | Uint8Array
  const strings = values as string[]
  for (let i = 0; i < n; i++) {
    const v = cells[i]
    if (v === null || v === undefined) {
      if (validity === undefined) validity = new Uint8Array((n + 7) >> 3).fill(0xff)
      validity[i >> 3]! &= ~(1 << (i & 7))
      nullCount++
      if (!typed) (values as unknown[])[i] = isBinary(type) ? EMPTY_BYTES : ''
      continue
    }
    // Fast paths for the common shapes; everything else goes through encodeValue.
    switch (fast) {
      case Fast.String:
      case Fast.Utc:
        if (typeof v === 'string') {
          strings[i] = v
          continue
        }
        break
      case Fast.Double:
        if (typeof v === 'number') {
          numbers[i] = v
          continue
        }
        break
      case Fast.Int:
        if (typeof v === 'number' && (v | 0) === v) {
          numbers[i] = v
          continue
        }
        break
      case Fast.Boolean:
        if (typeof v === 'boolean') {
          numbers[i] = v ? 1 : 0
          continue
        }
        break
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
