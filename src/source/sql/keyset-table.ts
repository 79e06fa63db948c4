import { SluiceError } from '../../core/sluice-error.js'
import type { TableSpec } from '../../core/table-spec.js'
import type { SourceColumn } from './batch-builder.js'
import type { TablePlan } from './table-options.js'

/** A mapped database column as the keyset reader needs it. */
export interface KeysetColumn extends SourceColumn {
  /** What a lookback means for it as a cursor: a duration, a number, or nothing. */
  readonly cursorKind: 'temporal' | 'numeric' | 'other'
  readonly notNull: boolean
  /** False when a value read back can't be compared exactly in SQL (MySQL FLOAT, ENUM): never a cursor or key. */
  readonly orderable?: boolean
}

/** A catalog column with its 1-based position in the primary key (0 when not in it). */
export interface RawColumn<C> {
  readonly mapped: C
  readonly pk: number
}

/**
 * A table resolved against the catalog: the columns read (in catalog order), the keyset order
 * (`cursor` then `key`, or `key` alone for a full read) and the table spec the sink gets.
 * Position columns that aren't read as data (a `ctid`) are `hidden`: selected after the data columns.
 */
export interface KeysetTable<C extends KeysetColumn> {
  readonly table: string
  readonly output: readonly C[]
  readonly hidden: readonly C[]
  readonly cursor: C | undefined
  /** Order key after the cursor: the primary key, or the row identity of a keyless table. */
  readonly key: readonly C[]
  /** Lookback in ms (temporal cursor) or cursor units (numeric cursor); 0 for none. */
  readonly lookback: number
  readonly spec: TableSpec
  /** Index in a raw row of the cursor and of each key column. */
  readonly cursorAt: number
  readonly keyAt: readonly number[]
}

/**
 * Resolves table options against catalog columns: checks every named column exists, picks the
 * key (option, else primary key, else `rowIdentity`), checks the lookback suits the cursor type,
 * and declares the table: `upsert` by key with a cursor, `replace` (full refresh) without.
 */
export function resolveTable<C extends KeysetColumn>(dialect: string, plan: TablePlan, columns: readonly RawColumn<C>[], rowIdentity: C | undefined): KeysetTable<C> {
  const byName = new Map(columns.map((c) => [c.mapped.name, c.mapped]))
  const fail = (message: string, extra: Record<string, unknown> = {}): never => {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${dialect} source, table ${JSON.stringify(plan.table)}: ${message}`, context: { table: plan.table, ...extra } })
  }
  const known = () => [...byName.keys()].map((n) => JSON.stringify(n)).join(', ')
  for (const name of [...plan.named, ...(plan.cursor ? [plan.cursor] : []), ...(plan.primaryKey ?? [])]) {
    if (!byName.has(name)) fail(`no column ${JSON.stringify(name)} (columns: ${known()})`, { column: name })
  }
  const cursor = plan.cursor ? byName.get(plan.cursor) : undefined
  const declaredKey = plan.primaryKey ?? columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.mapped.name)
  let key = declaredKey.map((n) => byName.get(n)!)
  const hidden: C[] = []
  if (key.length === 0) {
    if (!rowIdentity) fail('has no primary key; pass primaryKey: [columns that identify a row]')
    key = [rowIdentity!]
    hidden.push(rowIdentity!)
  }
  for (const c of [...(cursor ? [cursor] : []), ...key]) {
    if (!hidden.includes(c) && !plan.include(c.name)) fail(`columns leaves out ${JSON.stringify(c.name)}, which orders the read as cursor or key; keep it selected`, { column: c.name })
    if (c.type === 'JSON' || c.orderable === false) fail(`column ${JSON.stringify(c.name)} (${c.type}) can't be compared exactly to order a keyset; choose another cursor or key`, { column: c.name })
  }
  if (plan.lookback.value > 0) {
    if (!cursor) fail('lookback needs a cursor column')
    if (cursor!.cursorKind === 'other') fail(`lookback needs a date/time or numeric cursor; ${JSON.stringify(cursor!.name)} is ${cursor!.type}`)
    if (cursor!.cursorKind === 'numeric' && plan.lookback.text) fail(`cursor ${JSON.stringify(cursor!.name)} is numeric: give lookback as a number of cursor units, not a duration`)
  }
  // The cursor leads the order; a key column equal to it adds nothing.
  if (cursor) key = key.filter((c) => c !== cursor)
  const output = columns.map((c) => c.mapped).filter((c) => plan.include(c.name))
  const at = (c: C) => {
    const i = output.indexOf(c)
    return i >= 0 ? i : output.length + hidden.indexOf(c)
  }
  const spec: TableSpec = {
    table: plan.table,
    ...(declaredKey.length ? { primaryKey: declaredKey } : {}),
    columns: Object.fromEntries(output.map((c) => [c.name, c.type])),
    mode: cursor ? 'upsert' : 'replace',
  }
  return { table: plan.table, output, hidden, cursor, key, lookback: plan.lookback.value, spec, cursorAt: cursor ? at(cursor) : -1, keyAt: key.map(at) }
}

/**
 * The table with only the data columns `keep` lets through (a `select()` stage's selection):
 * blocked columns are then never selected. The cursor and key are always read — the keyset
 * needs them — and the stage downstream drops them if they are blocked.
 */
export function narrowTable<C extends KeysetColumn, T extends KeysetTable<C>>(table: T, keep: (column: string) => boolean): T {
  const needed = new Set<C>([...(table.cursor ? [table.cursor] : []), ...table.key])
  const output = table.output.filter((c) => needed.has(c) || keep(c.name))
  if (output.length === table.output.length) return table
  const at = (c: C) => {
    const i = output.indexOf(c)
    return i >= 0 ? i : output.length + table.hidden.indexOf(c)
  }
  const spec = { ...table.spec, columns: Object.fromEntries(output.map((c) => [c.name, c.type])) }
  return { ...table, output, spec, cursorAt: table.cursor ? at(table.cursor) : -1, keyAt: table.key.map(at) }
}
