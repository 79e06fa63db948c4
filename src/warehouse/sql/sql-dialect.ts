/** A value bound to a statement of the operations SQL (booleans become 1/0 where the database has none). */
export type SqlValue = string | number | bigint | boolean | Uint8Array | null

/**
 * A destination's connection as the shared operations SQL sees it: one method, rows as objects
 * keyed by column name. Each destination adapts its driver (better-sqlite3, pg, DuckDB) to it,
 * caching prepared statements where the driver has them.
 */
export interface SqlConnection {
  query(sql: string, params: readonly SqlValue[]): Promise<Record<string, unknown>[]>
}

/**
 * What differs between the SQL destinations in the MAR and connector-control tables: the
 * placeholder style, where the tables live, column types, the clock and the auto-numbered ids.
 * Everything else — the statements, upserts with `excluded`, `RETURNING` — is the same text on
 * SQLite (3.35+), Postgres and DuckDB.
 *
 * @example
 * ```ts
 * import type { SqlDialect } from './sql-dialect.js'
 * declare const dialect: SqlDialect
 * const sql = `SELECT 1 FROM ${dialect.table('_sluice_mar')} WHERE "month" = ${dialect.placeholder(1)}`
 * ```
 */
export interface SqlDialect {
  /** The `index`-th (1-based) parameter: `?` (SQLite) or `$1` (Postgres, DuckDB). */
  placeholder(index: number): string
  /** A meta table's name as SQL, schema-qualified where the destination has schemas. */
  table(name: string): string
  /** SQL for the current instant: a timestamp, or ISO-8601 text where the database has no time type. */
  readonly now: string
  readonly types: {
    readonly text: string
    readonly bigint: string
    readonly double: string
    readonly boolean: string
    readonly blob: string
    readonly timestamp: string
  }
  /** An auto-numbered primary key column named `column` of `table`, with any statement it needs first (DuckDB: a sequence). */
  identity(table: string, column: string): { readonly definition: string; readonly before?: string }
  /** Whether `_sluice_mar_keys` gets an index on `bucket` (DuckDB's destination never had one; its tables keep the shape they were created with). */
  readonly keysIndex: boolean
  /** Whether a `WITH` may hold an `UPDATE … RETURNING` that the statement's `INSERT` reads (Postgres): several writes, one round trip. */
  readonly writingWith?: boolean
  /** ORDER BY of `_sluice_syncs`, newest first, with a tie-break for syncs started in the same millisecond. */
  readonly newestFirst: string
}

/** `text` written with `?` for each parameter, in the dialect's placeholder style. */
export function withPlaceholders(dialect: SqlDialect, text: string): string {
  let n = 0
  return text.replace(/\?/g, () => dialect.placeholder(++n))
}
