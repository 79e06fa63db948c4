import { parseColumnType, type ColumnType } from './column-type.js'
import { ConfigIssues, isRecord } from './config-issues.js'
import { SluiceError } from './sluice-error.js'
import { WRITE_MODES, type WriteMode } from './write-mode.js'

export { type WriteMode, modeOf } from './write-mode.js'

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

const SPEC_KEYS = ['table', 'primaryKey', 'columns', 'mode'] as const
// The shape as the messages name it (the words effect/Schema printed when it checked these).
const SPEC_SHAPE =
  '{ readonly table: NonEmptyTrimmedString; readonly primaryKey?: ReadonlyArray<NonEmptyString> | undefined; readonly columns?: { readonly [x: NonEmptyString]: string } | undefined; readonly mode?: "upsert" | "append" | "replace" | "history" | undefined }'

/**
 * Validates table declarations (from a connector's `schema()` or a source's options) and
 * returns them with canonical column types; throws `CONFIG_INVALID` naming what is wrong.
 */
export function parseTableSpecs(input: unknown, where = 'schema'): TableSpec[] {
  if (!Array.isArray(input)) new ConfigIssues(where).fail(`ReadonlyArray<${SPEC_SHAPE}>`, input)
  const seen = new Set<string>()
  return (input as unknown[]).map((raw: unknown, i) => {
    checkMode(raw, `${where}[${i}]`)
    const spec = checkSpec(raw, `${where}[${i}]`)
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

interface CheckedSpec {
  readonly table: string
  readonly primaryKey?: readonly string[]
  readonly columns?: Readonly<Record<string, string>>
  readonly mode?: WriteMode
}

/** One declaration's shape: every issue at once, each at its path (`schema[0].primaryKey.1: …`). */
function checkSpec(raw: unknown, at: string): CheckedSpec {
  const issues = new ConfigIssues(at)
  if (!isRecord(raw)) return issues.fail(SPEC_SHAPE, raw)
  const spec = raw
  issues.unexpectedKeys(spec, SPEC_KEYS)
  issues.string(spec['table'], 'table', { trimmed: true })
  if (spec['primaryKey'] !== undefined) issues.names(spec['primaryKey'], 'primaryKey', 'ReadonlyArray<NonEmptyString>')
  const columns = spec['columns']
  // Entries that are `undefined` are ignored: TypeScript widens an array of specs with different columns that way.
  if (columns !== undefined && !isRecord(columns)) issues.expected('columns', '{ readonly [x: NonEmptyString]: string }', columns)
  else if (columns !== undefined) {
    for (const [name, type] of Object.entries(columns)) {
      if (name === '') issues.add('columns', 'a column name must be a non empty string, got ""')
      else if (type !== undefined && typeof type !== 'string') issues.expected(`columns.${name}`, 'string', type)
    }
  }
  const mode = spec['mode'] // checked by checkMode
  issues.throwIfAny()
  return {
    table: spec['table'] as string,
    ...(spec['primaryKey'] !== undefined ? { primaryKey: spec['primaryKey'] as readonly string[] } : {}),
    ...(isRecord(columns) ? { columns: Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined)) as Record<string, string> } : {}),
    ...(mode !== undefined ? { mode: mode as WriteMode } : {}),
  }
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

function duplicate(where: string, table: string): never {
  throw new SluiceError({ code: 'CONFIG_INVALID', message: `${where}: table ${JSON.stringify(table)} is declared twice; declare each table once`, context: { option: where, table } })
}

