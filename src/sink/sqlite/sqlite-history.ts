import type { Database, Statement } from 'better-sqlite3'
import type { Batch } from '../../core/batch.js'
import type { RecordOp } from '../../core/message.js'
import { END_OF_TIME, endBefore, HISTORY } from '../layout/history-columns.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { rowHashes } from '../../core/row-hash.js'
import { keyNames, SYSTEM, type TableLayout } from '../layout/table-layout.js'

const q = quoteIdent

/**
 * Writes record batches of a history-mode (SCD2) table, as the Postgres and DuckDB sinks do.
 * Per key (the last row of a batch that repeats it): when there is no active version, or the
 * active one differs in a written column, a new active version starts at `synced`; the one it
 * replaces is closed (`_sluice_active` = 0, `_sluice_end` 1 ms before the new start). An
 * unchanged row only refreshes `_sluice_synced`, so a replay after a crash adds no versions. An
 * update carries the replaced version's other columns into the new one; an upsert sets them to
 * NULL. A delete closes the active version at `synced` and marks it deleted. Two statements per
 * row, closing first, each reading the row's values once from a one-row subquery `s`.
 */
export class SqliteHistoryWriter {
  readonly #db: Database
  readonly #layout: TableLayout
  readonly #statements = new Map<string, { close: Statement; open: Statement }>()
  #delete: Statement | undefined

  constructor(db: Database, layout: TableLayout) {
    this.#db = db
    this.#layout = layout
  }

  /**
   * Applies one batch; `values` are the batch's columns as bound (see the table writer), `hashes`
   * the row hashes of a keyless table. Returns the row being written when a statement throws.
   */
  write(op: RecordOp, batch: Batch, values: readonly ArrayLike<unknown>[], synced: string, onRow: (row: number) => void): void {
    const hashes = this.#layout.primaryKey.length === 0 ? rowHashes(batch) : undefined
    const sources = batch.columns.map((c) => c.name)
    const keyAt = this.#layout.primaryKey.map((k) => sources.indexOf(k))
    const key = (i: number): string => (hashes ? hashes[i]! : keyAt.map((c) => keyText(values[c]![i])).join('\u0000'))
    const rows = lastOfEachKey(batch.length, key)
    if (op === 'delete') {
      this.#delete ??= this.#db.prepare(
        `UPDATE ${q(this.#layout.name)} SET ${q(HISTORY.active)} = 0, ${q(HISTORY.end)} = ?, ${q(SYSTEM.deleted)} = 1, ${q(SYSTEM.synced)} = ?
         WHERE ${keyNames(this.#layout).map((k) => `${q(k)} = ?`).join(' AND ')} AND ${q(HISTORY.active)}`,
      )
      for (const i of rows) {
        onRow(i)
        this.#delete.run(synced, synced, ...(hashes ? [hashes[i]] : keyAt.map((c) => values[c]![i])))
      }
      return
    }
    const { close, open } = this.#prepared(op, sources)
    const closed = endBefore(synced)
    const validity = batch.columns.map((c) => c.validity)
    const params: unknown[] = new Array(values.length + (hashes ? 3 : 2))
    for (const i of rows) {
      onRow(i)
      let p = 0
      for (let c = 0; c < values.length; c++) {
        const v = validity[c]
        params[p++] = v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0 ? null : values[c]![i]
      }
      if (hashes) params[p++] = hashes[i]
      params[p++] = synced
      params[p++] = closed
      close.run(...params)
      open.run(...params)
    }
  }

  #prepared(op: Exclude<RecordOp, 'delete'>, sources: readonly string[]): { close: Statement; open: Statement } {
    const cacheKey = `${op}:${sources.join('\u0000')}`
    let stmts = this.#statements.get(cacheKey)
    if (!stmts) {
      const sql = historySql(this.#layout, op, sources)
      stmts = { close: this.#db.prepare(sql.close), open: this.#db.prepare(sql.open) }
      this.#statements.set(cacheKey, stmts)
    }
    return stmts
  }
}

/**
 * The two statements of an upsert or update of `sources` (source column names, in the order the
 * parameters bind them, then `_sluice_id` of a keyless table, then the start and the end of the
 * replaced version).
 */
function historySql(layout: TableLayout, op: Exclude<RecordOp, 'delete'>, sources: readonly string[]): { close: string; open: string } {
  const table = q(layout.name)
  const names = new Map(layout.columns.map((c) => [c.source, c.name]))
  const keyless = layout.primaryKey.length === 0
  // The row's values as columns of `s`, under aliases of our own (destination names can be anything).
  const alias = new Map<string, string>(sources.map((s, i) => [names.get(s)!, q(`c${i}`)]))
  if (keyless) alias.set(SYSTEM.id, q('k'))
  const row = [...[...alias.values()].map((a) => `? AS ${a}`), `? AS "start"`, `? AS "closed"`].join(', ')
  const keys = keyNames(layout)
  const keySet = new Set(keys)
  const all = [...layout.columns.map((c) => c.name), ...(keyless ? [SYSTEM.id] : [])]
  const value = (c: string, previous: string) => {
    const a = alias.get(c)
    return a !== undefined ? `s.${a}` : op === 'update' ? `${previous}.${q(c)}` : 'NULL'
  }
  const compared = all.filter((c) => !keySet.has(c) && (op === 'upsert' || alias.has(c)))
  const differs = compared.length ? `(${compared.map((c) => `t.${q(c)} IS NOT ${value(c, 't')}`).join(' OR ')})` : '0'
  const on = (x: string) => keys.map((k) => `${x}.${q(k)} = s.${alias.get(k)!}`).join(' AND ')
  const close = `UPDATE ${table} AS t SET ${q(SYSTEM.synced)} = s."start", ${q(HISTORY.active)} = NOT ${differs},
  ${q(HISTORY.end)} = CASE WHEN ${differs} THEN s."closed" ELSE t.${q(HISTORY.end)} END
FROM (SELECT ${row}) AS s WHERE ${on('t')} AND t.${q(HISTORY.active)}`
  const columns = [...all, SYSTEM.synced, SYSTEM.deleted, HISTORY.start, HISTORY.end, HISTORY.active].map(q)
  // `p`, the replaced version, is the one the close just ended (its end and write time): a version a delete
  // closed 1 ms before this batch started also ends there, and an update must not carry its columns.
  const open = `INSERT INTO ${table} (${columns.join(', ')})
SELECT ${all.map((c) => value(c, 'p')).join(', ')}, s."start", 0, s."start", '${END_OF_TIME}', 1
FROM (SELECT ${row}) AS s LEFT JOIN ${table} AS p ON ${on('p')} AND p.${q(HISTORY.end)} = s."closed" AND p.${q(SYSTEM.synced)} = s."start"
WHERE NOT EXISTS (SELECT 1 FROM ${table} AS a WHERE ${on('a')} AND a.${q(HISTORY.active)})`
  return { close, open }
}

/** Indices of the last row of each key, in batch order: a batch that repeats a key keeps its last row, as the other sinks do. */
function lastOfEachKey(n: number, key: (i: number) => string): number[] {
  const last = new Map<string, number>()
  for (let i = 0; i < n; i++) last.set(key(i), i)
  if (last.size === n) return Array.from({ length: n }, (_, i) => i)
  return [...last.values()].sort((a, b) => a - b)
}

function keyText(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('hex') : String(v)
}
