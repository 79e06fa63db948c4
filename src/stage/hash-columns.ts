import { availableParallelism } from 'node:os'
import { Batch, type Column } from '../core/batch.js'
import type { Message, RecordsMessage, SchemaChange } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Stage } from '../contracts/stage.js'
import { canonicalTexts } from './canonical-text.js'
import { columnHmac, type ColumnHmac } from './hmac/hmac-sha256.js'
import { HmacWorker } from './hmac/hmac-worker.js'
import { memoize2, parseRefs, type ColumnRef } from './name-pattern.js'
import { readAhead } from './read-ahead.js'
import { matchColumn } from '../core/match-column.js'
import { keepsNames } from './keeps-names.js'
import { UnmatchedNames, type WantedName } from './unmatched-names.js'
import { knownOptions } from '../core/check-option.js'

/** Options of {@link hashColumns}. */
export interface HashColumnsOptions {
  /** Columns to hash: `'orders.email'`, `'*.ssn'`, or `{ table, column }` for table names with dots. */
  readonly columns: readonly ColumnRef[]
  /** The HMAC key (UTF-8 text or bytes, at least 16 bytes recommended): a secret, never logged or stored. */
  readonly salt: string | Uint8Array
  /**
   * Hash batches of at least `workerMinRows` values on a worker thread, overlapped with the sink
   * writing the previous batch (default 2_048 rows when the machine has a second CPU, else
   * `Infinity`: all hashing stays on the calling thread).
   */
  readonly workerMinRows?: number
}

/**
 * Replaces PII columns with a keyed hash before anything is written: HMAC-SHA256 with your salt,
 * lowercase hex, in a STRING column. The same value and salt give the same hash in every run and
 * every sink, so joins on hashed keys keep working, and anyone holding the salt can reproduce it
 * with `createHmac('sha256', salt).update(text).digest('hex')` over the value's canonical text
 * (strings as they are, numbers via `String()`, booleans `true`/`false`, … see `canonicalTexts`).
 * NULL stays NULL. Applies to every op (so deletes by a hashed key still match) and rewrites
 * schema messages of hashed columns to STRING. Put it first among the stages, so no later stage
 * (nor `_sluice_errors`) ever sees the raw value. Hashing runs as a WebAssembly SIMD kernel, four
 * values at a time (~0.35 µs a value, against ~5 µs for `createHmac`), on a worker thread for
 * large batches; where WebAssembly is unavailable (`node --jitless`) it uses `createHmac`.
 *
 * A name that matches nothing fails the sync with `CONFIG_INVALID` (naming it and the nearest
 * names) before a row of its table is written, since a typo would write the value in clear. Its
 * table (or table glob) must match one the source declares, when the source declares tables and no
 * stage before renames. Its column must be in the table's first upsert batch, among the source's declared
 * columns, or already in the destination: a hashed column the source does not declare must be
 * present in the first batch of its table (declare it when it may be missing there). With a source
 * that declares no tables, a table that appears a typo away from a name (`usres`) fails before its
 * first row, and a name no table matched fails the sync when the stream ends. The column of a glob
 * table (`'*.ssn'`) is a blanket rule that may match nothing, and is not checked: spell it with care.
 *
 * @example
 * ```ts
 * import { fromIterable, hashColumns, sqlite, sync } from 'sluice'
 * await sync({
 *   source: fromIterable('users', [{ id: 1, email: 'ada@example.com' }], { primaryKey: ['id'] }),
 *   stages: [hashColumns({ columns: ['users.email'], salt: process.env.PII_SALT! })],
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function hashColumns(options: HashColumnsOptions): Stage {
  knownOptions(options, { columns: true, salt: true, workerMinRows: true }, 'hashColumns')
  if (typeof options !== 'object' || options === null) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'hashColumns(options) needs { columns, salt }' })
  }
  if (!Array.isArray(options.columns) || options.columns.length === 0) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: "hashColumns.columns must be a non-empty list such as ['orders.email']" })
  }
  const refs = parseRefs(options.columns, 'hashColumns.columns', true)
  const key = saltBytes(options.salt)
  // One CPU: a worker would only compete with the main thread for it (and cost an isolate's memory).
  const workerMinRows = options.workerMinRows ?? (availableParallelism() > 1 ? 2_048 : Infinity)
  if (!(workerMinRows >= 1)) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `hashColumns.workerMinRows must be a number ≥ 1 (rows), got ${String(workerMinRows)}` })
  }
  const hashed = memoize2((table, column) => refs.some((r) => r.table.matches(table) && r.column!.matches(column)))
  const wanted = refs.map((r, i): WantedName => ({ label: `hashColumns.columns[${i}] '${r.table.text}.${r.column!.text}'`, table: r.table, column: r.column, consequence: 'its values would be written in clear' }))
  return keepsNames((messages, context) => {
    const names = () => new UnmatchedNames(wanted, context, { blockedIsFound: true })
    return hashMessages(messages, key, hashed, workerMinRows, names)
  })
}

/** The salt as bytes. Errors name the option, never the value: it is a secret. */
function saltBytes(salt: unknown): Uint8Array {
  if (typeof salt === 'string' && salt.length > 0) return Buffer.from(salt, 'utf8')
  if (salt instanceof Uint8Array && salt.byteLength > 0) return new Uint8Array(salt)
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `hashColumns.salt must be a non-empty string or Uint8Array (a secret, e.g. from an environment variable), got ${salt === undefined ? 'undefined' : `an empty or non-text ${typeof salt}`}`,
  })
}

async function* hashMessages(
  messages: AsyncIterable<Message>,
  key: Uint8Array,
  hashed: (table: string, column: string) => boolean,
  workerMinRows: number,
  names: () => UnmatchedNames,
): AsyncIterable<Message> {
  // Before the first message: a table the source doesn't declare fails here, before anything is read.
  const check = names()
  const hmac = columnHmac(key)
  let worker: HmacWorker | undefined
  const texts = (values: readonly string[]): Promise<string[]> | string[] => {
    if (values.length < workerMinRows || hmac.midstates === undefined) return hmac.texts(values)
    worker ??= new HmacWorker(hmac.midstates)
    return worker.texts(values)
  }
  const map = async (message: Message): Promise<Message> => {
    const checking = check.see(message)
    if (checking) await checking
    // A match delete names parents, not rows: nothing in it to hash.
    if (message.kind === 'records' && matchColumn(message) === undefined) return hashRecords(message, hashed, hmac, texts)
    if (message.kind === 'schema') return hashSchema(message.table, message.change, hashed)
    return message
  }
  try {
    // Two batches ahead: one hashing on the worker while the sink writes, one queued behind it.
    yield* readAhead(messages, map, 2)
    await check.end()
  } finally {
    await worker?.close()
  }
}

async function hashRecords(
  message: RecordsMessage,
  hashed: (table: string, column: string) => boolean,
  hmac: ColumnHmac,
  texts: (values: readonly string[]) => Promise<string[]> | string[],
): Promise<RecordsMessage> {
  const batch = message.batch
  let columns: Column[] | undefined
  for (let c = 0; c < batch.columns.length; c++) {
    const column = batch.columns[c]!
    if (!hashed(message.table, column.name)) continue
    const input = canonicalTexts(column, batch.length)
    const values = typeof input[0] === 'string' || input.length === 0 ? await texts(input as string[]) : hmac.bytes(input as Uint8Array[])
    if (column.nullCount > 0) for (let i = 0; i < batch.length; i++) if (((column.validity![i >> 3]! >> (i & 7)) & 1) === 0) values[i] = ''
    columns ??= [...batch.columns]
    columns[c] = { name: column.name, type: 'STRING', values, validity: column.validity, nullCount: column.nullCount }
  }
  if (!columns) return message
  return { kind: 'records', table: message.table, op: message.op, batch: new Batch(columns, batch.length) }
}

/** Hashed columns are STRING in the destination, whatever type the source announces. */
function hashSchema(table: string, change: SchemaChange, hashed: (table: string, column: string) => boolean): Message {
  let out: SchemaChange = change
  if (change.type === 'add_column' && hashed(table, change.column)) out = { ...change, columnType: 'STRING' }
  else if (change.type === 'change_type' && hashed(table, change.column)) out = { ...change, to: 'STRING' }
  else if (change.type === 'create_table' && change.spec.columns) {
    const columns = Object.fromEntries(Object.entries(change.spec.columns).map(([c, t]) => [c, hashed(table, c) ? 'STRING' : t]))
    out = { type: 'create_table', spec: { ...change.spec, columns } }
  }
  return { kind: 'schema', table, change: out }
}
