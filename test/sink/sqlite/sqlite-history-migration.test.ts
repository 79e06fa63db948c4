import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { op, sqlite, sync, type Message, type Source, type TableSpec } from '../../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-history-migration-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const source = (tables: TableSpec[], messages: Message[]): Source => ({
  tables: () => tables,
  async *read() {
    yield* messages
  },
})

/**
 * A warehouse as earlier versions left a history table: they wrote `mode: 'history'` as upserts,
 * so the table has the upsert layout (key, `_sluice_synced`, `_sluice_deleted`, no version
 * columns) while `_sluice_tables` says history. Written here by an upsert sync whose saved
 * layout is then marked history: the same schema, byte for byte.
 */
async function oldHistoryWarehouse(path: string): Promise<Record<number, string>> {
  const tables: TableSpec[] = [{ table: 'h', primaryKey: ['id'] }, { table: 'k' }]
  await sync({ destination: sqlite({ path }), source: source(tables, [op.upsert('h', [{ id: 1, v: 'a' }, { id: 2, v: 'x' }]), op.upsert('k', [{ v: 'p' }, { v: 'q' }]), op.checkpoint({ n: 1 })]) })
  await sync({ destination: sqlite({ path }), source: source(tables, [op.delete('h', { id: 2 }), op.delete('k', { v: 'q' }), op.checkpoint({ n: 2 })]) })
  const db = new Database(path)
  try {
    db.prepare(`UPDATE "_sluice_tables" SET "layout" = json_set("layout", '$.mode', 'history')`).run()
    expect(db.prepare(`SELECT "sql" FROM sqlite_master WHERE "name" = 'h'`).pluck().get()).toBe(
      'CREATE TABLE "h" ("id" INTEGER, "v" TEXT, "_sluice_synced" TEXT NOT NULL, "_sluice_deleted" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY ("id"))',
    )
    const rows = db.prepare(`SELECT "id", "_sluice_synced" AS "synced" FROM "h"`).all() as { id: number; synced: string }[]
    return Object.fromEntries(rows.map((r) => [r.id, r.synced]))
  } finally {
    db.close()
  }
}

describe('sqlite: history tables written by earlier versions', () => {
  it('become SCD2 tables on the next sync: each row one version from its _sluice_synced, deleted rows closed; syncing then keeps versions', async () => {
    const path = join(dir, 'old.db')
    const synced = await oldHistoryWarehouse(path)
    const sink = sqlite({ path })
    const tables: TableSpec[] = [{ table: 'h', primaryKey: ['id'], mode: 'history' }, { table: 'k', mode: 'history' }]
    const r = await sync({ destination: sink, source: source(tables, [op.upsert('h', [{ id: 1, v: 'b' }, { id: 3, v: 'c' }]), op.upsert('k', [{ v: 'p' }, { v: 'r' }]), op.checkpoint({ n: 3 })]) })
    expect(r.error).toBeUndefined()
    const h = (await sink.read!({ table: 'h' })).sort((a, b) => Number(a.id) - Number(b.id) || String(a._sluice_start).localeCompare(String(b._sluice_start)))
    expect(h.map((x) => [x.id, x.v, x._sluice_deleted, x._sluice_active])).toEqual([[1, 'a', 0, 0], [1, 'b', 0, 1], [2, 'x', 1, 0], [3, 'c', 0, 1]])
    expect(h[0]!._sluice_start).toBe(synced[1])
    expect(Date.parse(h[0]!._sluice_end as string)).toBe(Date.parse(h[1]!._sluice_start as string) - 1)
    expect([h[2]!._sluice_start, h[2]!._sluice_end]).toEqual([synced[2], synced[2]])
    const k = await sink.read!({ table: 'k' })
    expect(k.map((x) => [x.v, x._sluice_deleted, x._sluice_active]).sort()).toEqual([['p', 0, 1], ['q', 1, 0], ['r', 0, 1]])
    expect(k.every((x) => typeof x._sluice_id === 'string' && (x._sluice_id as string).length === 64)).toBe(true)
    expect((await sink.describe!()).map((d) => [d.table, d.mode])).toEqual([['h', 'history'], ['k', 'history']])
    // Migrated once: a second sync finds the version columns and only adds versions.
    const again = await sync({ destination: sink, source: source(tables, [op.upsert('h', { id: 1, v: 'd' }), op.checkpoint({ n: 4 })]) })
    expect(again.error).toBeUndefined()
    expect((await sink.read!({ table: 'h' })).filter((x) => x.id === 1)).toHaveLength(3)
  })
})
