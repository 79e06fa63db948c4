import Database from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** A fresh SQLite warehouse path. */
export function warehousePath(prefix = 'sluice-cdc-'): string {
  return join(mkdtempSync(join(tmpdir(), prefix)), 'w.db')
}

/** Rows of a table in a SQLite warehouse, ordered by `order`, without sluice's system columns unless asked. */
export function readRows(path: string, table: string, order = 'id', system = false): Record<string, unknown>[] {
  const db = new Database(path, { readonly: true })
  try {
    db.defaultSafeIntegers(true)
    const rows = db.prepare(`SELECT * FROM "${table}" ORDER BY "${order}"`).all() as Record<string, unknown>[]
    return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => system || !k.startsWith('_sluice_') || k === '_sluice_deleted')))
  } finally {
    db.close()
  }
}

/** A client on the private server. */
export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  return c
}
