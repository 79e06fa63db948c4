import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { baseType, type ColumnType } from '../../core/column-type.js'
import { SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { widenStoredValue, type LayoutColumn, type TableLayout } from '../layout/table-layout.js'
import { escapeCopyText } from './copy-text.js'
import { pgType, qualified } from './postgres-ddl.js'
import { READ_TYPES } from './postgres-read.js'

const NUMERIC = new Set(['BOOLEAN', 'SHORT', 'INT', 'LONG', 'FLOAT', 'DOUBLE'])

/** Rows converted per round trip of a rewrite (bounded memory on big tables). */
const REWRITE_ROWS = 50_000

/**
 * Widens a column's stored values from `from` to the column's (new) type so that they equal what
 * a fresh write of the new type stores (see `widenStoredValue`), inside the caller's
 * transaction — a value that can't be widened rolls the whole change back.
 *
 * Numeric widenings, DECIMAL to a wider DECIMAL and a date to a timestamp are exact Postgres casts
 * (`ALTER COLUMN … TYPE … USING`; a LONG beyond 2^53 refuses to become a DOUBLE). Conversions to
 * text (STRING, JSON) are computed in JS, because Postgres prints doubles, jsonb, timestamps and
 * bytea differently from a fresh write: values are read through a cursor, converted, copied into
 * a staging table and set in a new column with one UPDATE, which then replaces the old column.
 */
export async function migrateColumn(client: pg.ClientBase, schema: string, layout: TableLayout, column: LayoutColumn, from: ColumnType, isKey: boolean): Promise<void> {
  const to = column.type
  if (pgType(from) === pgType(to)) return
  const where = { table: layout.table, column: column.source }
  const t = qualified(schema, layout.name)
  const c = quoteIdent(column.name)
  const f = baseType(from)
  const castable = (NUMERIC.has(f) && NUMERIC.has(baseType(to))) || (f === 'DECIMAL' && baseType(to) === 'DECIMAL') || (f === 'NAIVE_DATE' && baseType(to) === 'NAIVE_DATETIME')
  if (castable) {
    if (f === 'LONG' && (baseType(to) === 'DOUBLE' || baseType(to) === 'FLOAT')) {
      const found = await client.query<{ v: string }>(`SELECT ${c}::text AS v FROM ${t} WHERE abs(${c}) > 9007199254740991 LIMIT 1`)
      if (found.rows[0]) widenStoredValue(BigInt(found.rows[0].v), from, to, where) // throws: no exact double
    }
    const using = f === 'BOOLEAN' ? `(${c}::integer)::${pgType(to)}` : `${c}::${pgType(to)}`
    await client.query(`ALTER TABLE ${t} ALTER COLUMN ${c} TYPE ${pgType(to)} USING ${using}`)
    return
  }
  if (isKey) {
    throw new SluiceError({
      code: 'DESTINATION_WRITE',
      message: `postgres: primary key column ${column.name} of ${layout.name} changed type from ${from} to ${to}; declare its type in the table spec so it stays stable`,
      context: { ...where, from, to },
    })
  }
  if (baseType(to) !== 'STRING' && baseType(to) !== 'JSON') {
    throw new SluiceError({ code: 'DESTINATION_WRITE', message: `postgres: can't widen column ${column.name} of ${layout.name} from ${from} to ${to}`, context: { ...where, from, to } })
  }
  const temp = quoteIdent(`${column.name.slice(0, 40)}__sluice_migrating`)
  const stage = 'pg_temp."_sluice_migrate"'
  // The read parsers expect ISO dates in UTC and exact floats: pinned for this transaction only.
  await client.query(`SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 3;
    ALTER TABLE ${t} ADD COLUMN ${temp} ${pgType(to)};
    DROP TABLE IF EXISTS ${stage}; CREATE TEMP TABLE "_sluice_migrate" ("rid" tid, "v" ${pgType(to)});
    DECLARE "_sluice_migrate_rows" NO SCROLL CURSOR FOR SELECT ctid, ${c} AS v FROM ${t} WHERE ${c} IS NOT NULL`)
  for (;;) {
    const page = await client.query<{ ctid: string; v: unknown }>({ text: `FETCH ${REWRITE_ROWS} FROM "_sluice_migrate_rows"`, types: READ_TYPES })
    if (page.rows.length === 0) break
    let text = ''
    for (const row of page.rows) {
      const stored = widenStoredValue(row.v, from, to, where) as string
      text += `${row.ctid}\t${escapeCopyText(stored, () => `table ${layout.table}, column ${JSON.stringify(column.source)}`)}\n`
    }
    await pipeline(Readable.from([text]), client.query(copyFrom(`COPY ${stage} ("rid", "v") FROM STDIN`)))
  }
  // One join over everything: the cursor's snapshot still sees the original rows and their ctids.
  await client.query(`CLOSE "_sluice_migrate_rows";
    UPDATE ${t} AS t SET ${temp} = s."v" FROM ${stage} AS s WHERE t.ctid = s."rid";
    DROP TABLE ${stage};
    ALTER TABLE ${t} DROP COLUMN ${c};
    ALTER TABLE ${t} RENAME COLUMN ${temp} TO ${c}`)
}
