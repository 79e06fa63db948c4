import type { DuckDBConnection } from '@duckdb/node-api'
import { baseType, type ColumnType } from '../../core/column-type.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'
import { SluiceError } from '../../core/sluice-error.js'
import { formatEpochMicros } from '../../codec/epoch-micros.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { widenStoredValue, type LayoutColumn, type TableLayout } from '../layout/table-layout.js'
import { duckdbType } from './duckdb-ddl.js'
import type { DuckDbModule } from './load-duckdb.js'

const NUMERIC = new Set(['BOOLEAN', 'SHORT', 'INT', 'LONG', 'FLOAT', 'DOUBLE'])
const MAX_SAFE = 9007199254740991n

/**
 * Widens a column's stored values from `from` to the column's (new) type so that they equal what
 * a fresh write of the new type stores (see `widenStoredValue`), with one `ALTER … SET DATA TYPE
 * … USING`, which DuckDB (unlike an UPDATE followed by an ALTER) commits in the same transaction
 * as the rows around it. Numeric widenings, DECIMAL to a wider DECIMAL and DATE to TIMESTAMP are
 * exact casts; a LONG beyond 2^53 refuses to become a DOUBLE. Conversions to text (STRING, JSON)
 * go through `sluice_widen`, a JS function (see {@link registerWiden}), because DuckDB prints
 * doubles, timestamps and blobs differently from a fresh write. A key column can't change type.
 */
export async function migrateColumn(connection: DuckDBConnection, layout: TableLayout, column: LayoutColumn, from: ColumnType, isKey: boolean): Promise<void> {
  const to = column.type
  if (duckdbType(from) === duckdbType(to)) return
  const where = { table: layout.table, column: column.source }
  if (isKey) {
    throw new SluiceError({
      code: 'DESTINATION_WRITE',
      message: `duckdb: primary key column ${column.name} of ${layout.name} changed type from ${from} to ${to}; declare its type in the table spec so it stays stable`,
      context: { ...where, from, to },
    })
  }
  const t = quoteIdent(layout.name)
  const c = quoteIdent(column.name)
  const f = baseType(from)
  const b = baseType(to)
  let using: string
  if ((NUMERIC.has(f) && NUMERIC.has(b)) || (f === 'DECIMAL' && b === 'DECIMAL') || (f === 'NAIVE_DATE' && b === 'NAIVE_DATETIME')) {
    if (f === 'LONG' && (b === 'DOUBLE' || b === 'FLOAT')) {
      const reader = await connection.runAndReadAll(`SELECT ${c} FROM ${t} WHERE abs(${c}) > 9007199254740991 LIMIT 1`)
      const [row] = reader.getRows()
      if (row) widenStoredValue(row[0], from, to, where) // throws: no exact double for it
    }
    using = c
  } else if (b === 'STRING' || b === 'JSON') {
    const args = [textOf(c, f), ...[from, to, layout.table, column.source].map((s) => `'${s.replace(/'/g, "''")}'`)]
    using = `sluice_widen(${args.join(', ')})`
  } else {
    throw new SluiceError({ code: 'DESTINATION_WRITE', message: `duckdb: can't widen column ${column.name} of ${layout.name} from ${from} to ${to}`, context: { ...where, from, to } })
  }
  try {
    await connection.run(`ALTER TABLE ${t} ALTER COLUMN ${c} SET DATA TYPE ${duckdbType(to)} USING ${using}`)
  } catch (cause) {
    throw new SluiceError({
      code: 'DESTINATION_WRITE',
      message: `duckdb: widening column ${column.name} of ${layout.name} from ${from} to ${to} failed: ${(cause as Error).message.replace(/^Invalid Input Error: /, '')}`,
      cause,
      context: { ...where, from, to },
    })
  }
}

/** SQL giving the stored value as text from which JS rebuilds its exact view (see `viewOf`). */
function textOf(column: string, from: string): string {
  switch (from) {
    case 'FLOAT':
      return `CAST(CAST(${column} AS DOUBLE) AS VARCHAR)` // the float's exact double, not its short float text
    case 'UTC_DATETIME':
    case 'NAIVE_DATETIME':
      return `CAST(epoch_us(${column}) AS VARCHAR)`
    case 'BINARY':
      return `to_base64(${column})`
    default:
      return `CAST(${column} AS VARCHAR)`
  }
}

/** The JS view (as `valueAt` gives it) of a value from its `textOf` form. */
function viewOf(text: string, from: ColumnType): unknown {
  switch (baseType(from)) {
    case 'BOOLEAN':
      return text === 'true'
    case 'SHORT':
    case 'INT':
      return Number(text)
    case 'LONG': {
      const v = BigInt(text)
      return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v
    }
    case 'FLOAT':
    case 'DOUBLE':
      return text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? Number.NaN : Number(text)
    case 'UTC_DATETIME':
      return formatEpochMicros(BigInt(text), 'Z')
    case 'NAIVE_DATETIME':
      return formatEpochMicros(BigInt(text), '')
    case 'BINARY':
      return new Uint8Array(Buffer.from(text, 'base64'))
    case 'JSON':
      return parseJsonExact(text) // JSON.parse would round numbers beyond a double
    default:
      return text
  }
}

const registered = new WeakSet<DuckDBConnection>()

/**
 * Registers `sluice_widen(text, from, to, table, column) → VARCHAR` on a connection: the value a
 * fresh write of type `to` stores for a value of type `from` (given in its `textOf` form). DuckDB
 * calls it on the JS thread; a value that can't be widened without loss fails the statement.
 */
export function registerWiden(duck: DuckDbModule, connection: DuckDBConnection): void {
  if (registered.has(connection)) return
  registered.add(connection)
  const { DuckDBScalarFunction, VARCHAR } = duck.api
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'sluice_widen',
      returnType: VARCHAR,
      parameterTypes: [VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR],
      mainFunction: (info, input, output) => {
        const [texts, froms, tos, tables, columns] = [0, 1, 2, 3, 4].map((i) => input.getColumnVector(i))
        try {
          for (let row = 0; row < input.rowCount; row++) {
            const text = texts!.getItem(row) as string | null
            if (text === null) {
              output.setItem(row, null)
              continue
            }
            const from = froms!.getItem(row) as ColumnType
            const where = { table: tables!.getItem(row) as string, column: columns!.getItem(row) as string }
            output.setItem(row, widenStoredValue(viewOf(text, from), from, tos!.getItem(row) as ColumnType, where) as string)
          }
          output.flush()
        } catch (error) {
          info.setError((error as Error).message)
        }
      },
    }),
  )
}
