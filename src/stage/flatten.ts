import { Batch, valueAt, type Column, type Row } from '../core/batch.js'
import { batchFromRows } from '../core/batch-from-rows.js'
import { baseType } from '../core/column-type.js'
import type { Message, RecordsMessage } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import { rowHashes } from '../core/row-hash.js'
import type { Stage } from '../contracts/stage.js'
import { matchColumn } from '../core/match-column.js'
import { CHILD_KEY, ChildTables, ROOT_ID, type ChildTable } from './child-tables.js'
import { memoize2, namePattern } from './name-pattern.js'
import { knownOptions } from '../core/check-option.js'

/** Options of {@link flatten}. */
export interface FlattenOptions {
  /** Levels of nested objects turned into columns (default 10): with 1, `{ a: { b: { c: 1 } } }` gives `a__b` = `{"c":1}` (JSON). */
  readonly maxDepth?: number
  /** Arrays stay JSON columns (`'json'`, default) or become child tables `<table>__<column>` (`'table'`). */
  readonly arrays?: 'json' | 'table'
  /** Tables to flatten (names or globs; default every table). */
  readonly tables?: readonly string[]
}

/**
 * Turns nested objects (JSON columns) into `parent__child` columns up to `maxDepth` levels, and
 * optionally arrays into child tables `<table>__<column>` whose rows carry `_sluice_parent_id` (the
 * parent's primary key value; a JSON array of the values for a composite key; the parent's
 * `_sluice_id` row hash for a keyless table) and `_sluice_index` (the position), keyed by both.
 * Array elements that are objects are flattened into the child's columns, others go to `value`;
 * arrays nested in elements become grandchild tables the same way, whose rows also carry
 * `_sluice_root_id` (the source row's parent id). Use it when a warehouse should query nested API
 * data as columns. Without it, objects and arrays land as JSON columns.
 *
 * Child tables mirror the parents' current arrays: each upsert or delete of parents first
 * soft-deletes their rows in every descendant table (`match: 'column'` deletes, in the same
 * transaction), then upserts the current elements, which un-deletes the keys still present. A
 * shrunk, empty or NULL array leaves no live rows past its length, and a deleted parent's
 * children are deleted too. Descendant tables are known from the destination (`describe`) and
 * from this run; one is told apart by its name (`<table>__…`) and key (`_sluice_parent_id`,
 * `_sluice_index`).
 *
 * @example
 * ```ts
 * import { flatten, fromIterable, memory, sync } from 'sluice'
 * await sync({
 *   source: fromIterable('users', [{ id: 1, address: { city: 'Oslo' }, tags: ['a', 'b'] }], { primaryKey: ['id'] }),
 *   stages: [flatten({ maxDepth: 2, arrays: 'table' })], // users.address__city, table users__tags
 *   destination: memory(),
 * })
 * ```
 */
export function flatten(options: FlattenOptions = {}): Stage {
  knownOptions(options, { maxDepth: true, arrays: true, tables: true }, 'flatten')
  const maxDepth = options.maxDepth ?? 10
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `flatten.maxDepth must be a positive integer (levels), got ${String(maxDepth)}` })
  }
  const arrays = options.arrays ?? 'json'
  if (arrays !== 'json' && arrays !== 'table') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `flatten.arrays must be 'json' or 'table', got ${JSON.stringify(arrays)}` })
  }
  const patterns = (options.tables ?? ['*']).map((t, i) => namePattern(t, `flatten.tables[${i}]`))
  const applies = memoize2((table) => patterns.some((p) => p.matches(table)))
  return async function* (messages, context) {
    const keys = new Map(context.tables.map((t) => [t.table, t.primaryKey ?? []]))
    let children: ChildTables | undefined
    for await (const message of messages) {
      if (message.kind !== 'records' || !applies(message.table, '') || matchColumn(message) !== undefined) {
        yield message
        continue
      }
      children ??= new ChildTables(arrays === 'table' && context.describeDestination ? await context.describeDestination() : [])
      const primaryKey = keys.get(message.table) ?? []
      // Known before this batch: a table it creates has no old rows to clear.
      const clear = arrays === 'table' ? children.of(message.table, message.op === 'update' ? message.batch.names : undefined) : []
      const out = flattenRecords(message, primaryKey, { maxDepth, arrays, children }, 0, undefined)
      yield* clear.length > 0 ? [out[0]!, ...clearChildren(out[0] as RecordsMessage, primaryKey, clear), ...out.slice(1)] : out
    }
  }
}

interface Settings {
  readonly maxDepth: number
  readonly arrays: 'json' | 'table'
  readonly children: ChildTables
}

/** Element of an array bound for a child table. */
interface Pending {
  readonly child: string
  readonly row: number
  readonly index: number
  readonly element: unknown
}

/**
 * Delete-insert, as dlt's merge does it: before a parent's current arrays are written, every live
 * row of its descendant tables is soft-deleted (children by `_sluice_parent_id`, deeper levels by
 * `_sluice_root_id`); the upserts that follow un-delete the (parent, index) keys still present.
 * So a shrunk, emptied or nulled array leaves no stale rows, nor do the grandchildren of removed
 * elements, and a deleted parent takes its descendants with it. An update clears only the
 * descendants of the columns it sets. The cost: a re-synced parent's children are written twice
 * (cleared, then upserted), which dlt accepts too; a table the batch itself creates is skipped.
 */
function clearChildren(parent: RecordsMessage, primaryKey: readonly string[], tables: readonly ChildTable[]): Message[] {
  if (parent.batch.length === 0) return []
  const ids = parentIdsOf(parent.batch, primaryKey)
  const roots = new Set<unknown>()
  for (let i = 0; i < parent.batch.length; i++) roots.add(ids(i))
  return tables.map(({ table, column }): Message => ({
    kind: 'records', table, op: 'delete', match: 'column',
    batch: batchFromRows([...roots].map((id) => ({ [column]: id })), { table }),
  }))
}

/**
 * `depth` is the nesting level of `message.table` (0 for a source table); `rootOf` gives each row's
 * root parent id (the `_sluice_root_id` its grandchildren carry), absent at level 0.
 */
function flattenRecords(message: RecordsMessage, primaryKey: readonly string[], settings: Settings, depth: number, rootOf: ((row: number) => unknown) | undefined): Message[] {
  const { table, op, batch } = message
  if (!batch.columns.some((c) => baseType(c.type) === 'JSON')) return [message]
  const pending: Pending[] = []
  const columns: Column[] = []
  const names = new Set(batch.names)
  for (const column of batch.columns) {
    if (baseType(column.type) !== 'JSON') {
      columns.push(column)
      continue
    }
    const rows: Row[] = new Array(batch.length)
    for (let i = 0; i < batch.length; i++) {
      const row: Row = {}
      place(valueAt(column, i), column.name, 0, row, (child, element, index) => pending.push({ child: `${table}__${child}`, row: i, index, element }), settings)
      rows[i] = row
    }
    for (const c of batchFromRows(rows, { table }).columns) {
      if (c.name !== column.name && names.has(c.name)) {
        throw new SluiceError({
          code: 'STAGE_FAILED',
          message: `flatten: table ${table}: flattening ${column.name} gives a column ${JSON.stringify(c.name)} the rows already have; rename one of them first (transform)`,
          context: { table, column: c.name },
        })
      }
      columns.push(c)
    }
  }
  const out = new Batch(columns, batch.length)
  const messages: Message[] = [{ kind: 'records', table, op, batch: out }]
  if (pending.length === 0 || op === 'delete') return messages
  const parentIds = parentIdsOf(out, primaryKey)
  const roots = rootOf ?? parentIds
  // A parent repeated in the batch: the sink keeps its last row, so only that row's arrays count.
  const last = new Map<unknown, number>()
  for (const p of pending) last.set(parentIds(p.row), p.row)
  const byChild = new Map<string, { rows: Row[]; roots: unknown[] }>()
  for (const p of pending) {
    const id = parentIds(p.row)
    if (last.get(id) !== p.row) continue
    let child = byChild.get(p.child)
    if (!child) byChild.set(p.child, (child = { rows: [], roots: [] }))
    const element = isPlainObject(p.element) ? p.element : { value: p.element }
    const root = roots(p.row)
    child.rows.push({ [CHILD_KEY[0]]: id, [CHILD_KEY[1]]: p.index, ...(depth > 0 ? { [ROOT_ID]: root } : {}), ...element })
    child.roots.push(root)
  }
  for (const [child, { rows, roots: childRoots }] of byChild) {
    if (settings.children.announce(child, depth > 0 ? ROOT_ID : CHILD_KEY[0])) {
      messages.push({ kind: 'schema', table: child, change: { type: 'create_table', spec: { table: child, primaryKey: [...CHILD_KEY] } } })
    }
    const records: RecordsMessage = { kind: 'records', table: child, op: 'upsert', batch: batchFromRows(rows, { table: child }) }
    messages.push(...flattenRecords(records, CHILD_KEY, settings, depth + 1, (row) => childRoots[row]))
  }
  return messages
}
/** Puts `value` into `row` under `name`: objects spread into `name__key` columns while depth allows, arrays to children. */
function place(value: unknown, name: string, depth: number, row: Row, toChild: (child: string, element: unknown, index: number) => void, settings: Settings): void {
  if (isPlainObject(value) && depth < settings.maxDepth) {
    for (const [key, v] of Object.entries(value)) place(v, `${name}__${key}`, depth + 1, row, toChild, settings)
  } else if (Array.isArray(value) && settings.arrays === 'table') {
    value.forEach((element, index) => toChild(name, element, index))
  } else row[name] = value
}

/** The `_sluice_parent_id` of each row: the key value, a JSON array for a composite key, the row hash without a key. */
function parentIdsOf(batch: Batch, primaryKey: readonly string[]): (row: number) => unknown {
  const key = primaryKey.map((k) => batch.column(k))
  if (primaryKey.length === 0 || key.some((c) => c === undefined)) {
    const hashes = rowHashes(batch)
    return (row) => hashes[row]
  }
  if (key.length === 1) return (row) => valueAt(key[0]!, row)
  return (row) => JSON.stringify(key.map((c) => jsonSafe(valueAt(c!, row))))
}

function jsonSafe(v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date)
}
