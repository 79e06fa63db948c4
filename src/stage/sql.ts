import type Database from 'better-sqlite3'
import type { Database as Db, Statement } from 'better-sqlite3'
import { lazyRequire } from '../core/lazy-require.js'
import { Batch, isNull, takeRows, type Column, type Row } from '../core/batch.js'
import { batchFromRows } from '../core/batch-from-rows.js'
import { baseType, type ColumnType } from '../core/column-type.js'
import type { Message, RecordsMessage, SchemaMessage } from '../core/message.js'
import { parseJsonExact } from '../core/parse-json-exact.js'
import { SluiceError } from '../core/sluice-error.js'
import type { TableSpec } from '../core/table-spec.js'
import type { Stage } from '../contracts/stage.js'
import { knownKeys } from '../core/check-option.js'
import { quoteIdent } from '../core/normalize-name.js'

/** Options of {@link sql}. */
export interface SqlOptions {
  /** The table (source name, exact) whose records run through the query; other tables pass through untouched. */
  readonly table: string
  /** A SQLite `SELECT` over `{{ source }}`, the batch as a table (one column per batch column, same names). */
  readonly query: string
}

// Loaded by the first sql() stage that runs, not with sluice (~30 ms of every cold start).
const betterSqlite3 = lazyRequire<typeof Database>('better-sqlite3')

const SOURCE = /\{\{\s*source\s*\}\}/g
const SOURCE_TABLE = '"__sluice_source"'
/** The row number column of the batch table, present when a column is carried (see `Shape.carried`). */
const ROW = '"__sluice_row"'
/** Words after which a value may be compared, grouped or ordered: no column is carried by row index then. */
const ORDERING = /\b(distinct|group|order|union|intersect|except|join|over|window|with|having|partition)\b/i
/** A `*` that selects columns (`SELECT *`, `, *`, `t.*`), not a product or `count(*)`. */
const STAR = /(\bselect|\bdistinct|\ball|,|\.)\s*\*/i
/** Rows per multi-row INSERT at most: fewer statement runs per batch. */
const ROWS_PER_INSERT = 256
/** Bound values per statement at most (SQLite's limit). */
const MAX_VARIABLES = 32766

/**
 * Runs a SQL query over each records batch of `table`, in flight, with an embedded in-memory
 * SQLite (better-sqlite3, a dependency of sluice: nothing to install). `{{ source }}` in the query
 * is the batch as a table; the query's result is the batch that goes on. Output columns that come
 * straight from a source column keep its type; computed columns take the type of their values.
 *
 * The table's primary key must survive: a query whose result lacks a key column is refused with
 * `CONFIG_INVALID` naming the column — before the first message when the table is declared with
 * its columns, else at its first batch. `upsert` and `update` batches run through the query (an
 * update carries only its changed columns, so the query must read only columns every update
 * carries, or fail with `STAGE_FAILED`). `delete` batches carry only keys: since the query keeps
 * every key column under its name, they pass through untouched. A query error is `STAGE_FAILED`
 * with SQLite's message and the table. Schema changes of the table wait for its next batch and
 * keep only the columns the result passes through unchanged; other tables pass through untouched.
 *
 * @example
 * ```ts
 * import { fromIterable, memory, sql, sync } from 'sluice'
 * await sync({
 *   source: fromIterable('orders', [{ id: 1, net: 10, vat: 0.2, note: 'x' }], { primaryKey: ['id'] }),
 *   stages: [sql({ table: 'orders', query: 'SELECT id, net * (1 + vat) AS gross FROM {{ source }} WHERE net > 0' })],
 *   destination: memory(),
 * })
 * ```
 */
export function sql(options: SqlOptions): Stage {
  knownKeys(options, ['table', 'query'], 'sql')
  const { table, query } = options ?? ({} as SqlOptions)
  if (typeof table !== 'string' || table.trim() === '') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'sql: option table must be a non-empty table name', context: { option: 'table' } })
  }
  if (typeof query !== 'string' || !query.match(SOURCE)) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'sql: option query must be a SQL string that reads {{ source }} (the batch)', context: { option: 'query', table } })
  }
  const text = query.replace(SOURCE, SOURCE_TABLE)
  return async function* (messages, context) {
    const engine = new Engine(table, text)
    try {
      const spec = context.tables.find((t) => t.table === table)
      engine.checkDeclared(spec)
      // Schema changes of the table wait for its next batch: they are told in terms of the result.
      let pending: SchemaMessage[] = []
      for await (const message of messages) {
        if (message.kind === 'schema' && message.table === table) {
          pending.push(message)
          continue
        }
        if (message.kind === 'records' && message.table === table && message.match !== 'column' && message.op !== 'delete') {
          const out = engine.run(message, spec)
          yield* engine.schema(pending)
          pending = []
          if (out) yield out
          continue
        }
        if (pending.length > 0 && (message.kind === 'checkpoint' || message.table === table)) {
          yield* engine.schema(pending) // before the checkpoint that commits them, or this table's delete / truncate
          pending = []
        }
        yield message // other tables, checkpoints, truncates; deletes carry only keys, which the query keeps under their names
      }
      yield* engine.schema(pending)
    } finally {
      engine.close()
    }
  }
}

/**
 * The query's result column by column: `cells[c]` holds output column `c`'s values, or (a carried
 * column) its row numbers — or is `undefined` for a carried column when the result is the batch
 * row for row, so the batch column goes on as it is.
 */
interface Result {
  readonly length: number
  readonly cells: readonly (unknown[] | undefined)[]
}

/**
 * A query whose plan is one scan of the batch table, rewritten to return its computed columns
 * (all of them in one run, so a nondeterministic function is evaluated once per row) and, when it
 * may filter (`WHERE`, `LIMIT`, `OFFSET`), first the row number its carried columns share; with
 * nothing computed and no filter, only its row count.
 */
interface Positional {
  readonly statement: Statement
  /** The statement's first column is a row number (the query may filter). */
  readonly rowNumbers: boolean
  /** The output indexes of the carried columns. */
  readonly carried: readonly number[]
  /** The output indexes of the computed columns, in the statement's order (after the row number). */
  readonly computed: readonly number[]
  readonly width: number
}

/**
 * The result through {@link Positional}. Without row numbers, a result with as many rows as the
 * batch is the batch in order; `undefined` when it is not (an aggregate), for the whole select.
 */
function positional(p: Positional, rows: number): Result | undefined {
  const cells: (unknown[] | undefined)[] = new Array(p.width).fill(undefined)
  if (!p.rowNumbers && p.computed.length === 0) return Number(p.statement.get()) === rows ? { length: rows, cells } : undefined
  const out = p.statement.all() as unknown[]
  if (!p.rowNumbers && out.length !== rows) return undefined
  if (!p.rowNumbers && p.computed.length === 1) cells[p.computed[0]!] = out
  else {
    const raw = p.rowNumbers && p.computed.length === 0 ? out.map((n) => [n]) : (out as unknown[][])
    const first = p.rowNumbers ? 1 : 0
    p.computed.forEach((c, k) => (cells[c] = column(raw, k + first)))
    if (p.rowNumbers && !everyRow(raw, rows)) {
      const numbers = column(raw, 0)
      for (const c of p.carried) cells[c] = numbers
    }
  }
  return { length: out.length, cells }
}

/** True when the row numbers of a result (its first column) are 0…rows-1: the batch, in order. */
function everyRow(raw: readonly unknown[][], rows: number): boolean {
  if (raw.length !== rows) return false
  for (let i = 0; i < rows; i++) if (Number(raw[i]![0]) !== i) return false
  return true
}

/** The result through the whole select: every column's cells, carried ones as row numbers. */
function everyCell(shape: Shape): Result {
  const raw = shape.select.all() as unknown[][]
  return { length: raw.length, cells: shape.outputNames.map((_, c) => column(raw, c)) }
}

/** Column `c` of row-major cells. */
function column(raw: readonly unknown[][], c: number): unknown[] {
  const out: unknown[] = new Array(raw.length)
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]![c]
  return out
}

/** One prepared shape: the source table's columns and the query compiled against them. */
interface Shape {
  readonly signature: string
  /**
   * How the batch table is filled: `insert` binds `rowsPerInsert` rows a run (`insertOne` the rest);
   * with no column bound (every column read is carried), `count` inserts the row numbers 1…n alone.
   */
  readonly fill: { readonly insert: Statement; readonly insertOne: Statement; readonly rowsPerInsert: number } | { readonly count: Statement }
  /** The batch columns the inserts bind, in order; the row number (the rowid) is assigned by SQLite, 1…n in insert order. */
  readonly bound: readonly string[]
  /** The query, every result column; a carried column's cells are row numbers. */
  readonly select: Statement
  /** The query's computed columns alone, when its plan is one scan of the batch table (see {@link Positional}). */
  readonly positional: Positional | undefined
  /** Per output column: the type of the source column it comes from unchanged, if any. */
  readonly hints: Record<string, ColumnType>
  readonly outputNames: readonly string[]
  /**
   * Source columns the query only passes through (see {@link Engine.passThrough}): SQLite gets the
   * row index instead of the value, and the output column is taken from the batch by those indices.
   * Output name → source column name.
   */
  readonly carried: ReadonlyMap<string, string>
  /** Result columns that are the source column of the same name, unchanged. */
  readonly same: ReadonlySet<string>
}

class Engine {
  readonly #db: Db = scratch()
  #shape: Shape | undefined

  constructor(
    readonly table: string,
    readonly text: string,
  ) {
    this.#star = STAR.test(text)
    this.#lower = text.toLowerCase()
  }

  close(): void {
    this.#db.close()
  }

  /** With the table declared with every key column's type: compiles the query once, so a dropped key is refused before any message. */
  checkDeclared(spec: TableSpec | undefined): void {
    const key = spec?.primaryKey ?? []
    const columns = spec?.columns
    if (key.length === 0 || !columns || key.some((k) => columns[k] === undefined)) return
    let shape: Shape
    try {
      shape = this.#prepare(Object.entries(columns).flatMap(([name, type]) => (this.#star || this.#mentions(name) ? [{ name, type }] : [])))
    } catch {
      return // the query reads a column the spec leaves undeclared: checked at the first batch
    }
    this.checkKeys(spec, shape.outputNames)
  }

  checkKeys(spec: TableSpec | undefined, names: readonly string[]): void {
    const key = spec?.primaryKey ?? []
    const missing = key.find((k) => !names.includes(k))
    if (missing !== undefined) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `sql: table ${this.table}: the query's result lacks the primary key column ${missing}; keep every key column (${key.join(', ')}) under its name`,
        context: { table: this.table, column: missing },
      })
    }
  }

  run(message: RecordsMessage, spec: TableSpec | undefined): Message | undefined {
    const batch = this.#read(message.batch)
    const shape = this.#prepare(batch.columns)
    this.checkKeys(spec, shape.outputNames)
    let result: Result
    try {
      this.#db.exec('BEGIN') // one transaction per batch: no commit per INSERT
      try {
        this.#db.exec(`DELETE FROM ${SOURCE_TABLE}`)
        this.#fill(shape, batch)
        result = (shape.positional && positional(shape.positional, batch.length)) || everyCell(shape)
      } finally {
        this.#db.exec('COMMIT')
      }
    } catch (cause) {
      throw this.#failed(cause)
    }
    const { length, cells } = result
    if (length === 0) return undefined // nothing left of the batch (or nothing in it)
    const names = shape.outputNames
    const hints = { ...shape.hints, ...computedTypes(cells, names, shape.hints) }
    const columns = names.map((name, c) => {
      const from = shape.carried.get(name)
      const values = cells[c]
      if (from !== undefined) {
        const column = batch.column(from)!
        return { ...(values === undefined ? column : takeRows(column, rowIndexes(values))), name }
      }
      return direct(name, hints[name], values!) ?? fromValues(name, hints[name], shape.hints[name], values!, message.table)
    })
    return { kind: 'records', table: message.table, op: message.op, batch: new Batch(columns, length) }
  }

  /**
   * Schema changes of the table in terms of the query's result (once a batch has shown it; before,
   * unchanged): a column added or retyped reaches the destination only when the result has the
   * source column of that name unchanged — a column the query drops or computes is typed from the
   * result's batches, as any stage's output is — and a `create_table` keeps only those columns.
   */
  *schema(messages: readonly SchemaMessage[]): Generator<SchemaMessage> {
    const same = this.#shape?.same
    for (const m of messages) {
      if (same === undefined) {
        yield m
        continue
      }
      const change = m.change
      if (change.type === 'create_table') {
        const columns = Object.fromEntries(Object.entries(change.spec.columns ?? {}).filter(([name]) => same.has(name)))
        yield { ...m, change: { type: 'create_table', spec: { ...change.spec, ...(change.spec.columns ? { columns } : {}) } } }
      } else if (same.has(change.column)) yield m
    }
  }

  /**
   * The batch's columns the query may read: those whose name occurs in the query's text (case
   * aside; a name inside a string literal or a longer name counts too, which only costs a copy),
   * or all of them when the query selects `*`. Copying a column into SQLite is most of the
   * stage's cost, and a projection reads few.
   */
  #read(batch: Batch): Batch {
    if (this.#star) return batch
    let all = true
    for (const c of batch.columns) if (!this.#mentions(c.name)) all = false
    if (all) return batch
    const read = batch.names.filter((n) => this.#mentions(n))
    return batch.select(read.length > 0 ? read : batch.names.slice(0, 1)) // a table needs a column, rows count
  }

  readonly #star: boolean
  readonly #lower: string
  readonly #mentioned = new Map<string, boolean>()

  /**
   * True when the query can only pass `column` through unchanged: a column named exactly once in the whole query — as the origin of a result
   * column, so nowhere else: no WHERE, no expression — in a query with no DISTINCT, GROUP BY,
   * ORDER BY, compound SELECT, join, window or CTE (each of which could compare its values). Then
   * which value it holds can't change the result, only which row it comes from: SQLite carries the
   * row index, and the value is taken from the batch (no string or bigint crosses into SQLite and back).
   */
  #passThrough(column: string): boolean {
    if (this.#star || ORDERING.test(this.text) || column.includes('"')) return false
    const n = column.toLowerCase()
    const first = this.#lower.indexOf(n)
    return first !== -1 && this.#lower.indexOf(n, first + 1) === -1
  }

  #mentions(name: string): boolean {
    let yes = this.#mentioned.get(name)
    if (yes === undefined) {
      const n = name.toLowerCase()
      yes = this.#lower.includes(n) || this.#lower.includes(n.replaceAll('"', '""'))
      this.#mentioned.set(name, yes)
    }
    return yes
  }

  #fill(shape: Shape, batch: Batch): void {
    const fill = shape.fill
    if ('count' in fill) {
      fill.count.run(batch.length, batch.length)
      return
    }
    const { insert, insertOne, rowsPerInsert: per } = fill
    const readers = shape.bound.map((name) => toSqlite(batch.column(name)!))
    const width = readers.length
    const params: unknown[] = new Array(width * per)
    let i = 0
    for (; i + per <= batch.length; i += per) {
      let p = 0
      for (let r = i; r < i + per; r++) for (let c = 0; c < width; c++) params[p++] = readers[c]!(r)
      insert.run(...params)
    }
    const one: unknown[] = new Array(width)
    for (; i < batch.length; i++) {
      for (let c = 0; c < width; c++) one[c] = readers[c]!(i)
      insertOne.run(...one)
    }
  }

  #prepare(columns: readonly { readonly name: string; readonly type: ColumnType }[]): Shape {
    const signature = columns.map((c) => `${c.name}\u0000${c.type}`).join('\u0001')
    if (this.#shape?.signature === signature) return this.#shape
    const db = this.#db
    /**
     * (Re)creates the batch table and compiles the query over it. A carried column is a virtual
     * column computed from the row number (as a REAL, so it comes back a plain number, not a
     * bigint): nothing of it is bound per row.
     */
    const compile = (carried: ReadonlySet<string>): Statement => {
      // better-sqlite3 binds every JS number as a REAL: INTEGER affinity stores the integer types as
      // INTEGER (so `id / 2` divides as integers), REAL the float types; text-like types get none.
      const list = [
        ...(carried.size > 0 ? [`${ROW} INTEGER PRIMARY KEY`] : []),
        ...columns.map((c) => `${quoteIdent(c.name)}${carried.has(c.name) ? ` AS (${ROW} - 1.0) VIRTUAL` : affinity(c.type)}`),
      ].join(', ')
      try {
        db.exec(`DROP TABLE IF EXISTS ${SOURCE_TABLE}`)
        db.exec(`CREATE TABLE ${SOURCE_TABLE} (${list})`)
        return db.prepare(this.text)
      } catch (cause) {
        throw this.#failed(cause)
      }
    }
    let select = compile(new Set())
    if (!select.reader) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `sql: table ${this.table}: the query must return rows (a SELECT)`, context: { table: this.table, option: 'query' } })
    }
    select.raw(true).safeIntegers(true)
    const byName = new Map(columns.map((c) => [c.name, c.type]))
    const hints: Record<string, ColumnType> = {}
    const carried = new Map<string, string>()
    const same = new Set<string>()
    const outputNames: string[] = []
    for (const c of select.columns()) {
      if (outputNames.includes(c.name)) {
        throw new SluiceError({ code: 'CONFIG_INVALID', message: `sql: table ${this.table}: the query returns column ${c.name} twice; give each result column its own name`, context: { table: this.table, column: c.name } })
      }
      outputNames.push(c.name)
      const from = c.table === SOURCE_TABLE.slice(1, -1) && c.column !== null ? byName.get(c.column) : undefined
      if (from !== undefined && this.#passThrough(c.column!)) carried.set(c.name, c.column!)
      if (from !== undefined) hints[c.name] = from
      if (from !== undefined && c.column === c.name) same.add(c.name)
    }
    if (byName.has(ROW.slice(1, -1))) carried.clear() // the batch has a column of that name: nothing carried
    const carriedNames = new Set(carried.values())
    if (carriedNames.size > 0) {
      select = compile(carriedNames)
      select.raw(true).safeIntegers(true)
    }
    const bound = columns.flatMap((c) => (carriedNames.has(c.name) ? [] : [c.name]))
    const names = bound.map(quoteIdent).join(', ')
    const marks = `(${bound.map(() => '?').join(', ')})`
    const rowsPerInsert = Math.max(1, Math.min(ROWS_PER_INSERT, Math.floor(MAX_VARIABLES / Math.max(1, bound.length))))
    const fill: Shape['fill'] =
      bound.length === 0
        ? // Every column read is carried: the row numbers alone.
          { count: db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO ${SOURCE_TABLE} (${carriedNames.size > 0 ? ROW : 'rowid'}) SELECT i FROM n WHERE i <= ?`) }
        : {
            insert: db.prepare(`INSERT INTO ${SOURCE_TABLE} (${names}) VALUES ${Array.from({ length: rowsPerInsert }, () => marks).join(', ')}`),
            insertOne: db.prepare(`INSERT INTO ${SOURCE_TABLE} (${names}) VALUES ${marks}`),
            rowsPerInsert,
          }
    const shape: Shape = { signature, fill, bound, select, positional: carriedNames.size > 0 ? this.#positional(outputNames, carried) : undefined, hints, outputNames, carried, same }
    this.#shape = shape
    return shape
  }

  /**
   * The query's computed columns alone (see {@link Positional}), when its plan is a single scan of
   * the batch table: then each result row comes from one batch row, in order, and a result with as
   * many rows as the batch is the batch row for row — its carried columns are the batch's columns
   * as they are, and SQLite needs to return only what it computes. `undefined` for any other plan
   * (a join, a subquery, a sort…): every batch then goes through {@link Shape.select}.
   */
  #positional(outputNames: readonly string[], carried: ReadonlyMap<string, string>): Positional | undefined {
    const db = this.#db
    // Without a final `;` (and the comments after it): the query goes inside parentheses. Should
    // that `;` be inside a string literal, what is left is an unterminated literal: refused below.
    const inner = this.text.replace(/;(?:\s|--[^\n]*|\/\*[\s\S]*?\*\/)*$/, '')
    try {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${inner}`).all() as { detail: string }[]
      // The batch table by its name or its alias (`FROM {{ source }} AS s`), scanned in row order.
      const alias = /"__sluice_source"\s+(?:AS\s+)?(?:"((?:[^"]|"")+)"|(\w+))/i.exec(inner)
      const names = new Set([SOURCE_TABLE.slice(1, -1), ...(alias ? [alias[1]?.replaceAll('""', '"') ?? alias[2]!] : [])])
      const scan = plan.length === 1 ? /^SCAN (.+)$/.exec(plan[0]!.detail) : null
      if (scan === null || !names.has(scan[1]!)) return undefined
      const computed = outputNames.flatMap((name, c) => (carried.has(name) ? [] : [c]))
      const carriedAt = outputNames.flatMap((name, c) => (carried.has(name) ? [c] : []))
      // A word that may filter rows (in a literal too, which only costs the row numbers).
      const rowNumbers = /\b(where|limit|offset)\b/i.test(inner)
      const list = [...(rowNumbers ? [carriedAt[0]!] : []), ...computed].map((c) => quoteIdent(outputNames[c]!)).join(', ')
      // A newline before the closing parenthesis: the query may end with a -- comment.
      const statement = db.prepare(list === '' ? `SELECT count(*) FROM (${inner}\n)` : `SELECT ${list} FROM (${inner}\n)`)
      if ((rowNumbers ? 1 : 0) + computed.length <= 1) statement.pluck(true)
      else statement.raw(true)
      statement.safeIntegers(true)
      return { statement, rowNumbers, carried: carriedAt, computed, width: outputNames.length }
    } catch {
      return undefined // a query SQLite can't wrap: every batch goes through the whole select
    }
  }

  #failed(cause: unknown): SluiceError {
    if (cause instanceof SluiceError) return cause
    return new SluiceError({
      code: 'STAGE_FAILED',
      message: `sql: table ${this.table}: the query failed: ${(cause as Error)?.message ?? String(cause)}`,
      context: { table: this.table },
      cause,
    })
  }
}

/** A reader of row `i` of a column as SQLite binds it. */
function toSqlite(column: Column): (i: number) => unknown {
  const v = column.values
  const nulls = column.validity !== undefined
  const at = (read: (i: number) => unknown) => (nulls ? (i: number) => (isNull(column, i) ? null : read(i)) : read)
  switch (baseType(column.type)) {
    case 'BOOLEAN':
    case 'SHORT':
    case 'INT':
    case 'LONG':
    case 'FLOAT':
    case 'DOUBLE':
    case 'DECIMAL':
    case 'NAIVE_DATE':
    case 'NAIVE_DATETIME':
    case 'UTC_DATETIME':
    case 'STRING':
    case 'JSON': // JSON text: SQLite's json_extract and friends read it as is
      return at((i) => (v as ArrayLike<unknown>)[i])
    case 'BINARY':
      return at((i) => {
        const b = (v as Uint8Array[])[i]!
        return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
      })
  }
}

/** The JS value of a result cell, back in the source column's type when it comes from one. */
function fromSqlite(type: ColumnType | undefined): (value: unknown) => unknown {
  switch (type === undefined ? undefined : baseType(type)) {
    case 'BOOLEAN':
      return (x) => (x === null ? null : typeof x === 'bigint' ? x !== 0n : x)
    case 'SHORT':
    case 'INT':
      return (x) => (typeof x === 'bigint' ? Number(x) : x)
    case 'JSON':
      return (x) => (typeof x === 'string' ? parseJsonExact(x) : x)
    case 'LONG':
      return (x) => (typeof x === 'bigint' && x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : x)
    default:
      return (x) => x
  }
}

/**
 * Types of the computed result columns from SQLite's storage classes (read with safe integers, an
 * INTEGER is a bigint and a REAL a number): REAL → DOUBLE, INTEGER → LONG, so `12.0` stays a
 * DOUBLE. Text and blobs are typed from their values, as `batchFromRows` does.
 */
function computedTypes(cells: Result['cells'], names: readonly string[], hints: Record<string, ColumnType>): Record<string, ColumnType> {
  const out: Record<string, ColumnType> = {}
  for (let c = 0; c < names.length; c++) {
    const values = cells[c]
    if (hints[names[c]!] !== undefined || values === undefined) continue
    let real = false
    let integer = false
    for (let i = 0; i < values.length && !real; i++) {
      const x = values[i]
      if (typeof x === 'number') real = true
      else if (typeof x === 'bigint') integer = true
    }
    if (real) out[names[c]!] = 'DOUBLE'
    else if (integer) out[names[c]!] = 'LONG'
  }
  return out
}

/** An in-memory database with no journal: the batch table is scratch, rebuilt per batch. */
function scratch(): Db {
  const db = new (betterSqlite3())(':memory:')
  db.pragma('journal_mode = OFF') // nothing is ever rolled back: a failed batch fails the sync
  return db
}

/**
 * Column `c` of the result built straight into its storage when every value has the JS type the
 * column type stores (the common case: a source column unchanged, a REAL or an INTEGER result);
 * `undefined` sends the column through `batchFromRows` instead.
 */
function direct(name: string, type: ColumnType | undefined, raw: readonly unknown[]): Column | undefined {
  if (type === undefined) return undefined
  const n = raw.length
  let validity: Uint8Array | undefined
  let nullCount = 0
  const nullAt = (i: number) => {
    if (validity === undefined) validity = new Uint8Array((n + 7) >> 3).fill(0xff)
    validity[i >> 3]! &= ~(1 << (i & 7))
    nullCount++
  }
  const base = baseType(type)
  let values: Column['values']
  switch (base) {
    case 'BOOLEAN':
    case 'SHORT':
    case 'INT':
    case 'FLOAT':
    case 'DOUBLE': {
      const out = base === 'BOOLEAN' ? new Uint8Array(n) : base === 'SHORT' ? new Int16Array(n) : base === 'INT' ? new Int32Array(n) : base === 'FLOAT' ? new Float32Array(n) : new Float64Array(n)
      const integral = base !== 'FLOAT' && base !== 'DOUBLE'
      for (let i = 0; i < n; i++) {
        const x = raw[i]
        if (x === null) nullAt(i)
        else if (typeof x === 'bigint') {
          if (base === 'BOOLEAN') {
            if (x !== 0n && x !== 1n) return undefined
            out[i] = Number(x)
          } else {
            const v = Number(x)
            if (base !== 'DOUBLE' && base !== 'FLOAT' && BigInt(v) !== x) return undefined
            out[i] = v
            if (out[i] !== v) return undefined // out of SHORT / INT range
          }
        } else if (typeof x === 'number' && !integral) out[i] = x
        else return undefined
      }
      values = out
      break
    }
    case 'LONG': {
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) {
        const x = raw[i]
        if (x === null) nullAt(i)
        else if (typeof x === 'bigint') out[i] = x
        else return undefined
      }
      values = out
      break
    }
    case 'BINARY': {
      const out: Uint8Array[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const x = raw[i]
        if (x === null) {
          nullAt(i)
          out[i] = new Uint8Array(0)
        } else if (x instanceof Uint8Array) out[i] = x
        else return undefined
      }
      values = out
      break
    }
    case 'JSON':
      return undefined // re-read through batchFromRows: the text is checked and kept exact there
    default: {
      // STRING, DECIMAL and the temporal types: only a source column unchanged gets here, its
      // text already canonical (a computed text column has no type yet).
      const out: string[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const x = raw[i]
        if (x === null) {
          nullAt(i)
          out[i] = ''
        } else if (typeof x === 'string') out[i] = x
        else return undefined
      }
      values = out
    }
  }
  return { name, type, values, validity, nullCount }
}

/** Column `c` of the result through `batchFromRows` (values typed from what they are; a source column's type as the hint). */
function fromValues(name: string, type: ColumnType | undefined, source: ColumnType | undefined, raw: readonly unknown[], table: string): Column {
  const back = fromSqlite(source)
  const rows: Row[] = new Array(raw.length)
  for (let i = 0; i < raw.length; i++) rows[i] = { [name]: back(raw[i]) }
  return batchFromRows(rows, { table, ...(type === undefined ? {} : { columns: { [name]: type } }) }).columns[0]!
}

/** The row indexes a carried column's cells hold (see `Shape.carried`). */
function rowIndexes(cells: readonly unknown[]): number[] {
  const out: number[] = new Array(cells.length)
  for (let i = 0; i < cells.length; i++) out[i] = Number(cells[i])
  return out
}

/** The declared type of a source column in SQLite: the affinity that stores its values in their SQL class. */
function affinity(type: ColumnType): string {
  switch (baseType(type)) {
    case 'BOOLEAN':
    case 'SHORT':
    case 'INT':
    case 'LONG':
      return ' INTEGER'
    case 'FLOAT':
    case 'DOUBLE':
      return ' REAL'
    default:
      return '' // stored as bound: text stays text (no numeric conversion of '0012'), blobs blobs
  }
}
