/**
 * Row-for-row comparison of a Postgres source with the SQLite destination a CDC sync wrote, each
 * read with its own SQL (pg for the source, better-sqlite3 for the destination): not through the
 * library under test, whose reads could hide a duplicate or a lost row.
 */
import Database from 'better-sqlite3'
import pg from 'pg'
import { CDC_TABLES, type CdcTable } from './cdc-writers.js'

/** What one table looks like after the comparison; `differences` is empty when it matches. */
export interface TableComparison {
  table: CdcTable
  sourceRows: number
  destinationRows: number
  softDeleted: number
  differences: string[]
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'bigint' ? v.toString() : String(v))

/**
 * For each table: every live source row is in the destination, not deleted, with equal values;
 * every destination key the source no longer has is soft-deleted; no key is there twice.
 * Differences are listed (the first few per kind), not thrown, so a failure shows them all.
 */
export async function compareCdc(url: string, sqlitePath: string): Promise<TableComparison[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const db = new Database(sqlitePath, { readonly: true })
  db.defaultSafeIntegers(true)
  try {
    const out: TableComparison[] = []
    for (const [table, sql] of Object.entries(CDC_TABLES) as [CdcTable, string][]) {
      const source = (await client.query<Record<string, string | null>>(sql)).rows
      const columns = Object.keys(source[0] ?? { id: null })
      const select = columns.map((c) => `CAST("${c}" AS TEXT) AS "${c}"`).join(', ')
      const hasDeleted = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).includes('_sluice_deleted')
      const rows = db.prepare(`SELECT ${select}, ${hasDeleted ? '"_sluice_deleted"' : '0'} AS deleted FROM "${table}"`).all() as Record<string, unknown>[]
      const differences: string[] = []
      const note = (kind: string, detail: string) => {
        if (differences.filter((d) => d.startsWith(kind)).length < 5) differences.push(`${kind}: ${detail}`)
      }
      const byId = new Map<string, Record<string, unknown>>()
      for (const r of rows) {
        const id = text(r.id)!
        if (byId.has(id)) note('duplicate key', `${table} ${id}`)
        byId.set(id, r)
      }
      const live = new Set<string>()
      for (const want of source) {
        const id = want.id!
        live.add(id)
        const have = byId.get(id)
        if (!have) note('missing', `${table} ${id}`)
        else if (Number(have.deleted ?? 0) !== 0) note('deleted but live in the source', `${table} ${id}`)
        else {
          const differing = columns.filter((c) => text(have[c]) !== want[c])
          if (differing.length) {
            const show = (v: unknown) => { const t = text(v); return t !== null && t.length > 40 ? `${t.slice(0, 20)}…(${t.length} chars)` : JSON.stringify(t) }
            note('different', `${table} ${id} ${differing.map((c) => `${c}: ${show(have[c])} ≠ source ${show(want[c])}`).join(', ')}`)
          }
        }
      }
      let softDeleted = 0
      for (const [id, r] of byId) {
        const deleted = Number(r.deleted ?? 0) !== 0
        if (deleted) softDeleted++
        if (!live.has(id) && !deleted) note('live but gone from the source', `${table} ${id}`)
      }
      out.push({ table, sourceRows: source.length, destinationRows: rows.length, softDeleted, differences })
    }
    return out
  } finally {
    db.close()
    await client.end()
  }
}

/** The state the destination holds for `connectorId` (the `_sluice_state` row), read with SQLite's own SQL. */
export function destinationState(sqlitePath: string, connectorId: string): unknown {
  const db = new Database(sqlitePath, { readonly: true })
  try {
    const row = db.prepare(`SELECT "state" FROM "_sluice_state" WHERE "connector_id" = ?`).pluck().get(connectorId) as string | undefined
    return row === undefined ? undefined : JSON.parse(row)
  } finally {
    db.close()
  }
}
