import pg from 'pg'
import type { Row } from '../../core/batch.js'
import { parseJsonExact } from '../../core/parse-json-exact.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { keyNames, SYSTEM, type TableLayout } from '../layout/table-layout.js'
import { HISTORY, qualified } from './postgres-ddl.js'

const OID = { int8: 20, json: 114, jsonb: 3802, date: 1082, timestamp: 1114, timestamptz: 1184 } as const

/**
 * Type parsers for reading a table back the way a batch holds values: bigint as a number when it
 * is safe (else a bigint), the temporal types as ISO text with their microseconds (pg's default
 * `Date` would drop them), numeric as exact text, json and jsonb parsed exactly (`parseJsonExact`:
 * pg's `JSON.parse` would round numbers beyond a double), bytea as a Buffer. Needs `TimeZone = UTC`
 * and `DateStyle = ISO` in the session (set locally by {@link readTable}).
 */
export const READ_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    switch (oid) {
      case OID.int8:
        return (text: string) => {
          const n = Number(text)
          return Number.isSafeInteger(n) ? n : BigInt(text)
        }
      case OID.json:
      case OID.jsonb:
        return (text: string) => parseJsonExact(text)
      case OID.date:
        return (text: string) => text
      case OID.timestamp:
        return (text: string) => text.replace(' ', 'T')
      case OID.timestamptz:
        return (text: string) => utcIso(text)
      default:
        return pg.types.getTypeParser(oid, format as 'text')
    }
  }) as pg.CustomTypesConfig['getTypeParser'],
}

/** `2026-11-22 10:11:12.123456+00` (ISO style, UTC session) → `2026-11-22T10:11:12.123456Z`; infinity and BC dates stay as Postgres wrote them. */
function utcIso(text: string): string {
  return text.endsWith('+00') && text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11, -3)}Z` : text
}

/** Reads a destination table back (system columns included), ordered by key, version or write order. */
export async function readTable(client: pg.ClientBase, schema: string, layout: TableLayout): Promise<Row[]> {
  const order =
    layout.mode === 'append'
      ? [SYSTEM.synced, 'ctid']
      : layout.mode === 'history'
        ? [...keyNames(layout), HISTORY.start]
        : keyNames(layout)
  await client.query(`BEGIN READ ONLY; SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO'`)
  try {
    const r = await client.query<Row>({
      text: `SELECT * FROM ${qualified(schema, layout.name)} ORDER BY ${order.map((c) => (c === 'ctid' ? c : quoteIdent(c))).join(', ')}`,
      types: READ_TYPES,
    })
    return r.rows
  } finally {
    await client.query('COMMIT')
  }
}
