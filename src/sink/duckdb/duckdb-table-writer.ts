import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api'
import { Batch, isNull, type Column } from '../../core/batch.js'
import type { RecordOp } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { rowHashes } from '../../core/row-hash.js'
import { SYSTEM, type LayoutColumn, type TableLayout } from '../layout/table-layout.js'
import { columnAsType } from '../../codec/column-as-type.js'
import { appendColumns } from './duckdb-chunks.js'
import { directColumns, HASH } from './duckdb-direct.js'
import { duckdbType, stagingType } from './duckdb-ddl.js'
import { deleteMatchingSql, deleteSql, historyDeleteSql, historySql, insertSql, keyConditions, mergeSql, type Staging } from './duckdb-merge-sql.js'
import { sqlString } from './duckdb-meta.js'
import { lastOccurrences } from './last-occurrences.js'
import type { DuckDbModule } from './load-duckdb.js'


let stagingCounter = 0

/**
 * From this many rows on, a keyed batch is first checked for keys already in the table: when
 * none are (an initial load, new ids), the rows go straight into the table through the appender,
 * at about a third of the cost of staging + ON CONFLICT. The check stages the keys alone and
 * runs a semi-join whose probe side DuckDB prunes by the keys' range (~1–2 ms on a million-row
 * table); below this size a plain merge costs less than the check.
 */
const CHECK_CONFLICTS_FROM_ROWS = 1024

/** The smallest and largest value of a key column (JS order: any total order works for a disjointness test). */
interface KeyRange {
  readonly min: number | bigint | string
  readonly max: number | bigint | string
}

function keyRange(column: Column): KeyRange | undefined {
  const values = column.values as ArrayLike<number | bigint | string>
  let min: number | bigint | string | undefined
  let max: number | bigint | string | undefined
  for (let i = 0; i < values.length; i++) {
    if (column.validity && isNull(column, i)) continue
    const v = values[i]!
    if (typeof v === 'object') return undefined // bytes: no cheap order
    if (min === undefined || v < min) min = v
    if (max === undefined || v > max) max = v
  }
  return min === undefined ? undefined : { min, max: max! }
}

function widen(a: KeyRange, b: KeyRange): KeyRange {
  return { min: b.min < a.min ? b.min : a.min, max: b.max > a.max ? b.max : a.max }
}

function disjoint(a: KeyRange, b: KeyRange): boolean {
  return b.min > a.max || b.max < a.min
}

/**
 * Writes record batches of one table inside the sink's open transaction. Rows reach DuckDB by
 * bulk vector copies (see `appendColumns`), never one value at a time:
 * - append tables, and keyed batches whose keys are all new: appended straight into the table;
 * - other upserts and updates: appended to a temp staging table, then merged by one
 *   `INSERT … ON CONFLICT DO UPDATE` (upsert writes the whole row, update the given columns);
 * - deletes: the keys are staged, then one `UPDATE … FROM` sets `_sluice_deleted`.
 * Statements are prepared once per column set.
 */
export class DuckDbTableWriter {
  readonly #duck: DuckDbModule
  readonly #connection: DuckDBConnection
  readonly #layout: TableLayout
  readonly #bySource: Map<string, LayoutColumn>
  readonly #hashKeyed: boolean
  readonly #staging = new Map<string, Promise<Staging>>()
  readonly #statements = new Map<string, Promise<DuckDBPreparedStatement>>()
  /** The table's columns in physical order, when rows can be appended to it directly. */
  #direct: Promise<readonly string[] | undefined> | undefined
  /** Whether the table held no row when this writer began: then only its own writes can conflict. */
  #startedEmpty: Promise<boolean> | undefined
  /** Smallest and largest first-key value this writer has written. */
  #range: KeyRange | undefined

  constructor(duck: DuckDbModule, connection: DuckDBConnection, layout: TableLayout) {
    this.#duck = duck
    this.#connection = connection
    this.#layout = layout
    this.#bySource = new Map(layout.columns.map((c) => [c.source, c]))
    this.#hashKeyed = layout.primaryKey.length === 0
  }

  /**
   * Applies one records batch with `synced` (ISO UTC) as the write time of every row. Resolves to
   * true when rows already in the table may have been changed (UPDATE, ON CONFLICT DO UPDATE),
   * false when rows were only inserted: DuckDB can't commit an ALTER of a table after an update
   * of it in the same transaction, so the run needs to know.
   */
  async write(op: RecordOp, input: Batch, synced: string): Promise<boolean> {
    if (input.length === 0) return false
    const batch = op === 'delete' ? this.#keysOf(input) : input
    const hashes = this.#hashKeyed ? rowHashes(input) : undefined
    const columns: Column[] = batch.columns.map((c) => columnAsType(c, this.#bySource.get(c.name)!.type, `duckdb: table ${this.#layout.table}`))
    if (hashes) columns.push({ name: HASH, type: 'STRING', values: hashes, validity: undefined, nullCount: 0 })
    const appendOnly = this.#layout.mode === 'append' && op !== 'delete'
    const history = this.#layout.mode === 'history'
    // Two rows with one key in a batch: the last wins, as it would row by row (DuckDB's ON CONFLICT keeps the first).
    const keep = appendOnly ? undefined : lastOccurrences(hashes ? [hashes] : this.#keyValues(batch), batch.length)
    const rows = keep ? new Batch(columns, batch.length).filter(keep) : new Batch(columns, batch.length)
    try {
      if (op === 'delete') {
        await this.#merge(rows, (s, at) => (history ? historyDeleteSql : deleteSql)(this.#layout, s, at), synced)
        return true
      }
      const direct = await this.#directOrder()
      const range = appendOnly ? undefined : keyRange(rows.columns[this.#firstKeyIndex(rows)]!)
      const fresh = direct !== undefined && !appendOnly && !history && rows.length >= CHECK_CONFLICTS_FROM_ROWS && (await this.#allNew(rows, range))
      if (range) this.#range = this.#range ? widen(this.#range, range) : range
      if (direct && (appendOnly || fresh)) {
        const all = directColumns(direct, this.#layout, rows, synced)
        await appendColumns(this.#duck, this.#connection, this.#layout.name, all, rows.length, 'main')
        return false
      }
      await this.#merge(rows, (s, at) => (appendOnly ? insertSql(this.#layout, s, at) : history ? historySql(this.#layout, op, s, at) : mergeSql(this.#layout, op, s, at)), synced)
      return !appendOnly
    } catch (cause) {
      if (cause instanceof SluiceError) throw cause
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `duckdb: writing ${op} rows to table ${this.#layout.name} failed: ${(cause as Error).message}`,
        cause,
        context: { table: this.#layout.table, op },
      })
    }
  }

  /** A `match: 'column'` delete: soft-deletes the live rows whose `column` holds one of the batch's values; false (nothing) without such a column. */
  async deleteMatching(column: string, input: Batch, synced: string): Promise<boolean> {
    const target = this.#bySource.get(column)
    if (target === undefined || input.length === 0) return false
    const values = columnAsType(input.column(column)!, target.type, `duckdb: table ${this.#layout.table}`)
    try {
      await this.#merge(new Batch([values], input.length), (s, at) => deleteMatchingSql(this.#layout, s, at), synced)
      return true
    } catch (cause) {
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `duckdb: deleting rows of table ${this.#layout.name} by ${column} failed: ${(cause as Error).message}`,
        cause,
        context: { table: this.#layout.table, op: 'delete' },
      })
    }
  }

  /** Drops this writer's staging tables and statements (before a schema change, and at the end of a run). */
  async dispose(): Promise<void> {
    for (const statement of this.#statements.values()) (await statement.catch(() => undefined))?.destroySync()
    for (const staging of this.#staging.values()) {
      const s = await staging.catch(() => undefined)
      if (s) await this.#connection.run(`DROP TABLE IF EXISTS temp.main.${quoteIdent(s.name)}`).catch(() => undefined)
    }
    this.#statements.clear()
    this.#staging.clear()
  }

  /**
   * Stages the rows, then runs `sql` (given the staging table and the write time as a SQL
   * expression) and empties the staging table in one call: each call is a round trip to DuckDB's
   * threads, and a statement with parameters takes three.
   */
  async #merge(rows: Batch, sql: (staging: Staging, synced: string) => string, synced: string): Promise<void> {
    const staging = await this.#stagingFor(rows.columns)
    await appendColumns(this.#duck, this.#connection, staging.name, rows.columns, rows.length)
    await this.#connection.run(`${sql(staging, `CAST(${sqlString(synced)} AS TIMESTAMPTZ)`)}; TRUNCATE temp.main.${quoteIdent(staging.name)}`)
  }

  /**
   * True when no key of `rows` is in the table yet. Without a query when the table started empty
   * and the keys lie outside the range this writer has written (an initial load with growing
   * ids); else by staging the keys and checking (see `#conflicts`).
   */
  async #allNew(rows: Batch, range: KeyRange | undefined): Promise<boolean> {
    this.#startedEmpty ??= this.#connection
      .runAndReadAll(`SELECT count(*) FROM (SELECT 1 FROM ${quoteIdent(this.#layout.name)} LIMIT 1)`)
      .then((r) => Number(r.getRows()[0]![0]) === 0)
    if (range && (await this.#startedEmpty) && (!this.#range || disjoint(this.#range, range))) return true
    return !(await this.#conflicts(rows))
  }

  #firstKeyIndex(rows: Batch): number {
    const name = this.#hashKeyed ? HASH : this.#layout.primaryKey[0]!
    return rows.columns.findIndex((c) => c.name === name)
  }

  /** True when some key of `rows` is already in the table (the keys alone are staged to find out). */
  async #conflicts(rows: Batch): Promise<boolean> {
    const keys = rows.select(this.#hashKeyed ? [HASH] : this.#layout.primaryKey)
    const staging = await this.#stagingFor(keys.columns)
    await appendColumns(this.#duck, this.#connection, staging.name, keys.columns, keys.length)
    const table = quoteIdent(this.#layout.name)
    const statement = await this.#prepared(`SELECT count(*) FROM ${table} SEMI JOIN temp.main.${quoteIdent(staging.name)} s ON ${keyConditions(this.#layout, staging, table)}`)
    const reader = await statement.runAndReadAll()
    await this.#connection.run(`TRUNCATE temp.main.${quoteIdent(staging.name)}`)
    return Number(reader.getRows()[0]![0]) > 0
  }

  /**
   * The table's physical column order if rows can be appended to it directly: every column is
   * one sluice wrote, and none is DECIMAL (the appender takes DECIMAL as scaled integers, which
   * the staging path leaves to DuckDB's exact text cast).
   */
  #directOrder(): Promise<readonly string[] | undefined> {
    this.#direct ??= (async () => {
      if (this.#layout.columns.some((c) => duckdbType(c.type).startsWith('DECIMAL'))) return undefined
      const reader = await this.#connection.runAndReadAll(
        `SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 ORDER BY column_index`,
        [this.#layout.name],
      )
      const names = reader.getRows().map((r) => r[0] as string)
      const known = new Set([...this.#layout.columns.map((c) => c.name), SYSTEM.synced, SYSTEM.deleted, SYSTEM.id])
      return names.every((n) => known.has(n)) ? names : undefined
    })()
    return this.#direct
  }

  /** A delete needs only the key: the key columns, or the whole row for a keyless table (its hash). */
  #keysOf(batch: Batch): Batch {
    if (this.#hashKeyed) return batch.select([])
    const missing = this.#layout.primaryKey.filter((k) => !batch.column(k))
    if (missing.length > 0) {
      throw new SluiceError({
        code: 'PRIMARY_KEY_MISSING',
        message: `table ${this.#layout.table}: a delete must give the primary key column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
        context: { table: this.#layout.table },
      })
    }
    return batch.select(this.#layout.primaryKey)
  }

  #keyValues(batch: Batch): ArrayLike<unknown>[] {
    return this.#layout.primaryKey.map((k) => (batch.column(k)?.values ?? []) as ArrayLike<unknown>)
  }

  #stagingFor(columns: readonly Column[]): Promise<Staging> {
    const signature = columns.map((c) => `${c.name}\u0000${c.type}`).join('\u0001')
    let staging = this.#staging.get(signature)
    if (!staging) {
      const name = `_sluice_stage_${++stagingCounter}`
      const targets = columns.map((c) => (c.name === HASH ? undefined : this.#bySource.get(c.name)!))
      const defs = columns.map((c, i) => `${quoteIdent(`c${i}`)} ${stagingType(c.type)}`)
      staging = this.#connection.run(`CREATE TEMP TABLE ${quoteIdent(name)} (${defs.join(', ')})`).then(() => ({ name, targets }))
      this.#staging.set(signature, staging)
    }
    return staging
  }

  #prepared(sql: string): Promise<DuckDBPreparedStatement> {
    let statement = this.#statements.get(sql)
    if (!statement) {
      statement = this.#connection.prepare(sql)
      this.#statements.set(sql, statement)
      statement.catch(() => this.#statements.delete(sql))
    }
    return statement
  }
}
