import type mysql from 'mysql2/promise'
import { SluiceError } from '../../core/sluice-error.js'
import type { Bound, PageReader } from '../sql/keyset-reader.js'
import type { MysqlTable } from './mysql-catalog.js'
import { mysqlError } from './mysql-connection.js'
import type { MysqlMappedColumn } from './mysql-type-map.js'

/** Per-query driver options: exact text for dates, BIGINT and DECIMAL, rows as arrays, whatever the pool's defaults. */
const EXACT = { rowsAsArray: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true } as const

/**
 * Keyset pages for MySQL/MariaDB: one bounded query per page
 * (`WHERE cursor >= ? AND (cursor > ? OR (cursor = ? AND key > ?)) ORDER BY cursor, key LIMIT n`,
 * the expanded form both optimizers turn into an index range), each starting strictly after the
 * previous page's last row; never OFFSET. The next page is requested while the current one is
 * written downstream.
 */
export function mysqlPageReader(conn: mysql.PoolConnection, batchSize: number, onBroken: (e: unknown) => void): PageReader<MysqlTable> {
  const run = (table: MysqlTable, bound: Bound) => {
    const { sql, values } = keysetQuery(table, bound, batchSize)
    return conn.query<mysql.RowDataPacket[][]>({ sql, values, ...EXACT }).then(([rows]) => rows as unknown as unknown[][])
  }
  return {
    positionText,
    async *pages(table, bound) {
      const fail = (cause: unknown): never => {
        onBroken(cause)
        throw cause instanceof SluiceError ? cause : mysqlError('SOURCE_FAILED', `mysql source: reading table ${table.table} failed`, cause, { table: table.table })
      }
      let pending: Promise<unknown[][]> | undefined = run(table, bound)
      try {
        while (pending) {
          const rows = await pending.catch(fail)
          pending = undefined
          if (rows.length === batchSize) {
            const last = rows.at(-1)!
            const key = table.keyAt.map((i) => positionText(last[i]))
            const next: Bound = bound.kind === 'nulls' ? { kind: 'nulls', key } : { kind: 'after', cursor: table.cursor ? positionText(last[table.cursorAt]) : undefined, key }
            pending = run(table, next)
          }
          if (rows.length > 0) yield rows
        }
      } finally {
        // An early return with a query in flight: let it finish so the connection is clean when it goes back to the pool.
        if (pending) await pending.catch(() => {})
      }
    },
  }
}

/** A raw driver value as exact text for the state: numbers in shortest round-trip form, bytes as hex. */
function positionText(raw: unknown): string {
  if (Buffer.isBuffer(raw)) return raw.toString('hex')
  return typeof raw === 'string' ? raw : String(raw)
}

/** The keyset query for a bound, with parameters cast to each column's type so comparisons are exact. */
export function keysetQuery(table: MysqlTable, bound: Bound, limit: number): { sql: string; values: string[] } {
  const values: string[] = []
  const ref = (c: MysqlMappedColumn) => `\`${c.name.replace(/`/g, '``')}\``
  const param = (c: MysqlMappedColumn, value: string) => {
    values.push(value)
    return c.param!
  }
  /** (c1, c2, …) > (v1, v2, …), expanded: c1 >= v1 AND (c1 > v1 OR (c2 >= v2 AND (c2 > v2 OR …))). */
  const after = (cols: readonly MysqlMappedColumn[], texts: readonly (string | undefined)[]): string => {
    if (texts.length !== cols.length || texts.some((t) => t === undefined)) {
      throw new SluiceError({
        code: 'STATE_INVALID',
        message: `mysql source: the saved position of table ${table.table} doesn't match its key (${cols.map((c) => c.name).join(', ')}); was the key changed? Reset the connector to start over`,
        context: { table: table.table },
      })
    }
    const step = (k: number): string => {
      const c = cols[k]!
      const v = texts[k]!
      if (k === cols.length - 1) return `${ref(c)} > ${param(c, v)}`
      return `${ref(c)} >= ${param(c, v)} AND (${ref(c)} > ${param(c, v)} OR (${step(k + 1)}))`
    }
    return step(0)
  }
  const cursor = table.cursor
  let where = ''
  let order = cursor ? [cursor, ...table.key] : [...table.key]
  switch (bound.kind) {
    case 'all':
      where = cursor ? `${ref(cursor)} IS NOT NULL` : ''
      break
    case 'after':
      where = cursor ? after([cursor, ...table.key], [bound.cursor, ...bound.key]) : after(table.key, bound.key)
      break
    case 'from': {
      const c = cursor!
      const start = param(c, bound.cursor)
      values.push(String(c.cursorKind === 'temporal' ? table.lookback * 1000 : table.lookback))
      where = c.cursorKind === 'temporal' ? `${ref(c)} >= ${start} - INTERVAL ? MICROSECOND` : `${ref(c)} >= ${start} - ?`
      break
    }
    case 'nulls':
      order = [...table.key]
      where = `${ref(cursor!)} IS NULL${bound.key ? ` AND (${after(table.key, bound.key)})` : ''}`
      break
  }
  const select = [...table.output, ...table.hidden].map((c) => c.select).join(', ')
  return {
    sql: `SELECT ${select} FROM ${table.relation}${where ? ` WHERE ${where}` : ''} ORDER BY ${order.map(ref).join(', ')} LIMIT ${limit}`,
    values,
  }
}
