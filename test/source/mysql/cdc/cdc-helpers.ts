import Database from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import { sqlite } from '../../../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-mycdc-'))
let files = 0

/** A SQLite destination in a fresh file and its rows read back (64-bit integers exact, as text). */
export function warehouse(path = join(dir, `w${files++}.db`)) {
  const rows = (table: string, order = 'id'): Record<string, unknown>[] => {
    const handle = new Database(path, { readonly: true })
    handle.defaultSafeIntegers(true)
    try {
      return (handle.prepare(`SELECT * FROM "${table}" ORDER BY "${order}"`).all() as Record<string, unknown>[]).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? String(v) : v])),
      )
    } finally {
      handle.close()
    }
  }
  const columns = (table: string): Record<string, string> => {
    const handle = new Database(path, { readonly: true })
    try {
      return Object.fromEntries((handle.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string }[]).map((c) => [c.name, c.type]))
    } finally {
      handle.close()
    }
  }
  return { path, sink: () => sqlite({ path }), rows, columns }
}

/** Rows without sluice's own columns. */
export const data = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sluice_'))))
/** Rows not soft-deleted, without sluice's own columns. */
export const live = (rows: Record<string, unknown>[]) => data(rows.filter((r) => !r._sluice_deleted || r._sluice_deleted === '0'))

/** A multi-statement admin connection to `url`. */
export async function admin(url: string): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: url, multipleStatements: true })
}
