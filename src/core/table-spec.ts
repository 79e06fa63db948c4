import { Schema } from 'effect'
import { parseColumnType, type ColumnType } from './column-type.js'
import { decodeConfig } from './decode-config.js'
import { SluiceError } from './sluice-error.js'
import { WRITE_MODES } from './write-mode.js'

/**
 * How a table is written: `upsert` by primary key (default with a key), `append` every row,
 * `replace` (full refresh: rows not re-synced are soft-deleted when the sync succeeds),
 * `history` (SCD2 versions with `_sluice_start`, `_sluice_end`, `_sluice_active`).
 */
export type WriteMode = 'upsert' | 'append' | 'replace' | 'history'

/**
 * A table as a source declares it. `columns` may name only some columns: the others are
 * inferred from the data. Without `primaryKey`, rows are keyed by `_sluice_id`, a hash of the row.
 *
 * @example
 * ```ts
 * import type { TableSpec } from 'sluice'
 * const orders: TableSpec = { table: 'orders', primaryKey: ['id'], columns: { total: 'DECIMAL(12,2)' } }
 * ```
 */
export interface TableSpec {
  readonly table: string
  readonly primaryKey?: readonly string[]
  readonly columns?: Readonly<Record<string, ColumnType>>
  readonly mode?: WriteMode
}

/**
 * A table declaration as user code writes it. Same as `TableSpec`, except that a column may be
 * `undefined` — TypeScript widens an array of specs with different columns that way — and such
 * entries are ignored.
 */
export interface TableSpecInput {
  readonly table: string
  readonly primaryKey?: readonly string[]
  readonly columns?: { readonly [column: string]: ColumnType | undefined }
  readonly mode?: WriteMode
}

const TableSpecSchema = Schema.Struct({
  table: Schema.NonEmptyTrimmedString,
  primaryKey: Schema.optional(Schema.Array(Schema.NonEmptyString)),
  columns: Schema.optional(Schema.Record({ key: Schema.NonEmptyString, value: Schema.String })),
  mode: Schema.optional(Schema.Literal(...WRITE_MODES)),
})

/**
 * Validates table declarations (from a connector's `schema()` or a source's options) and
 * returns them with canonical column types; throws `CONFIG_INVALID` naming what is wrong.
 */
export function parseTableSpecs(input: unknown, where = 'schema'): TableSpec[] {
  if (!Array.isArray(input)) return decodeConfig(Schema.Array(TableSpecSchema), input, where) as never
  const seen = new Set<string>()
  return input.map((raw: unknown, i) => {
    checkMode(raw, `${where}[${i}]`)
    const spec = decodeConfig(TableSpecSchema, withoutUndefinedColumns(raw), `${where}[${i}]`)
    if (seen.has(spec.table)) return duplicate(where, spec.table)
    seen.add(spec.table)
    const columns: Record<string, ColumnType> = {}
    for (const [name, type] of Object.entries(spec.columns ?? {})) columns[name] = parseColumnType(type, `${where}[${i}].columns.${name}`)
    const out: TableSpec = {
      table: spec.table,
      ...(spec.primaryKey && spec.primaryKey.length > 0 ? { primaryKey: [...spec.primaryKey] } : {}),
      ...(spec.columns ? { columns } : {}),
      ...(spec.mode ? { mode: spec.mode } : {}),
    }
    return out
  })
}

/**
 * A literal union's own error names only its first member (`Expected "upsert", actual "hist"`),
 * which reads as if upsert were the one valid mode: list them all.
 */
function checkMode(raw: unknown, where: string): void {
  const mode = (raw as { mode?: unknown } | null)?.mode
  if (mode === undefined || (WRITE_MODES as readonly unknown[]).includes(mode)) return
  const got = typeof mode === 'string' ? `'${mode}'` : String(JSON.stringify(mode) ?? mode)
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${where}.mode\` must be one of ${WRITE_MODES.join(', ')}; got ${got}`,
    context: { option: `${where}.mode`, got: mode },
  })
}

function withoutUndefinedColumns(raw: unknown): unknown {
  const columns = (raw as { columns?: unknown } | null)?.columns
  if (typeof columns !== 'object' || columns === null) return raw
  return { ...(raw as object), columns: Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined)) }
}

function duplicate(where: string, table: string): never {
  return decodeConfig(Schema.Never, { table }, `${where}: table ${JSON.stringify(table)} is declared twice`)
}

export { modeOf } from './write-mode.js'
