import type { Database, Statement } from 'better-sqlite3'
import type { Batch, Column } from '../../core/batch.js'
import type { RecordOp } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../layout/normalize-name.js'
import { rowHashes } from '../layout/row-hash.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'
import { keyNames } from './sqlite-ddl.js'

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
  /** Keyless table: rows are keyed by `_sluice_id`, the row hash. */
  readonly #hashKeyed: boolean

  constructor(db: Database, layout: TableLayout) {
    this.#db = db
    this.#layout = layout
    this.#names = new Map(layout.columns.map((c) => [c.source, c.name]))
    this.#hashKeyed = layout.primaryKey.length === 0
  }

  get layout(): TableLayout {
    return this.#layout
  }

  /** Applies one records batch with `synced` as the write time of every row. */
  write(op: RecordOp, batch: Batch, synced: string): void {
    if (batch.length === 0) return
    if (op === 'delete') return this.#delete(batch, synced)
    const columns = batch.columns
    const hashes = this.#hashKeyed ? rowHashes(batch) : undefined
    const sources = columns.map((c) => c.name)
    const width = columns.length + 1 + (hashes ? 1 : 0)
    const full = Math.floor(batch.length / ROWS_PER_STATEMENT)
    const multi = full === 0 ? undefined : this.#statement(op, sources, ROWS_PER_STATEMENT)
    const single = this.#statement(op, sources, 1)
    const values = columns.map((c) => bindable(c))
    const validity = columns.map((c) => c.validity)
    const k = columns.length
    const params: unknown[] = new Array(width * (multi ? ROWS_PER_STATEMENT : 1))
    let i = 0
    const fill = (row: number, at: number) => {
      for (let c = 0; c < k; c++) {
        const v = validity[c]
        params[at + c] = v !== undefined && ((v[row >> 3]! >> (row & 7)) & 1) === 0 ? null : values[c]![row]
      }
      params[at + k] = synced
      if (hashes) params[at + k + 1] = hashes[row]
    }
    try {
      if (multi) {
        for (; i + ROWS_PER_STATEMENT <= batch.length; i += ROWS_PER_STATEMENT) {
          for (let r = 0; r < ROWS_PER_STATEMENT; r++) fill(i + r, r * width)
          multi.run(params)
        }
        params.length = width
      }
      for (; i < batch.length; i++) {
        fill(i, 0)
        single.run(params)
      }
    } catch (cause) {
      throw this.#failed(op, i, cause)
    }
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
      const missing = this.#layout.primaryKey.filter((k) => !batch.column(k))
      if (missing.length > 0) {
        throw new SluiceError({
          code: 'PRIMARY_KEY_MISSING',
          message: `table ${this.#layout.table}: a delete must give the primary key column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
          context: { table: this.#layout.table },
        })
      }
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
    if (this.#layout.mode === 'append') return head
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

/** Values as better-sqlite3 binds them: bytes as Buffer (it does not take a bare Uint8Array). */
function bindable(column: Column): ArrayLike<unknown> {
  if (column.type !== 'BINARY') return column.values as ArrayLike<unknown>
  return (column.values as Uint8Array[]).map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)))
}
