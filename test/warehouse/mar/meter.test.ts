import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { op, sqlite, sync, type Source } from '../../../src/index.js'
import { HyperLogLog } from '../../../src/mar/hyperloglog.js'
import { MemoryMarStorage } from '../../../src/warehouse/mar/memory-mar-storage.js'
import { COMPACT_AT, meter } from '../../../src/warehouse/mar/meter.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-meter-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Key hashes `from`..`to` as the two-word layout (high word 0). */
const keys = (from: number, to: number) => {
  const out = new Uint32Array((to - from + 1) * 2)
  for (let i = 0; i <= to - from; i++) out[i * 2 + 1] = from + i
  return out
}

/** A memory storage with the sink's undo log: `rollback` undoes every step since the last `commit`. */
function transactional() {
  let undo: (() => void)[] = []
  const storage = new MemoryMarStorage((step) => void undo.push(step))
  return {
    storage,
    commit: () => void (undo = []),
    rollback: () => {
      for (const step of undo.reverse()) step()
      undo = []
    },
  }
}

describe('meter (the one MAR protocol every destination shares)', () => {
  it('a rollback puts the version back, so the memo of loaded keys is dropped and rolled-back keys count again', async () => {
    const { storage, commit, rollback } = transactional()
    expect(await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(1, 3) })).toEqual({ added: 3, total: 3 })
    commit()
    expect(await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(3, 5) })).toEqual({ added: 2, total: 5 })
    rollback()
    expect(await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(4, 6) })).toEqual({ added: 3, total: 6 })
  })

  it(`merges a bucket's key blobs into one when it is loaded with more than ${COMPACT_AT}`, async () => {
    const { storage, commit, rollback } = transactional()
    for (let i = 0; i <= COMPACT_AT; i++) {
      await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(i * 10, i * 10 + 9) })
      commit()
    }
    const bucket = (await storage.findBucket('c', 't', '2026-11'))!
    expect(await storage.readKeys(bucket.id)).toHaveLength(COMPACT_AT + 1)
    await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(5000, 5000) })
    rollback() // the memo is stale now: the next call loads the bucket again
    expect(await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(0, 9) })).toEqual({ added: 0, total: (COMPACT_AT + 1) * 10 })
    expect(await storage.readKeys(bucket.id)).toHaveLength(1)
    expect(await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(5000, 5001) })).toEqual({ added: 2, total: (COMPACT_AT + 1) * 10 + 2 })
  })

  it("a new month's bucket prunes keys and sketches of months before the previous one, keeping their counts", async () => {
    const { storage } = transactional()
    await meter(storage, 'c', { table: 't', month: '2026-09', keys: keys(1, 4) })
    await meter(storage, 'c', { table: 't', month: '2026-10', keys: keys(1, 4) })
    const sep = (await storage.findBucket('c', 't', '2026-09'))!
    const oct = (await storage.findBucket('c', 't', '2026-10'))!
    await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(1, 2) })
    expect(await storage.readKeys(sep.id)).toEqual([])
    expect(await storage.readKeys(oct.id)).toHaveLength(1)
    expect(storage.usage({ month: '2026-09' })).toEqual([{ connectorId: 'c', table: 't', month: '2026-09', rows: 4, approximate: false }])
  })

  it('refuses a sketch for a month counted in exact mode, naming how to start over', async () => {
    const { storage } = transactional()
    await meter(storage, 'c', { table: 't', month: '2026-11', keys: keys(1, 2) })
    const sketch = new HyperLogLog(10).toBytes()
    await expect(meter(storage, 'c', { table: 't', month: '2026-11', sketch })).rejects.toMatchObject({ code: 'MAR_MODE_CHANGED', message: expect.stringContaining('exact mode for 2026-11') })
  })

  it('SQLite: after more than COMPACT_AT commits a new handle finds one blob of keys, and the count is exact', async () => {
    const path = join(dir, 'compact.db')
    const source = (from: number): Source => ({
      id: 'shop',
      tables: () => [{ table: 't', primaryKey: ['id'] }],
      async *read() {
        yield op.upsert('t', [{ id: from }, { id: from + 1 }, { id: 1 }])
        yield op.checkpoint({ from })
      },
    })
    const clock = { now: () => Date.UTC(2026, 10, 15) }
    for (let i = 0; i <= COMPACT_AT + 1; i++) await sync({ source: source(10 + i * 2), destination: sqlite({ path }), mar: { clock } })
    const db = new Database(path, { readonly: true })
    try {
      const blobs = db.prepare(`SELECT count(*) AS n FROM "_sluice_mar_keys"`).get() as { n: number }
      expect(blobs.n).toBeLessThanOrEqual(2)
      expect(db.prepare(`SELECT "rows" FROM "_sluice_mar"`).get()).toEqual({ rows: (COMPACT_AT + 2) * 2 + 1 })
    } finally {
      db.close()
    }
  })
})
