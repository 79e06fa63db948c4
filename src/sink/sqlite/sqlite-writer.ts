import type { Database, Statement } from 'better-sqlite3'
import { isNull, type Batch, type Column } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import type { RecordOp } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { columnAsType } from '../../codec/column-as-type.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { rowHashes } from '../../core/row-hash.js'
import { keyNames, SYSTEM, type TableLayout } from '../layout/table-layout.js'
import { matchIndex } from '../layout/match-index.js'
import { HISTORY } from '../layout/history-columns.js'
import { SqliteHistoryWriter } from './sqlite-history.js'
import type { KeylessRowIndex } from './sqlite-row-index.js'
import { hashKeys, RowHashMap } from './row-hash-map.js'

/** Rows bound per statement execution: multi-row VALUES amortise the per-call cost (see LIMITS.md 3c). */
const ROWS_PER_STATEMENT = 16

/**
 * Writes record batches of one table with prepared statements, cached by operation and column
 * set (a batch with other columns gets its own statement). Values are read straight from the
 * columnar storage: no row objects on the hot path.
 */
export class SqliteTableWriter {
  readonly #db: Database
  readonly #layout: TableLayout
  readonly #statements = new Map<string, Statement>()
  readonly #names: Map<string, string>
  readonly #types: Map<string, ColumnType>
  /** Keyless table: rows are keyed by `_sluice_id`, the row hash. */
  readonly #hashKeyed: boolean
  readonly #matchIndexed = new Set<string>()
  #history: SqliteHistoryWriter | undefined
  /** A keyless table without a UNIQUE index on `_sluice_id`: rows are found through it (sqlite-row-index.ts). */
  readonly #rowIndex: KeylessRowIndex | undefined
  /** The fresh rows of the batch being written, by hash keys (reused: cleared per batch). */
  #seen: RowHashMap | undefined

  constructor(db: Database, layout: TableLayout, rowIndex?: KeylessRowIndex) {
    this.#db = db
    this.#layout = layout
    this.#names = new Map(layout.columns.map((c) => [c.source, c.name]))
    this.#types = new Map(layout.columns.map((c) => [c.source, c.type]))
    this.#hashKeyed = layout.primaryKey.length === 0
    this.#rowIndex = rowIndex
  }

  get layout(): TableLayout {
    return this.#layout
  }

  /** Applies one records batch with `synced` as the write time of every row. */
  write(op: RecordOp, batch: Batch, synced: string): void {
    if (batch.length === 0) return
    if (op === 'delete') this.#requireKeys(batch)
    if (this.#layout.mode === 'history') return this.#writeHistory(op, batch, synced)
    if (this.#rowIndex) return this.#writeIndexed(this.#rowIndex, op, batch, synced)
    if (op === 'delete') return this.#delete(batch, synced)
    this.#upsert(op, batch, synced, this.#hashKeyed ? rowHashes(batch) : undefined)
  }

  /** Inserts or upserts every row of `batch` (`hashes`: `_sluice_id` of each row of a keyless table), 16 rows per statement. */
  #upsert(op: RecordOp, batch: Batch, synced: string, hashes: readonly string[] | undefined): void {
    const n = batch.length
    const columns = batch.columns.map((c) => this.#asStored(c))
    const sources = columns.map((c) => c.name)
    const rows: RowSource = {
      values: columns.map((c) => bindable(c)),
      validity: columns.map((c) => c.validity),
      synced,
      hashes,
    }
    const width = columns.length + 1 + (rows.hashes ? 1 : 0)
    const multi = n >= ROWS_PER_STATEMENT ? this.#statement(op, sources, ROWS_PER_STATEMENT) : undefined
    const single = this.#statement(op, sources, 1)
    const multiParams = packedArray(width * ROWS_PER_STATEMENT)
    const singleParams = packedArray(width)
    let i = 0
    try {
      // Spread, not `run(params)`: better-sqlite3 reads an array argument element by element
      // through the V8 API, while spread arguments arrive on the stack — ~15% less CPU per row.
      if (multi) {
        for (; i + ROWS_PER_STATEMENT <= n; i += ROWS_PER_STATEMENT) {
          fillParams(multiParams, rows, i, ROWS_PER_STATEMENT)
          multi.run(...multiParams)
        }
      }
      for (; i < n; i++) {
        fillParams(singleParams, rows, i, 1)
        single.run(...singleParams)
      }
    } catch (cause) {
      throw this.#failed(op, i, cause)
    }
  }

  /**
   * A keyless table found through its row index: rows it has get an UPDATE by rowid (checked
   * against `_sluice_id`), new rows a plain INSERT at the end of the table; a batch repeating a
   * row inserts it once. A rowid that no longer holds its row (moved by VACUUM) rebuilds the index
   * and the batch runs again.
   */
  #writeIndexed(index: KeylessRowIndex, op: RecordOp, batch: Batch, synced: string, retried = false): void {
    const hashes = rowHashes(batch)
    const keys = hashKeys(hashes)
    const found = index.find(hashes, keys)
    const fresh = new Uint8Array(batch.length)
    /** Positions of the fresh rows (their keys are read again below); a row repeated in the batch is inserted once. */
    const freshAt: number[] = []
    const seen = (this.#seen ??= new RowHashMap())
    seen.clear()
    const values = batch.columns.map((c) => bindable(c))
    const validity = batch.columns.map((c) => c.validity)
    const update = op === 'delete' ? this.#indexedDelete() : this.#indexedUpdate(op, batch.columns.map((c) => c.name))
    const params: unknown[] = []
    let i = 0
    try {
      for (; i < batch.length; i++) {
        const hash = hashes[i]!
        const rid = found[i]
        if (rid === undefined) {
          if (op !== 'delete' && seen.getKeys(keys.hi[i]!, keys.lo[i]!) === undefined) {
            seen.setKeys(keys.hi[i]!, keys.lo[i]!, i)
            fresh[i] = 1
            freshAt.push(i)
          }
          continue
        }
        params.length = 0
        if (op !== 'delete') {
          for (let c = 0; c < values.length; c++) {
            const v = validity[c]
            params.push(v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0 ? null : values[c]![i])
          }
        }
        params.push(synced, rid, hash)
        if (update.run(...params).changes === 0) {
          // internal invariant: a rebuilt index maps every key to its row; not reachable from input
          if (retried) throw new Error(`row ${hash} is not at rowid ${rid} even after rebuilding the row index`)
          index.rebuild()
          return this.#writeIndexed(index, op, batch, synced, true)
        }
      }
    } catch (cause) {
      throw this.#failed(op, i, cause)
    }
    if (freshAt.length === 0) return
    const freshHashes = freshAt.map((at) => hashes[at]!)
    const table = quoteIdent(this.#layout.name)
    const before = (this.#db.prepare(`SELECT max(rowid) FROM ${table}`).pluck().get() as number | null) ?? 0
    this.#upsert(op, freshHashes.length === batch.length ? batch : batch.filter(fresh), synced, freshHashes)
    // Rows without an explicit rowid get max + 1, one after another; anything else, read back.
    const last = this.#db.prepare(`SELECT max(rowid) FROM ${table}`).pluck().get() as number
    if (last === before + freshHashes.length) freshAt.forEach((at, k) => index.addKeys(keys.hi[at]!, keys.lo[at]!, before + 1 + k))
    else for (const r of this.#db.prepare(`SELECT rowid AS "rid", ${quoteIdent(SYSTEM.id)} AS "id" FROM ${table} WHERE rowid > ?`).all(before) as { rid: number; id: string }[]) index.add(r.id, r.rid)
    if (index.full) index.merge()
  }

  /** UPDATE of a found row: the given columns (an upsert NULLs the others), the write time, live again. */
  #indexedUpdate(op: RecordOp, sources: readonly string[]): Statement {
    const given = new Set(sources)
    const sets = sources.map((s) => `${quoteIdent(this.#names.get(s)!)} = ?`)
    if (op === 'upsert') for (const c of this.#layout.columns) if (!given.has(c.source)) sets.push(`${quoteIdent(c.name)} = NULL`)
    sets.push(`${quoteIdent(SYSTEM.synced)} = ?`, `${quoteIdent(SYSTEM.deleted)} = 0`)
    return this.#cached(`UPDATE ${quoteIdent(this.#layout.name)} SET ${sets.join(', ')} WHERE rowid = ? AND ${quoteIdent(SYSTEM.id)} = ?`)
  }

  /** A soft delete of a found row. */
  #indexedDelete(): Statement {
    const set = `${quoteIdent(SYSTEM.deleted)} = 1, ${quoteIdent(SYSTEM.synced)} = ?`
    return this.#cached(`UPDATE ${quoteIdent(this.#layout.name)} SET ${set} WHERE rowid = ? AND ${quoteIdent(SYSTEM.id)} = ?`)
  }

  #cached(sql: string): Statement {
    let stmt = this.#statements.get(sql)
    if (!stmt) this.#statements.set(sql, (stmt = this.#db.prepare(sql)))
    return stmt
  }

  /** History mode (SCD2): versions instead of overwrites (sqlite-history.ts). */
  #writeHistory(op: RecordOp, batch: Batch, synced: string): void {
    this.#history ??= new SqliteHistoryWriter(this.#db, this.#layout)
    let row = 0
    try {
      this.#history.write(op, batch, batch.columns.map((c) => bindable(this.#asStored(c))), synced, (i) => (row = i))
    } catch (cause) {
      throw this.#failed(op, row, cause)
    }
  }

  /** A delete of a keyed table must give its key columns (other columns of a delete are ignored). */
  #requireKeys(batch: Batch): void {
    const missing = this.#layout.primaryKey.filter((k) => !batch.column(k))
    if (missing.length === 0) return
    throw new SluiceError({
      code: 'PRIMARY_KEY_MISSING',
      message: `table ${this.#layout.table}: a delete must give the primary key column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
      context: { table: this.#layout.table },
    })
  }

  /**
   * A column in its destination column's type: bound as is, a LONG beyond 2^53 in a REAL column
   * (an older table inferred DOUBLE) became the nearest double, and a number in a TEXT column
   * SQLite's text of it. Converted as a fresh write of that type stores it, or `DESTINATION_WRITE`.
   */
  #asStored(column: Column): Column {
    const type = this.#types.get(column.name)
    return type === undefined || type === column.type ? column : columnAsType(column, type, `sqlite: table ${this.#layout.table}`)
  }

  /** Soft-deletes by key (or by row hash for a keyless table); other columns of a delete are ignored. */
  #delete(batch: Batch, synced: string): void {
    const table = quoteIdent(this.#layout.name)
    const set = `UPDATE ${table} SET ${quoteIdent(SYSTEM.deleted)} = 1, ${quoteIdent(SYSTEM.synced)} = ?`
    let keys: ArrayLike<unknown>[]
    let sql: string
    if (this.#hashKeyed) {
      keys = [rowHashes(batch)]
      sql = `${set} WHERE ${quoteIdent(SYSTEM.id)} = ?`
    } else {
      keys = this.#layout.primaryKey.map((k) => bindable(batch.column(k)!))
      sql = `${set} WHERE ${this.#layout.primaryKey.map((k) => `${quoteIdent(this.#names.get(k)!)} = ?`).join(' AND ')}`
    }
    let stmt = this.#statements.get(sql)
    if (!stmt) {
      stmt = this.#db.prepare(sql)
      this.#statements.set(sql, stmt)
    }
    const params: unknown[] = new Array(keys.length + 1)
    params[0] = synced
    let i = 0
    try {
      for (; i < batch.length; i++) {
        for (let k = 0; k < keys.length; k++) params[k + 1] = keys[k]![i]
        stmt.run(params)
      }
    } catch (cause) {
      throw this.#failed('delete', i, cause)
    }
  }

  /**
   * A `match: 'column'` delete: soft-deletes the live rows whose `column` holds one of the batch's
   * values, one statement per distinct value (a child table's `_sluice_parent_id` leads its key, so
   * each is an index range). Nothing when the table has no such column.
   */
  deleteMatching(column: string, batch: Batch, synced: string): void {
    const name = this.#names.get(column)
    if (name === undefined || batch.length === 0) return
    this.#indexMatch(name)
    const history = this.#layout.mode === 'history'
    // History tables: close the active versions too (their end is the delete's time).
    const set = history ? `${quoteIdent(HISTORY.end)} = @synced, ${quoteIdent(HISTORY.active)} = 0, ` : ''
    const live = history ? quoteIdent(HISTORY.active) : `${quoteIdent(SYSTEM.deleted)} = 0`
    const sql = `UPDATE ${quoteIdent(this.#layout.name)} SET ${set}${quoteIdent(SYSTEM.deleted)} = 1, ${quoteIdent(SYSTEM.synced)} = @synced WHERE ${quoteIdent(name)} = @value AND ${live}`
    let stmt = this.#statements.get(sql)
    if (!stmt) {
      stmt = this.#db.prepare(sql)
      this.#statements.set(sql, stmt)
    }
    const source = batch.column(column)!
    const values = bindable(source)
    let i = 0
    try {
      for (; i < batch.length; i++) if (!isNull(source, i)) stmt.run({ synced, value: values[i] })
    } catch (cause) {
      throw this.#failed('delete', i, cause)
    }
  }

  /** CREATE INDEX IF NOT EXISTS on a match column that doesn't lead the key (see `matchIndex`), once per writer. */
  #indexMatch(name: string): void {
    if (this.#matchIndexed.has(name)) return
    const index = matchIndex(this.#layout, name)
    if (index) this.#db.exec(`CREATE INDEX IF NOT EXISTS ${quoteIdent(index)} ON ${quoteIdent(this.#layout.name)} (${quoteIdent(name)})`)
    this.#matchIndexed.add(name)
  }

  #failed(op: RecordOp, row: number, cause: unknown): SluiceError {
    return new SluiceError({
      code: 'DESTINATION_WRITE',
      message: `sqlite: writing ${op} rows to table ${this.#layout.name} failed near batch row ${row}: ${(cause as Error).message}`,
      cause,
      context: { table: this.#layout.table, op, row },
    })
  }

  #statement(op: RecordOp, sources: readonly string[], rows: number): Statement {
    const cacheKey = `${op}:${rows}:${sources.join('\u0000')}`
    let stmt = this.#statements.get(cacheKey)
    if (!stmt) {
      stmt = this.#db.prepare(this.#sql(op, sources, rows))
      this.#statements.set(cacheKey, stmt)
    }
    return stmt
  }

  #sql(op: RecordOp, sources: readonly string[], rows: number): string {
    const table = quoteIdent(this.#layout.name)
    const cols = sources.map((s) => quoteIdent(this.#names.get(s)!))
    const synced = quoteIdent(SYSTEM.synced)
    const deleted = quoteIdent(SYSTEM.deleted)
    const id = quoteIdent(SYSTEM.id)
    const keys = keyNames(this.#layout).map(quoteIdent)
    const insertCols = [...cols, synced, deleted, ...(this.#hashKeyed ? [id] : [])]
    const one = `(${[...cols.map(() => '?'), '?', '0', ...(this.#hashKeyed ? ['?'] : [])].join(', ')})`
    const head = `INSERT INTO ${table} (${insertCols.join(', ')}) VALUES ${Array.from({ length: rows }, () => one).join(', ')}`
    if (this.#layout.mode === 'append' || this.#rowIndex) return head // a row index has told which rows are new
    const given = new Set(sources)
    const sets: string[] = []
    for (const c of this.#layout.columns) {
      if (given.has(c.source)) {
        if (!this.#layout.primaryKey.includes(c.source)) sets.push(`${quoteIdent(c.name)} = excluded.${quoteIdent(c.name)}`)
      } else if (op === 'upsert') sets.push(`${quoteIdent(c.name)} = NULL`) // upsert writes the whole row
    }
    sets.push(`${synced} = excluded.${synced}`, `${deleted} = 0`)
    return `${head} ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${sets.join(', ')}`
  }
}

/** What a row's parameters are read from: the batch's columns, then the write time, then the row hash. */
interface RowSource {
  readonly values: readonly ArrayLike<unknown>[]
  readonly validity: readonly (Uint8Array | undefined)[]
  readonly synced: string
  readonly hashes: readonly string[] | undefined
}

/** Writes the parameters of rows `from … from + count - 1` into `params`, one row after another. */
function fillParams(params: unknown[], rows: RowSource, from: number, count: number): void {
  const { values, validity, synced, hashes } = rows
  const k = values.length
  let p = 0
  for (let row = from; row < from + count; row++) {
    for (let c = 0; c < k; c++) {
      const v = validity[c]
      params[p++] = v !== undefined && ((v[row >> 3]! >> (row & 7)) & 1) === 0 ? null : values[c]![row]
    }
    params[p++] = synced
    if (hashes) params[p++] = hashes[row]
  }
}

/** An array of `n` nulls built by push, so V8 keeps it packed: spreading a holey array takes a slower path. */
function packedArray(n: number): unknown[] {
  const out: unknown[] = []
  for (let i = 0; i < n; i++) out.push(null)
  return out
}

/** Values as better-sqlite3 binds them: bytes as Buffer (it does not take a bare Uint8Array). */
function bindable(column: Column): ArrayLike<unknown> {
  if (column.type !== 'BINARY') return column.values as ArrayLike<unknown>
  return (column.values as Uint8Array[]).map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)))
}
