import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { SluiceError } from '../core/sluice-error.js'

/** The database engines `sluice debug` can write its warehouse file with. */
export const WAREHOUSE_FORMATS = ['sqlite', 'duckdb'] as const

/** One of {@link WAREHOUSE_FORMATS}. */
export type WarehouseFormat = (typeof WAREHOUSE_FORMATS)[number]

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1')
/** DuckDB's main header: an 8-byte checksum, then the magic bytes "DUCK". */
const DUCKDB_MAGIC = Buffer.from('DUCK', 'latin1')
const DUCKDB_MAGIC_AT = 8

/**
 * What engine wrote the warehouse file at `path`, from its first bytes (SQLite files start with
 * "SQLite format 3\0", DuckDB files hold "DUCK" at byte 8): so `status`, `mar`, `schema` and a
 * later `debug` read a DuckDB warehouse without being told. `undefined` when there is no file
 * (or a folder in its place), or an empty one (SQLite creates it empty until the first write); a file of any other kind is
 * `WAREHOUSE_FORMAT`.
 *
 * @example
 * ```ts
 * import { warehouseFormat } from './warehouse-format.js'
 * warehouseFormat('my_connector/files/warehouse.db') // 'duckdb'
 * ```
 */
export function warehouseFormat(path: string): WarehouseFormat | undefined {
  // No file, or something else in its place (a folder): the sink opening it says what is wrong.
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined
  const head = Buffer.alloc(16)
  let read: number
  const fd = openSync(path, 'r')
  try {
    read = readSync(fd, head, 0, head.length, 0)
  } finally {
    closeSync(fd)
  }
  if (read === 0) return undefined
  if (read >= SQLITE_MAGIC.length && head.equals(SQLITE_MAGIC)) return 'sqlite'
  if (read >= DUCKDB_MAGIC_AT + DUCKDB_MAGIC.length && head.subarray(DUCKDB_MAGIC_AT, DUCKDB_MAGIC_AT + DUCKDB_MAGIC.length).equals(DUCKDB_MAGIC)) return 'duckdb'
  throw new SluiceError({
    code: 'WAREHOUSE_FORMAT',
    message: `${path} is neither a SQLite nor a DuckDB database; move it away or run \`sluice reset\` to start over`,
    context: { path },
  })
}
