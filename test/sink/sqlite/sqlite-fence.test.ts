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

  it('refuses fence arguments that are not a connector id and table names (CONFIG_INVALID naming the field)', async () => {
    const sink = sqlite({ path: join(dir, 'args.db') })
    await expect(sink.fence!({ connectorId: '' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'fence.connectorId' } })
    await expect(sink.fence!({ connectorId: 'c', truncate: 't' as never })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'fence.truncate' } })
  })
})
