import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { op, sqlite, sync, type Source } from '../../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-sqlite-fence-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sqlite fencing', () => {
  it('adds the epoch column to a warehouse written before it, keeping the saved state', async () => {
    const path = join(dir, 'old.db')
    const first = await sync({ source: { id: 'c', tables: () => [{ table: 't', primaryKey: ['id'] }], async *read() { yield op.upsert('t', [{ id: 1 }]); yield op.checkpoint({ n: 1 }) } }, destination: sqlite({ path }), connectorId: 'c' })
    expect(first.error).toBeUndefined()
    const db = new Database(path)
    db.exec('ALTER TABLE "_sluice_state" DROP COLUMN "epoch"')
    db.close()
    const sink = sqlite({ path })
    expect(await sink.fence!({ connectorId: 'c' })).toBe(1)
    let seen: unknown
    const probe: Source = { id: 'c', tables: () => [], async *read({ state }) { seen = state } }
    expect((await sync({ source: probe, destination: sink, connectorId: 'c', fleet: { epoch: 1 } })).error).toBeUndefined()
    expect(seen).toEqual({ n: 1 })
  })

  it('a partition that opened before another created its table writes into that table (no second CREATE TABLE, no lost column)', async () => {
    const path = join(dir, 'shared.db')
    const [sinkA, sinkB] = [sqlite({ path }), sqlite({ path })]
    const tables = () => [{ table: 't', primaryKey: ['id'] }]
    let aDone!: () => void
    const aSynced = new Promise<void>((resolve) => (aDone = resolve))
    const b = sync({
      source: { id: 'c', tables, async *read() { await aSynced; yield op.upsert('t', [{ id: 2, y: 1 }]); yield op.checkpoint({ b: 1 }) } },
      destination: sinkB, connectorId: 'c#b', fleet: { epoch: await sinkB.fence!({ connectorId: 'c#b' }), partitionOf: 'c' },
    })
    // b has opened (and read the layouts: none) before a's sync starts.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const a = await sync({
      source: { id: 'c', tables, async *read() { yield op.upsert('t', [{ id: 1, x: 'a' }]); yield op.checkpoint({ a: 1 }) } },
      destination: sinkA, connectorId: 'c#a', fleet: { epoch: await sinkA.fence!({ connectorId: 'c#a' }), partitionOf: 'c' },
    })
    aDone()
    expect(a.error).toBeUndefined()
    expect((await b).error).toBeUndefined()
    const db = new Database(path, { readonly: true })
    try {
      expect(db.prepare('SELECT "id", "x", "y" FROM "t" ORDER BY "id"').all()).toEqual([{ id: 1, x: 'a', y: null }, { id: 2, x: null, y: 1 }])
      expect(JSON.parse((db.prepare('SELECT "layout" FROM "_sluice_tables" WHERE "source_name" = \'t\'').get() as { layout: string }).layout).columns.map((c: { source: string }) => c.source)).toEqual(['id', 'x', 'y'])
    } finally {
      db.close()
    }
  })

  it('refuses fence arguments that are not a connector id and table names (CONFIG_INVALID naming the field)', async () => {
    const sink = sqlite({ path: join(dir, 'args.db') })
    await expect(sink.fence!({ connectorId: '' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'fence.connectorId' } })
    await expect(sink.fence!({ connectorId: 'c', truncate: 't' as never })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'fence.truncate' } })
  })
})
