import { ConfigIssues, isRecord } from '../../core/config-issues.js'
import type { Duration } from '../../core/duration.js'
import { parseDuration } from '../../core/duration.js'
import { SluiceError } from '../../core/sluice-error.js'

/**
 * One table of a database source. Without `cursor` the table is read in full at every sync and
 * lands in `replace` mode (rows gone from the source are soft-deleted when the sync succeeds);
 * with `cursor` only rows whose cursor moved past the saved position are read.
 *
 * @example
 * ```ts
 * import type { DatabaseTable } from 'sluice/postgres'
 * const orders: DatabaseTable = { table: 'orders', cursor: 'updated_at', lookback: '5m', columns: { exclude: ['card_number'] } }
 * ```
 */
export interface DatabaseTable {
  readonly table: string
  /** Incremental cursor column (a timestamp, date or number that grows when a row changes). */
  readonly cursor?: string
  /** Columns that identify a row; default: the table's primary key from the catalog. */
  readonly primaryKey?: readonly string[]
  /**
   * Overlap re-read at the start of each sync, for rows committed late with a cursor value
   * below one already read (a transaction that ran long): a duration for date/time cursors
   * (`'5m'`; a number is milliseconds), a number for numeric cursors (cursor units). Default 0.
   */
  readonly lookback?: Duration
  /** Column selection: columns left out are never read (not even selected). Key and cursor columns can't be excluded. */
  readonly columns?: { readonly include: readonly string[] } | { readonly exclude: readonly string[] }
}

/** A table option after validation: lookback resolved, selection as a predicate. */
export interface TablePlan {
  readonly table: string
  readonly cursor: string | undefined
  readonly primaryKey: readonly string[] | undefined
  /** The lookback as written: a duration in ms (temporal cursors) or units (numeric cursors). */
  readonly lookback: { readonly value: number; readonly text: boolean }
  readonly include: (column: string) => boolean
  /** Names the selection mentions, checked against the catalog. */
  readonly named: readonly string[]
}

const TABLE_KEYS = ['table', 'cursor', 'primaryKey', 'lookback', 'columns'] as const
const SELECTION = '{ readonly include: readonly [NonEmptyString, ...NonEmptyString[]] } | { readonly exclude: ReadonlyArray<NonEmptyString> }'
// The shape as the messages name it (the words effect/Schema printed when it checked these).
const TABLE_SHAPE =
  `{ readonly table: NonEmptyTrimmedString; readonly cursor?: NonEmptyString | undefined; readonly primaryKey?: readonly [NonEmptyString, ...NonEmptyString[]] | undefined; readonly lookback?: number | string | undefined; readonly columns?: ${SELECTION} | undefined }`

/** One entry's shape: every issue at once, each at its path (`postgresSource.tables[0].columns.include.1: …`). */
function checkTable(raw: unknown, at: string): DatabaseTable {
  const issues = new ConfigIssues(at)
  if (!isRecord(raw)) return issues.fail(TABLE_SHAPE, raw)
  issues.unexpectedKeys(raw, TABLE_KEYS)
  issues.string(raw['table'], 'table', { trimmed: true })
  issues.string(raw['cursor'], 'cursor', { optional: true })
  const primaryKey = raw['primaryKey']
  if (Array.isArray(primaryKey) && primaryKey.length === 0) issues.expected('primaryKey', 'a non-empty array of column names', primaryKey)
  else if (primaryKey !== undefined) issues.names(primaryKey, 'primaryKey', 'readonly [NonEmptyString, ...NonEmptyString[]]')
  const lookback = raw['lookback']
  if (lookback !== undefined && typeof lookback !== 'number' && typeof lookback !== 'string') issues.expected('lookback', 'number | string', lookback)
  const columns = raw['columns']
  if (columns !== undefined) {
    const [key, ...more] = isRecord(columns) ? Object.keys(columns) : []
    const names = isRecord(columns) && key ? columns[key] : undefined
    if (more.length > 0 || (key !== 'include' && key !== 'exclude')) issues.expected('columns', SELECTION, columns)
    else if (key === 'include' && Array.isArray(names) && names.length === 0) {
      issues.add('columns.include', 'Expected at least one column, actual []; leave `columns` out to read every column')
    } else issues.names(names, `columns.${key}`, key === 'include' ? 'readonly [NonEmptyString, ...NonEmptyString[]]' : 'ReadonlyArray<NonEmptyString>')
  }
  issues.throwIfAny()
  return raw as unknown as DatabaseTable
}

/** Validates `tables` of a database source (names or objects); throws `CONFIG_INVALID` naming the offending entry. */
export function parseTables(input: unknown, where: string): TablePlan[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${where}.tables must be a non-empty array of table names or { table, cursor?, … }`, context: { option: `${where}.tables` } })
  }
  const seen = new Set<string>()
  return input.map((raw, i) => {
    const at = `${where}.tables[${i}]`
    const t = checkTable(typeof raw === 'string' ? { table: raw } : raw, at)
    if (seen.has(t.table)) throw new SluiceError({ code: 'CONFIG_INVALID', message: `${at}: table ${JSON.stringify(t.table)} is listed twice`, context: { option: at } })
    seen.add(t.table)
    const lookback = t.lookback === undefined ? { value: 0, text: false } : { value: parseDuration(t.lookback, `${at}.lookback`), text: typeof t.lookback === 'string' }
    const columns = t.columns
    const include = columns && 'include' in columns ? new Set(columns.include) : undefined
    const exclude = columns && 'exclude' in columns ? new Set(columns.exclude) : undefined
    for (const needed of [...(t.cursor ? [t.cursor] : []), ...(t.primaryKey ?? [])]) {
      if ((include && !include.has(needed)) || exclude?.has(needed)) {
        throw new SluiceError({
          code: 'CONFIG_INVALID',
          message: `${at}.columns leaves out ${JSON.stringify(needed)}, which the source needs as its cursor or key; keep it selected`,
          context: { option: `${at}.columns`, column: needed },
        })
      }
    }
    return {
      table: t.table,
      cursor: t.cursor,
      primaryKey: t.primaryKey,
      lookback,
      include: (c: string) => (include ? include.has(c) : !exclude?.has(c)),
      named: [...(include ?? []), ...(exclude ?? [])],
    }
  })
}

/** Throws `CONFIG_INVALID` unless `n` is a positive integer. */
export function checkBatchSize(n: unknown, option: string): number {
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1_000_000) return n
  throw new SluiceError({ code: 'CONFIG_INVALID', message: `${option} must be an integer from 1 to 1_000_000 (rows), got ${JSON.stringify(n)}`, context: { option } })
}
