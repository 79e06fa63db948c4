import pg from 'pg'
import { SluiceError } from '../../core/sluice-error.js'
import { pgError } from '../../db/postgres-connection.js'
import type { Bound, PageReader } from '../sql/keyset-reader.js'
import type { PgTable } from './postgres-catalog.js'
import type { PgMappedColumn } from './postgres-type-map.js'

/** Every value as Postgres's text: decoded per column by the type map, and exact for state positions. */
const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: (() => (text: string) => text) as unknown as pg.CustomTypesConfig['getTypeParser'] }

/**
 * A read-only transaction with the session settings the text decoders rely on, set LOCAL so a
 * borrowed pooled connection is left as it was found. `extra_float_digits = 3` makes floats
 * exact on every version (shortest round-trip text from Postgres 12 on).
 */
const BEGIN = `BEGIN READ ONLY; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 3; SET LOCAL bytea_output = 'hex'`

/**
 * The read transaction of a change-data-capture snapshot: `REPEATABLE READ` on the snapshot a
 * replication slot exported when it was created (`SET TRANSACTION SNAPSHOT`), so the tables read
 * are exactly the data before the slot's consistent point.
 */
export function snapshotBegin(snapshot: string): string {
  return `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(snapshot)}; ${BEGIN.slice(BEGIN.indexOf(';') + 2)}`
}

/**
 * Keyset pages for Postgres: one server-side cursor per bound (`DECLARE … CURSOR FOR SELECT …
 * WHERE (cursor, key) > ($1, $2) ORDER BY cursor, key`), fetched `batchSize` rows at a time. The
 * query is sorted once and streamed in bounded pages from one snapshot; each page's last row is
 * the exact resume point, so a stopped sync continues with a new keyset query, never an OFFSET.
 * The next page is fetched while the current one is written downstream.
 */
export function pgPageReader(client: pg.ClientBase, batchSize: number, onBroken: (e: unknown) => void, begin: string = BEGIN): PageReader<PgTable> {
  return {
    positionText: (raw) => raw as string,
    pages: (table, bound) => pgQueryPages(client, table.table, keysetQuery(table, bound), batchSize, onBroken, begin),
  }
}

/**
 * Pages of one SELECT's raw text rows (arrays) through a server-side cursor, `batchSize` rows at a
 * time, in a read-only transaction with the decoders' session settings; the next page is fetched
 * while the current one is written downstream. Returning early closes the cursor. Shared by the
 * keyset reader and the range read of a partition.
 *
 * @example
 * ```ts
 * import type pg from 'pg'
 * import { pgQueryPages } from './postgres-pages.js'
 * declare const client: pg.ClientBase
 * for await (const page of pgQueryPages(client, 'orders', { text: 'SELECT id FROM orders ORDER BY id', values: [] }, 1000, () => {})) console.log(page.length)
 * ```
 */
export async function* pgQueryPages(
  client: pg.ClientBase,
  table: string,
  query: { readonly text: string; readonly values: readonly string[] },
  batchSize: number,
  onBroken: (e: unknown) => void,
  begin: string = BEGIN,
): AsyncGenerator<readonly (readonly unknown[])[]> {
  let pending: Promise<pg.QueryArrayResult> | undefined
  const fail = (cause: unknown): never => {
    onBroken(cause)
    throw cause instanceof SluiceError ? cause : pgError('SOURCE_FAILED', `postgres source: reading table ${table} failed`, cause, { table })
  }
  await client.query(begin).catch(fail)
  try {
    await client.query({ text: `DECLARE "sluice_keyset" NO SCROLL CURSOR FOR ${query.text}`, values: [...query.values] }).catch(fail)
    const fetch = () => client.query({ text: `FETCH FORWARD ${batchSize} FROM "sluice_keyset"`, rowMode: 'array', types: RAW_TEXT })
    pending = fetch()
    for (;;) {
      const rows: unknown[][] = (await pending.catch(fail)).rows
      pending = rows.length === batchSize ? fetch() : undefined
      if (rows.length > 0) yield rows
      if (!pending) break
    }
  } finally {
    // An early return lands here with a fetch in flight: let it finish, then end the transaction (closes the cursor).
    if (pending) await pending.catch(() => {})
    await client.query('ROLLBACK').catch(onBroken)
  }
}

/**
 * Runs `queries` (raw text rows as arrays) in one read-only `REPEATABLE READ` transaction with the
 * decoders' session settings, so they see one snapshot and positions come back as the keyset
 * reader's texts. For a partition plan's min/max and cursor questions.
 *
 * @example
 * ```ts
 * import type pg from 'pg'
 * import { pgSnapshotQueries } from './postgres-pages.js'
 * declare const client: pg.ClientBase
 * const [answers] = await pgSnapshotQueries(client, [{ text: 'SELECT min(id), max(id) FROM orders', values: [] }])
 * const [min, max] = answers?.[0] ?? []
 * ```
 */
export async function pgSnapshotQueries(client: pg.ClientBase, queries: readonly { readonly text: string; readonly values: readonly string[] }[]): Promise<unknown[][][]> {
  await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ${BEGIN.slice(BEGIN.indexOf(';') + 2)}`)
  try {
    const out: unknown[][][] = []
    for (const q of queries) out.push((await client.query({ text: q.text, values: [...q.values], rowMode: 'array', types: RAW_TEXT })).rows)
    return out
  } finally {
    await client.query('ROLLBACK')
  }
}

/** The keyset SELECT for a bound, with text parameters cast to each column's declared type. */
export function keysetQuery(table: PgTable, bound: Bound): { text: string; values: string[] } {
  const values: string[] = []
  const { where, order } = keysetWhere(table, bound, values)
  const select = [...table.output, ...table.hidden].map((c) => c.select).join(', ')
  const filter = where ? ' WHERE ' + where : ''
  return { text: `SELECT ${select} FROM ${table.relation}${filter} ORDER BY ${order.map(columnRef).join(', ')}`, values }
}

/** A column in SQL: `ctid`, or the quoted name. */
export const columnRef = (c: PgMappedColumn): string => (c.select === 'ctid' ? 'ctid' : '"' + c.name.split('"').join('""') + '"')

/**
 * The WHERE condition (empty for none) and the ORDER BY columns of a keyset bound, its parameters
 * appended to `values` (text, cast to each column's type).
 *
 * @example
 * ```ts
 * import { keysetWhere } from './postgres-pages.js'
 * import type { PgTable } from './postgres-catalog.js'
 * declare const table: PgTable
 * const values: string[] = []
 * const { where } = keysetWhere(table, { kind: 'from', cursor: '2026-01-01 00:00:00+00' }, values)
 * ```
 */
export function keysetWhere(table: PgTable, bound: Bound, values: string[]): { where: string; order: PgMappedColumn[] } {
  const param = (value: string, sqlType: string) => {
    values.push(value)
    return `$${values.length}::${sqlType}`
  }
  const ref = columnRef
  const cursor = table.cursor
  const row = (cols: readonly PgMappedColumn[], texts: readonly (string | undefined)[]) => {
    if (texts.length !== cols.length || texts.some((t) => t === undefined)) {
      throw new SluiceError({
        code: 'STATE_INVALID',
        message: `postgres source: the saved position of table ${table.table} doesn't match its key (${cols.map((c) => c.name).join(', ')}); was the key changed? Reset the connector to start over`,
        context: { table: table.table },
      })
    }
    return `(${cols.map(ref).join(', ')}) > (${cols.map((c, i) => param(texts[i]!, c.sqlType)).join(', ')})`
  }
  let where = ''
  let order = cursor ? [cursor, ...table.key] : [...table.key]
  switch (bound.kind) {
    case 'all':
      where = cursor ? `${ref(cursor)} IS NOT NULL` : ''
      break
    case 'after':
      where = cursor ? row([cursor, ...table.key], [bound.cursor, ...bound.key]) : row(table.key, bound.key)
      break
    case 'from': {
      const c = cursor!
      const back = c.cursorKind === 'temporal' ? param(`${table.lookback} milliseconds`, 'interval') : param(String(table.lookback), c.sqlType)
      where = `${ref(c)} >= ${param(bound.cursor, c.sqlType)} - ${back}`
      break
    }
    case 'nulls':
      order = [...table.key]
      where = `${ref(cursor!)} IS NULL${bound.key ? ` AND ${row(table.key, bound.key)}` : ''}`
      break
  }
  return { where, order }
}
