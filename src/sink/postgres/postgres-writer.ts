import { hash } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { Batch, Column } from '../../core/batch.js'
import type { RecordOp } from '../../core/message.js'
import { isSluiceError, SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { rowHashes } from '../../core/row-hash.js'
import { SYSTEM, type LayoutColumn, type TableLayout } from '../layout/table-layout.js'
import { copyText, fieldEncoder, type FieldEncoder } from './copy-text.js'
import { pgError } from '../../db/postgres-connection.js'
import { pgType, qualified } from './postgres-ddl.js'
import { matchIndex } from '../layout/match-index.js'
import { deleteMatchingSql, deleteSql, historyDeleteSql, historySql, upsertSql, type MergePlan } from './postgres-merge.js'

/**
 * Writes record batches of one table. A batch is streamed with `COPY … FROM STDIN` (text format)
 * into a temporary staging table and merged with one statement (LIMITS.md: COPY is ~5× a
 * multi-row upsert), all inside the sync's open transaction. Append tables skip the staging
 * table: rows are copied straight in. Rows repeating a key within a batch keep the last one, as
 * applying them one by one would.
 */
export class PostgresTableWriter {
  readonly #client: pg.PoolClient
  readonly #schema: string
  readonly #matchIndexed = new Set<string>()
  readonly #layout: TableLayout
  /** Staging tables that exist on this connection (shared by every writer of the run). */
  readonly #staged: Set<string>
  readonly #bySource: Map<string, LayoutColumn>

  constructor(client: pg.PoolClient, schema: string, layout: TableLayout, staged: Set<string>) {
    this.#client = client
    this.#schema = schema
    this.#layout = layout
    this.#staged = staged
    this.#bySource = new Map(layout.columns.map((c) => [c.source, c]))
  }

  /** Applies one records batch with `synced` (ISO) as the write time of every row. */
  async write(op: RecordOp, batch: Batch, synced: string): Promise<void> {
    if (batch.length === 0) return
    try {
      if (op === 'delete') return await this.#delete(batch, synced)
      const columns = batch.columns
      const fields = columns.map((c) => this.#encoder(c))
      const hashes = this.#layout.primaryKey.length === 0 ? rowHashes(batch) : undefined
      if (hashes) fields.push((i) => hashes[i]!)
      const given = columns.map((c) => this.#bySource.get(c.name)!)
      if (this.#layout.mode === 'append') {
        const cols = [...given.map((c) => c.name), ...(hashes ? [SYSTEM.id] : []), SYSTEM.synced]
        await this.#copy(`${qualified(this.#schema, this.#layout.name)} (${cols.map(quoteIdent).join(', ')})`, fields, batch.length, [synced])
        return
      }
      const keyFields = hashes ? [fields.at(-1)!] : this.#layout.primaryKey.map((k) => fields[columns.findIndex((c) => c.name === k)]!)
      const single = hashes ?? (this.#layout.primaryKey.length === 1 ? storedValues(batch.column(this.#layout.primaryKey[0]!)) : undefined)
      const rows = lastOfEachKey(keyFields, batch.length, single)
      const stage = this.#stage(given)
      const plan: MergePlan = { schema: this.#schema, layout: this.#layout, stage: stage.name, given: given.map((c) => c.name) }
      const merge = this.#layout.mode === 'history' ? `${analyze(stage.name)}; ${historySql(plan, op, synced)}` : upsertSql(plan, op, synced)
      await this.#copy(`${stage.name} (${stagedNames(given, !!hashes).map(quoteIdent).join(', ')})`, fields, rows, [], stage, `${merge}; TRUNCATE ${stage.name}`)
    } catch (cause) {
      throw this.#failed(op, cause)
    }
  }

  /** Soft-deletes by key (by row hash for a keyless table); other columns of a delete are ignored. */
  async #delete(batch: Batch, synced: string): Promise<void> {
    let fields: FieldEncoder[]
    let given: LayoutColumn[]
    if (this.#layout.primaryKey.length === 0) {
      const hashes = rowHashes(batch)
      fields = [(i) => hashes[i]!]
      given = []
    } else {
      const missing = this.#layout.primaryKey.filter((k) => !batch.column(k))
      if (missing.length > 0) {
        throw new SluiceError({
          code: 'PRIMARY_KEY_MISSING',
          message: `table ${this.#layout.table}: a delete must give the primary key column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
          context: { table: this.#layout.table },
        })
      }
      const keys = this.#layout.primaryKey.map((k) => batch.column(k)!)
      fields = keys.map((c) => this.#encoder(c))
      given = keys.map((c) => this.#bySource.get(c.name)!)
    }
    const stage = this.#stage(given)
    const plan: MergePlan = { schema: this.#schema, layout: this.#layout, stage: stage.name, given: given.map((c) => c.name) }
    const sql = this.#layout.mode === 'history' ? historyDeleteSql(plan, synced) : deleteSql(plan, synced)
    await this.#copy(`${stage.name} (${stagedNames(given, given.length === 0).map(quoteIdent).join(', ')})`, fields, lastOfEachKey(fields, batch.length, undefined), [], stage, `${analyze(stage.name)}; ${sql}; TRUNCATE ${stage.name}`)
  }

  /** A `match: 'column'` delete: soft-deletes the live rows whose `column` holds a staged value; nothing without such a column. */
  async deleteMatching(column: string, batch: Batch, synced: string): Promise<void> {
    const target = this.#bySource.get(column)
    if (target === undefined || batch.length === 0) return
    try {
      await this.#indexMatch(target.name)
      const stage = this.#stage([target])
      const plan: MergePlan = { schema: this.#schema, layout: this.#layout, stage: stage.name, given: [target.name] }
      const sql = `${analyze(stage.name)}; ${deleteMatchingSql(plan, target.name, synced)}; TRUNCATE ${stage.name}`
      await this.#copy(`${stage.name} (${quoteIdent(target.name)})`, [this.#encoder(batch.column(column)!)], batch.length, [], stage, sql)
    } catch (cause) {
      throw this.#failed('delete', cause)
    }
  }

  /** CREATE INDEX IF NOT EXISTS on a match column that doesn't lead the key (see `matchIndex`), once per writer. */
  async #indexMatch(name: string): Promise<void> {
    if (this.#matchIndexed.has(name)) return
    const index = matchIndex(this.#layout, name)
    if (index) await this.#client.query(`CREATE INDEX IF NOT EXISTS ${quoteIdent(index)} ON ${qualified(this.#schema, this.#layout.name)} (${quoteIdent(name)})`)
    this.#matchIndexed.add(name)
  }

  #encoder(column: Column): FieldEncoder {
    const target = this.#bySource.get(column.name)!
    return fieldEncoder(column, target.type, (i) => `table ${this.#layout.table}, column ${JSON.stringify(column.name)}, batch row ${i}`)
  }

  /**
   * The staging table for this column set, named by a hash of its definition; `create` is its
   * `CREATE TEMP TABLE IF NOT EXISTS` until a statement that ran it succeeded on this connection.
   */
  #stage(given: readonly LayoutColumn[]): Stage {
    const defs = given.map((c) => `${quoteIdent(c.name)} ${pgType(c.type)}`)
    if (this.#layout.primaryKey.length === 0) defs.push(`${quoteIdent(SYSTEM.id)} text`)
    const name = `_sluice_stage_${hash('sha256', `${this.#layout.name}\u0000${defs.join(',')}`, 'hex').slice(0, 16)}`
    const stage = `pg_temp.${quoteIdent(name)}`
    return { name: stage, ...(this.#staged.has(stage) ? {} : { create: `CREATE TEMP TABLE IF NOT EXISTS ${quoteIdent(name)} (${defs.join(', ')})` }) }
  }

  /**
   * COPY into `target`; with `stage`, its creation first (if due) and `then` after the data, in the
   * same query string: one round trip for the staging table, the rows and the merge (the
   * statements run in order, in the open transaction; any failing fails the whole).
   */
  async #copy(target: string, fields: readonly FieldEncoder[], rows: readonly number[] | number, extra: readonly string[], stage?: Stage, then?: string): Promise<void> {
    const sql = [stage?.create, `COPY ${target} FROM STDIN`, then].filter((part) => part !== undefined).join('; ')
    const stream = this.#client.query(copyFrom(sql))
    await pipeline(Readable.from(copyText(fields, rows, extra), { objectMode: false }), stream)
    if (stage?.create) this.#staged.add(stage.name)
  }

  #failed(op: RecordOp, cause: unknown): SluiceError {
    if (isSluiceError(cause)) return cause
    return pgError('DESTINATION_WRITE', `postgres: writing ${op} rows to table ${this.#layout.name} failed`, cause, { table: this.#layout.table, op })
  }
}

/** A staging table: its qualified name, and the statement that creates it while this connection may lack it. */
interface Stage {
  readonly name: string
  readonly create?: string
}

/**
 * Temp tables are never auto-analyzed: without statistics the planner guesses a large staging
 * table and joins it to the destination with a sequential scan (45 ms for 15 deleted keys against
 * 200k rows). Statements that join (deletes, history) analyze it first; upserts don't join.
 */
function analyze(stage: string): string {
  return `ANALYZE ${stage}`
}

function stagedNames(given: readonly LayoutColumn[], hashKeyed: boolean): string[] {
  const names = given.map((c) => c.name)
  return hashKeyed ? [...names, SYSTEM.id] : names
}

/**
 * Row indexes to write when rows may repeat a key: the last row of each key, in order; just the
 * count when every key is unique (the common case, no index array built). A single key column is
 * compared on its stored values (numbers, bigints and strings compare by value in a Map), others
 * on their encoded text.
 */
function lastOfEachKey(keyFields: readonly FieldEncoder[], n: number, single: ArrayLike<unknown> | undefined): readonly number[] | number {
  const last = new Map<unknown, number>()
  if (single) for (let i = 0; i < n; i++) last.set(single[i], i)
  else for (let i = 0; i < n; i++) last.set(keyFields.map((f) => f(i)).join('\t'), i)
  if (last.size === n) return n
  return [...last.values()].sort((a, b) => a - b)
}

/** A key column's stored values when they compare exactly by value (bytes don't: they are compared as text). */
function storedValues(column: Column | undefined): ArrayLike<unknown> | undefined {
  return column && column.type !== 'BINARY' ? (column.values as ArrayLike<unknown>) : undefined
}
