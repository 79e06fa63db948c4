import Database from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { op, sqlite, sync, type Sink } from '../../src/index.js'
import { postgres } from '../../src/postgres.js'
import { flatten } from '../../src/stage/flatten.js'
import { describeWithService, PG_URL, pgUnavailable, schemas } from '../source/postgres/pg-service.js'
import { scripted } from '../support/sources.js'

const unavailable = await pgUnavailable()
const fresh = schemas('sluice_match_index')

/** Users with orders with lines: `users__orders` children (matched by parent id), `users__orders__lines` grandchildren (matched by root id). */
async function nestedSync(sink: Sink): Promise<void> {
  const users = Array.from({ length: 20 }, (_, id) => ({ id, orders: [{ sku: `s${id}`, lines: [1, 2] }] }))
  for (const step of [users, users.map((u) => ({ ...u, orders: [{ sku: 'x', lines: [3] }] }))]) {
    const report = await sync({
      destination: sink,
      source: scripted([op.upsert('users', step), op.checkpoint({ n: 1 })], { tables: [{ table: 'users', primaryKey: ['id'] }] }),
      stages: [flatten({ arrays: 'table' })],
    })
    expect(report.status, report.error?.message).toBe('succeeded')
  }
}

describe('match-delete index (sqlite)', () => {
  it('a grandchild table gets an index on _sluice_root_id, which the match delete uses; a child table, whose parent id leads its key, gets none', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-match-index-')), 'w.db')
    await nestedSync(sqlite({ path }))
    const db = new Database(path, { readonly: true })
    try {
      const indexed = (table: string) =>
        (db.prepare(`PRAGMA index_list("${table}")`).all() as { name: string; origin: string }[])
          .filter((i) => i.origin === 'c') // made by CREATE INDEX, not by the primary key
          .map((i) => (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { name: string }[]).map((c) => c.name))
      expect(indexed('users__orders__lines')).toEqual([['_sluice_root_id']])
      expect(indexed('users__orders')).toEqual([])
      const plan = db.prepare(`EXPLAIN QUERY PLAN UPDATE "users__orders__lines" SET "_sluice_deleted" = 1 WHERE "_sluice_root_id" = ? AND "_sluice_deleted" = 0`).all(1) as { detail: string }[]
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX _sluice_match_/)
    } finally {
      db.close()
    }
  })
})

describeWithService('match-delete index (postgres)', 'PostgreSQL', unavailable, () => {
  it('a grandchild table gets an index on _sluice_root_id; a child table gets none beyond its key', async () => {
    const schema = fresh.next()
    await nestedSync(postgres({ connection: PG_URL, schema }))
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    try {
      const indexes = async (table: string) =>
        (await client.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname LIKE '\\_sluice\\_match\\_%'`, [schema, table])).rows.map((r) => String(r.indexdef))
      const lines = await indexes('users__orders__lines')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/\("_sluice_root_id"\)|\(_sluice_root_id\)/)
      expect(await indexes('users__orders')).toEqual([])
    } finally {
      await client.end()
    }
  })
})
