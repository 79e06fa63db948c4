import type { Selection } from '../contracts/selection.js'
import type { Message, RecordsMessage, SchemaMessage } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import type { TableSpec } from '../core/table-spec.js'
import type { Stage, StageContext } from '../contracts/stage.js'
import { memoize2, parseRefs, type ColumnRef, type ParsedRef } from './name-pattern.js'
import { matchColumn } from '../core/match-column.js'
import { isNameKeeping, keepsNames } from './keeps-names.js'
import { UnmatchedNames, type WantedName } from './unmatched-names.js'
import { knownOptions } from '../core/check-option.js'

/** Options of {@link select}: each entry is `'table'`, `'table.column'` or `{ table, column? }`; globs `*` and `?` allowed. */
export interface SelectOptions {
  /** Only these tables (and, where columns are named for a table, only those columns of it). Default: everything. */
  readonly include?: readonly ColumnRef[]
  /** Never these tables / columns; wins over `include`. */
  readonly exclude?: readonly ColumnRef[]
}

/** A stage that also exposes its selection (sync passes it on to the source). */
export type SelectStage = Stage & { readonly selection: Selection }

/**
 * Syncs only the tables and columns asked for: a blocked table's messages are dropped and its
 * declared spec never reaches the destination; blocked columns are cut from every batch before
 * anything is written. A primary key column can't be excluded (the sync fails with
 * `CONFIG_INVALID`): hash it with `hashColumns` instead. Sources that consult `selection` don't
 * even fetch what is blocked.
 *
 * Rules: with no `include`, everything is included. A table is included when an `include` entry
 * names it (alone or with a column); a table named with columns keeps only those columns (plus
 * none other); `exclude` entries remove whole tables (`'audit_*'`) or single columns (`'*.ssn'`).
 * Names are those the stage sees: put it before `flatten` / `transform` to name the source's tables
 * and columns (and let the source skip them), after them to name what they produce
 * (`'users.address__city'`, `'users__tags'`); the source then reads everything and this stage drops.
 *
 * A name that matches nothing fails the sync with `CONFIG_INVALID` naming it and the nearest names
 * (a typo in `exclude` would sync what it meant to keep out), checked as `hashColumns` checks its
 * names: tables against those the source declares, columns of a named table at its first upsert
 * batch. A column the source leaves out because this select blocks it counts as found: a source
 * that honours `selection` asks it about every column it has.
 *
 * @example
 * ```ts
 * import { select, sqlite, sync, fromIterable } from 'sluice'
 * await sync({
 *   source: fromIterable('users', [{ id: 1, email: 'a@x', name: 'Ada' }], { primaryKey: ['id'] }),
 *   stages: [select({ exclude: ['users.email'] })],
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function select(options: SelectOptions): SelectStage {
  knownOptions(options, { include: true, exclude: true }, 'select')
  if (typeof options !== 'object' || options === null) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'select(options) needs { include?, exclude? }' })
  }
  const include = parseRefs(options.include, 'select.include')
  const exclude = parseRefs(options.exclude, 'select.exclude')
  if (options.include !== undefined && include.length === 0) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'select.include is empty, which would sync nothing; leave it out to include everything' })
  }
  const refs = [...include, ...exclude]
  const wanted = refs.map((r, i): WantedName => {
    const where = i < include.length ? `select.include[${i}]` : `select.exclude[${i - include.length}]`
    const consequence = i < include.length ? 'what it means to include would be left out' : 'what it means to exclude would be synced'
    return { label: `${where} '${r.table.text}${r.column ? `.${r.column.text}` : ''}'`, table: r.table, column: r.column, consequence }
  })
  const { selection, asked } = buildSelection(include, exclude)
  const stage: Stage = (messages, context) => {
    // Its own names are what its selection blocks, and a source honouring it never sends them: a name
    // counts as found when the selection was asked about a matching one (the source asks of every
    // name it has). Only while it speaks of the source's names: after flatten, `users.address` is
    // a declared name sync asked about, yet no column this stage will see.
    const sourceSide = context.sourceTables !== undefined
    const names = () => new UnmatchedNames(wanted, context, {
      blockedIsFound: false,
      tableKnown: (i) => sourceSide && asked.tables[i] === 1,
      columnKnown: (i) => sourceSide && asked.columns[i] === 1,
    })
    return selectMessages(messages, context, selection, names)
  }
  return keepsNames(Object.assign(stage, { selection }))
}

/** Which refs (include, then exclude) matched a table / column the selection was asked about. */
interface Asked {
  readonly tables: Uint8Array
  readonly columns: Uint8Array
}

function buildSelection(include: readonly ParsedRef[], exclude: readonly ParsedRef[]): { selection: Selection; asked: Asked } {
  const refs = [...include, ...exclude]
  const asked: Asked = { tables: new Uint8Array(refs.length), columns: new Uint8Array(refs.length) }
  // Marked where each name is decided for the first time (memoized): no cost per batch.
  const tableSelected = memoize2((table) => {
    for (let i = 0; i < refs.length; i++) if (refs[i]!.table.matches(table)) asked.tables[i] = 1
    if (exclude.some((r) => r.column === undefined && r.table.matches(table))) return false
    return include.length === 0 || include.some((r) => r.table.matches(table))
  })
  const columnSelected = memoize2((table, column) => {
    for (let i = 0; i < refs.length; i++) if (refs[i]!.column?.matches(column) && refs[i]!.table.matches(table)) asked.columns[i] = 1
    if (!tableSelected(table, '')) return false
    if (exclude.some((r) => r.column !== undefined && r.table.matches(table) && r.column.matches(column))) return false
    const named = include.filter((r) => r.column !== undefined && r.table.matches(table))
    return named.length === 0 || named.some((r) => r.column!.matches(column))
  })
  return { selection: { table: (table) => tableSelected(table, ''), column: columnSelected }, asked }
}

/**
 * The selection of the `select` stages that speak of the source's names (all must let a name
 * through), read from what the stages declare (`selection`, `keepsNames`), or `undefined` when
 * there is none; `sync()` puts it and the declared tables it lets through in the source's
 * catalog. Only select stages before the first stage that may rename or derive names count
 * (`flatten`, `transform`, your own; see `keepsNames`): after `flatten()`,
 * `select({ include: ['users.address__city'] })` names a column the source doesn't have, and
 * handing it down would make the source drop `address`, the column it comes from.
 */
export function selectionOf(stages: readonly Stage[]): Selection | undefined {
  const all: Selection[] = []
  for (const stage of stages) {
    const own = stage.selection
    if (own) all.push(own)
    else if (!isNameKeeping(stage)) break
  }
  return combined(all)
}

/** The selection of every `select` stage, wherever it stands: what the destination may receive of the declared tables. */
export function selectionOfAll(stages: readonly Stage[]): Selection | undefined {
  return combined(stages.flatMap((s) => (s.selection ? [s.selection] : [])))
}

function combined(all: readonly Selection[]): Selection | undefined {
  if (all.length === 0) return undefined
  if (all.length === 1) return all[0]
  // Every selection is asked (no short cut): each learns the names that exist (see `select`).
  const every = (ask: (s: Selection) => boolean) => all.reduce((yes, s) => ask(s) && yes, true)
  return { table: (t) => every((s) => s.table(t)), column: (t, c) => every((s) => s.column(t, c)) }
}

/** Declared tables as a selection lets them through: blocked tables gone, blocked declared columns dropped. */
export function selectTables(tables: readonly TableSpec[], selection: Selection): TableSpec[] {
  return tables
    .filter((t) => selection.table(t.table))
    .map((t) => (t.columns ? { ...t, columns: Object.fromEntries(Object.entries(t.columns).filter(([c]) => selection.column(t.table, c))) } : t))
}

async function* selectMessages(messages: AsyncIterable<Message>, context: StageContext, selection: Selection, names: () => UnmatchedNames): AsyncIterable<Message> {
  const check = names()
  for (const spec of context.tables) {
    if (!selection.table(spec.table)) continue
    const blocked = (spec.primaryKey ?? []).filter((k) => !selection.column(spec.table, k))
    if (blocked.length > 0) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `select excludes ${blocked.map((k) => `${spec.table}.${k}`).join(', ')}, the primary key of ${spec.table}; rows can't be written without their key — include it, or hash it with hashColumns`,
        context: { table: spec.table, columns: blocked },
      })
    }
  }
  for await (const message of messages) {
    if (message.kind === 'checkpoint') {
      yield message
      continue
    }
    const checking = check.see(message)
    if (checking) await checking
    if (!selection.table(message.table)) continue
    if (message.kind === 'records') yield matchColumn(message) === undefined ? selectColumns(message, selection) : message
    else if (message.kind === 'schema') {
      const kept = selectSchema(message, selection)
      if (kept) yield kept
    } else yield message
  }
  await check.end()
}

function selectColumns(message: RecordsMessage, selection: Selection): RecordsMessage {
  const batch = message.batch
  const keep = batch.names.filter((name) => selection.column(message.table, name))
  if (keep.length === batch.columns.length) return message
  return { kind: 'records', table: message.table, op: message.op, batch: batch.select(keep) }
}

function selectSchema(message: SchemaMessage, selection: Selection): SchemaMessage | undefined {
  const change = message.change
  if (change.type !== 'create_table') return selection.column(message.table, change.column) ? message : undefined
  const spec = selectTables([change.spec], selection)[0]
  return spec ? { kind: 'schema', table: message.table, change: { type: 'create_table', spec } } : undefined
}
