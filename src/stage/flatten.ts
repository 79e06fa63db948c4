import { Batch, valueAt, type Column, type Row } from '../core/batch.js'
import { batchFromRows } from '../core/batch-from-rows.js'
import { baseType } from '../core/column-type.js'
import type { Message, RecordsMessage } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import { rowHashes } from '../sink/layout/row-hash.js'
import type { Stage } from '../sync/sync.js'
import { memoize2, namePattern } from './name-pattern.js'

/** Options of {@link flatten}. */
export interface FlattenOptions {
  /** Levels of nested objects turned into columns (default 10): with 1, `{ a: { b: { c: 1 } } }` gives `a__b` = `{"c":1}` (JSON). */
  readonly maxDepth?: number
  /** Arrays stay JSON columns (`'json'`, default) or become child tables `<table>__<column>` (`'table'`). */
  readonly arrays?: 'json' | 'table'
  /** Tables to flatten (names or globs; default every table). */
  readonly tables?: readonly string[]
}

/** Columns that link a child table's rows to their parent row and keep the array order (the child's key). */
export const CHILD_KEY = ['_sluice_parent_id', '_sluice_index'] as const

/**
 * Turns nested objects (JSON columns) into `parent__child` columns up to `maxDepth` levels, and
 * optionally arrays into child tables `<table>__<column>` whose rows carry `_sluice_parent_id` (the
 * parent's primary key value; a JSON array of the values for a composite key; the parent's
 * `_sluice_id` row hash for a keyless table) and `_sluice_index` (the position), keyed by both.
 * Array elements that are objects are flattened into the child's columns, others go to `value`;
 * arrays nested in elements become grandchild tables the same way. Use it when a warehouse should
 * query nested API data as columns. Without it, objects and arrays land as JSON columns.
 *
 * Limits: a parent re-synced with a shorter array keeps its old child rows past the new length
 * (filter on `_sluice_synced`); a deleted parent does not delete its children.
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
    const announced = new Set<string>()
    for await (const message of messages) {
      if (message.kind !== 'records' || !applies(message.table, '')) {
        yield message
        continue
      }
      yield* flattenRecords(message, keys.get(message.table) ?? [], { maxDepth, arrays }, announced)
    }
  }
}

interface Settings {
  readonly maxDepth: number
  readonly arrays: 'json' | 'table'
}

/** Element of an array bound for a child table. */
interface Pending {
  readonly child: string
  readonly row: number
  readonly index: number
  readonly element: unknown
}

function flattenRecords(message: RecordsMessage, primaryKey: readonly string[], settings: Settings, announced: Set<string>): Message[] {
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
  const byChild = new Map<string, Row[]>()
  for (const p of pending) {
    const rows = byChild.get(p.child) ?? []
    byChild.set(p.child, rows)
    const element = isPlainObject(p.element) ? p.element : { value: p.element }
    rows.push({ [CHILD_KEY[0]]: parentIds(p.row), [CHILD_KEY[1]]: p.index, ...element })
  }
  for (const [child, rows] of byChild) {
    if (!announced.has(child)) {
      announced.add(child)
      messages.push({ kind: 'schema', table: child, change: { type: 'create_table', spec: { table: child, primaryKey: [...CHILD_KEY] } } })
    }
    const records: RecordsMessage = { kind: 'records', table: child, op: 'upsert', batch: batchFromRows(rows, { table: child }) }
    messages.push(...flattenRecords(records, CHILD_KEY, settings, announced))
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
