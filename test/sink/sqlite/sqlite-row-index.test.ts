import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { batchFromRows, op, sqlite, sync, type Message, type Row, type Source } from '../../../src/index.js'
import { rowHashes } from '../../../src/core/row-hash.js'
import { KeyBloom } from '../../../src/sink/sqlite/key-bloom.js'
import { RowHashMap } from '../../../src/sink/sqlite/row-hash-map.js'
import { KeylessRowIndex, rowKey } from '../../../src/sink/sqlite/sqlite-row-index.js'
import { META_DDL } from '../../../src/sink/sqlite/sqlite-meta.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-row-index-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshPath = () => join(dir, `w${n++}.db`)

const source = (messages: Message[], fail = false): Source => ({
  id: 'keyless',
  async *read() {
    yield* messages
    if (fail) throw new Error('crash after the checkpoint')
  },
})
const rows = (from: number, to: number): Row[] => Array.from({ length: to - from }, (_, i) => ({ n: from + i, s: `row ${from + i}` }))
const count = (path: string, sql: string) => {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare(sql).pluck().get() as number
  } finally {
    db.close()
  }
}
const live = (path: string) => count(path, `SELECT count(*) FROM "k" WHERE "_sluice_deleted" = 0`)
/** Table `k` holds `n` rows, each row once. */
const eachOnce = (path: string, n: number) => {
  expect(count(path, `SELECT count(*) FROM "k"`)).toBe(n)
  expect(count(path, `SELECT count(DISTINCT "_sluice_id") FROM "k"`)).toBe(n)
}

describe('sqlite: keyless tables found through the row index', () => {
  it('replays rows committed by an earlier sync (indexed at its close) as updates, never as second copies; deletes find them too', async () => {
    const path = freshPath()
    expect((await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 500)), op.checkpoint({ n: 1 })]) })).error).toBeUndefined()
    // The first sync's rows moved into the index when it succeeded; none is a UNIQUE-index key.
    expect(count(path, `SELECT coalesce(sum("keys"), 0) FROM "_sluice_keyless_runs"`)).toBe(500)
    expect(count(path, `SELECT count(*) FROM pragma_index_list('k')`)).toBe(0)
    const r = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(250, 750)), op.delete('k', rows(0, 10)), op.checkpoint({ n: 2 })]) })
    expect(r.error).toBeUndefined()
    expect(count(path, `SELECT count(*) FROM "k"`)).toBe(750)
    expect(count(path, `SELECT count(DISTINCT "_sluice_id") FROM "k"`)).toBe(750)
    expect(live(path)).toBe(740)
  })

  it('after a crash, rows of the unindexed tail are read back from the table: the resumed sync adds no duplicates', async () => {
    const path = freshPath()
    const crashed = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 300)), op.checkpoint({ n: 1 }), op.upsert('k', rows(300, 400))], true) })
    expect(crashed.status).toBe('failed')
    expect(count(path, `SELECT coalesce(sum("keys"), 0) FROM "_sluice_keyless_runs"`)).toBe(0) // no success, no merge: the rows are the tail
    const resumed = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 400)), op.checkpoint({ n: 2 })]) })
    expect(resumed.error).toBeUndefined()
    eachOnce(path, 400)
  })

  it('a batch repeating a row writes it once', async () => {
    const path = freshPath()
    const r = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', [...rows(0, 3), ...rows(0, 3), ...rows(1, 2)]), op.checkpoint({ n: 1 })]) })
    expect(r.error).toBeUndefined()
    expect(count(path, `SELECT count(*) FROM "k"`)).toBe(3)
  })

  it('rowids that moved (as VACUUM may move them) rebuild the index instead of updating other rows', async () => {
    const path = freshPath()
    await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 100)), op.checkpoint({ n: 1 })]) })
    const db = new Database(path)
    db.exec(`UPDATE "k" SET rowid = 1000 - rowid`) // every indexed rowid now holds another row
    db.close()
    const r = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(50, 150)), op.delete('k', rows(0, 1)), op.checkpoint({ n: 2 })]) })
    expect(r.error).toBeUndefined()
    eachOnce(path, 150)
    expect(count(path, `SELECT count(*) FROM "k" WHERE "_sluice_deleted" = 1`)).toBe(1)
    expect(count(path, `SELECT "n" FROM "k" WHERE "_sluice_deleted" = 1`)).toBe(0)
  })

  it('keyless tables written by earlier versions (a PRIMARY KEY on _sluice_id) keep syncing through their key', async () => {
    const path = freshPath()
    const db = new Database(path)
    db.exec(META_DDL)
    // As earlier versions created a keyless table, and the layout they saved.
    db.exec(`CREATE TABLE "k" ("n" INTEGER, "s" TEXT, "_sluice_synced" TEXT NOT NULL, "_sluice_deleted" INTEGER NOT NULL DEFAULT 0, "_sluice_id" TEXT NOT NULL, PRIMARY KEY ("_sluice_id"))`)
    const layout = { table: 'k', name: 'k', primaryKey: [], mode: 'upsert', columns: [{ source: 'n', name: 'n', type: 'INT' }, { source: 's', name: 's', type: 'STRING' }] }
    db.prepare(`INSERT INTO "_sluice_tables" ("name", "source_name", "layout", "updated_at") VALUES ('k', 'k', ?, '2026-01-01T00:00:00.000Z')`).run(JSON.stringify(layout))
    const old = rows(0, 1)[0]!
    db.prepare(`INSERT INTO "k" VALUES (?, ?, '2026-01-01T00:00:00.000Z', 1, ?)`).run(old.n, old.s, rowHashes(batchFromRows([old]))[0])
    db.close()
    for (const k of [1, 2]) {
      const r = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 20)), op.checkpoint({ n: k })]) })
      expect(r.error).toBeUndefined()
    }
    expect(count(path, `SELECT count(*) FROM "k"`)).toBe(20)
    expect(live(path)).toBe(20) // the old row, deleted, is live again: found by its key
    expect(count(path, `SELECT coalesce(sum("keys"), 0) FROM "_sluice_keyless_runs"`)).toBe(0)
    expect(((await sqlite({ path }).describe!())[0])).toEqual({ table: 'k', name: 'k', primaryKey: [], mode: 'upsert', columns: layout.columns })
  })

  it('a database whose row index is in the earlier layout (_sluice_keyless_keys) is indexed again into runs: no row is written twice', async () => {
    const path = freshPath()
    expect((await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 300)), op.checkpoint({ n: 1 })]) })).error).toBeUndefined()
    // As the earlier version left it: every row in one B-tree of keys, the mark past them, no runs.
    const db = new Database(path)
    db.exec(`CREATE TABLE "_sluice_keyless_keys" ("tbl" INTEGER NOT NULL, "k" INTEGER NOT NULL, "rid" INTEGER NOT NULL, PRIMARY KEY ("tbl", "k", "rid")) WITHOUT ROWID`)
    db.exec(`INSERT INTO "_sluice_keyless_keys" SELECT 1, rowid, rowid FROM "k"`)
    db.exec(`DELETE FROM "_sluice_keyless_runs"; DELETE FROM "_sluice_keyless_chunks"`)
    db.close()
    const r = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(100, 400)), op.delete('k', rows(0, 1)), op.checkpoint({ n: 2 })]) })
    expect(r.error).toBeUndefined()
    eachOnce(path, 400)
    expect(count(path, `SELECT count(*) FROM "k" WHERE "_sluice_deleted" = 1`)).toBe(1)
    expect(count(path, `SELECT count(*) FROM sqlite_master WHERE "name" = '_sluice_keyless_keys'`)).toBe(0)
    expect(count(path, `SELECT coalesce(sum("keys"), 0) FROM "_sluice_keyless_runs"`)).toBe(400)
  })

  it('runs that no longer add up to the indexed count (one lost), or without their chunks, have the table indexed again: no row is written twice', async () => {
    const path = freshPath()
    for (const [n, [from, to]] of ([[0, 200], [200, 300]] as const).entries()) {
      expect((await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(from, to)), op.checkpoint({ n })]) })).error).toBeUndefined()
    }
    const db = new Database(path)
    expect(db.prepare(`SELECT count(*) FROM "_sluice_keyless_runs"`).pluck().get()).toBe(2)
    db.exec(`DELETE FROM "_sluice_keyless_chunks" WHERE "run" = 1; DELETE FROM "_sluice_keyless_runs" WHERE "run" = 1`)
    db.close()
    expect((await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 350)), op.checkpoint({ n: 3 })]) })).error).toBeUndefined()
    eachOnce(path, 350)
    expect(count(path, `SELECT coalesce(sum("keys"), 0) FROM "_sluice_keyless_runs"`)).toBe(350)
    // A run listed without its chunks: the same.
    const again = new Database(path)
    again.exec(`DELETE FROM "_sluice_keyless_chunks"`)
    again.close()
    expect((await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 400)), op.checkpoint({ n: 4 })]) })).error).toBeUndefined()
    eachOnce(path, 400)
  })

  it('rows whose hashes share the 52-bit key are told apart by their _sluice_id', () => {
    const db = new Database(':memory:')
    db.exec(META_DDL)
    db.exec(`CREATE TABLE "k" ("v" TEXT, "_sluice_id" TEXT NOT NULL)`)
    const a = `${'a'.repeat(13)}${'0'.repeat(51)}`
    const b = `${'a'.repeat(13)}${'1'.repeat(51)}`
    expect(rowKey(a)).toBe(rowKey(b))
    db.exec('BEGIN')
    const index = new KeylessRowIndex(db, 'k')
    for (const [i, id] of [a, b].entries()) {
      db.prepare(`INSERT INTO "k" (rowid, "v", "_sluice_id") VALUES (?, ?, ?)`).run(i + 1, `v${i}`, id)
      index.add(id, i + 1)
    }
    expect(index.find([b, a, `${'b'.repeat(64)}`])).toEqual([2, 1, undefined]) // from the tail
    index.merge()
    expect(db.prepare(`SELECT coalesce(sum("keys"), 0) FROM "_sluice_keyless_runs"`).pluck().get()).toBe(2)
    expect(new KeylessRowIndex(db, 'k').find([b, a, `${'b'.repeat(64)}`])).toEqual([2, 1, undefined]) // from the index
    db.exec('COMMIT')
  })
})

describe('KeylessRowIndex, RowHashMap and KeyBloom', () => {
  const hex = (i: number) => createHash('sha256').update(String(i)).digest('hex')
  /** An in-memory database with a keyless table `k` and its row index (tails of `tailRows`). */
  const indexTable = (tailRows: number) => {
    const db = new Database(':memory:')
    db.exec(META_DDL)
    db.exec(`CREATE TABLE "k" ("v" INTEGER, "_sluice_id" TEXT NOT NULL)`)
    return { db, insert: db.prepare(`INSERT INTO "k" ("v", "_sluice_id") VALUES (?, ?)`), index: new KeylessRowIndex(db, 'k', tailRows) }
  }
  /** A chunk blob's float64 words: its keys, then their rowids. */
  const wordsOf = (blob: Buffer) => new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength))

  it('finds every row through a tail that moves into the index when full, then through the index and its Bloom filter in a later run', () => {
    const { db, insert, index } = indexTable(100)
    db.exec('BEGIN')
    for (let i = 0; i < 1050; i++) {
      index.add(hex(i), Number(insert.run(i, hex(i)).lastInsertRowid))
      if (index.full) index.merge()
    }
    db.exec('COMMIT')
    expect(db.prepare(`SELECT coalesce(sum("keys"), 0) FROM "_sluice_keyless_runs"`).pluck().get()).toBe(1000) // 50 rows still in the tail
    const all = Array.from({ length: 1050 }, (_, i) => hex(i))
    expect(index.find(all)).toEqual(all.map((_, i) => i + 1))
    // A later run looking up a few rows searches the index directly (a Bloom filter would cost reading every key).
    expect(new KeylessRowIndex(db, 'k', 100).find([hex(3), hex(1049), hex(-1)])).toEqual([4, 1050, undefined])
    // A later run: the tail is read back from the table, the rest found through the index (behind a Bloom filter once it pays).
    const later = new KeylessRowIndex(db, 'k', 100)
    for (let round = 0; round < 3; round++) expect(later.find([...all, hex(-1)])).toEqual([...all.map((_, i) => i + 1), undefined])
  })

  it('runs of a size class merge into one when 16 are there; every row is found, in this run and the next', () => {
    const { db, insert, index } = indexTable(100)
    const runs = () => db.prepare(`SELECT count(*) FROM "_sluice_keyless_runs"`).pluck().get() as number
    const most = { runs: 0 }
    db.exec('BEGIN')
    for (let i = 0; i < 3_300; i++) {
      index.add(hex(i), Number(insert.run(i, hex(i)).lastInsertRowid))
      if (index.full) index.merge()
      most.runs = Math.max(most.runs, runs())
    }
    db.exec('COMMIT')
    // 33 tails of 100: the 16th run merged 16 into one, and again with the next 15.
    expect(most.runs).toBe(15)
    expect(runs()).toBe(3)
    expect(db.prepare(`SELECT sum("keys") FROM "_sluice_keyless_runs"`).pluck().get()).toBe(3_300)
    // Every chunk's entries in key order, no chunk listed twice, and every chunk belonging to a listed run.
    const chunks = db.prepare(`SELECT "run", "first", "entries" FROM "_sluice_keyless_chunks" ORDER BY "run", "first"`).all() as { run: number; first: number; entries: Buffer }[]
    let entries = 0
    for (const c of chunks) {
      const words = wordsOf(c.entries)
      const n = words.length / 2
      entries += n
      expect(words[0]).toBe(c.first)
      for (let e = 1; e < n; e++) expect(words[e]!).toBeGreaterThanOrEqual(words[e - 1]!)
    }
    expect(entries).toBe(3_300)
    expect(db.prepare(`SELECT count(*) FROM "_sluice_keyless_chunks" WHERE "run" NOT IN (SELECT "run" FROM "_sluice_keyless_runs")`).pluck().get()).toBe(0)
    const all = Array.from({ length: 3_300 }, (_, i) => hex(i))
    expect(index.find([...all, hex(-1)])).toEqual([...all.map((_, i) => i + 1), undefined])
    // A later run, without the Bloom filters: the same, first by searching each run, then behind filters.
    const later = new KeylessRowIndex(db, 'k', 100)
    for (let round = 0; round < 3; round++) expect(later.find([...all, hex(-1)])).toEqual([...all.map((_, i) => i + 1), undefined])
  })

  it('many rows sharing a 52-bit key stay in one chunk, found in a run among other rows', () => {
    const { db, insert, index } = indexTable(1_000)
    // 90 ids agreeing on their first 13 hex digits (the key), among 200 others, so they straddle where chunks are cut.
    const shared = Array.from({ length: 90 }, (_, i) => `${hex(0).slice(0, 13)}${hex(10_000 + i).slice(13)}`)
    const ids = [...Array.from({ length: 200 }, (_, i) => hex(i + 1)), ...shared]
    db.exec('BEGIN')
    for (const [i, id] of ids.entries()) index.add(id, Number(insert.run(i, id).lastInsertRowid))
    index.merge()
    db.exec('COMMIT')
    const chunks = db.prepare(`SELECT "entries" FROM "_sluice_keyless_chunks"`).pluck().all() as Buffer[]
    const holding = chunks.map(wordsOf).map((w) => w.subarray(0, w.length / 2).filter((k) => k === rowKey(shared[0]!)).length)
    expect(holding.filter((n) => n > 0)).toEqual([90])
    const fresh = new KeylessRowIndex(db, 'k', 1_000)
    expect(fresh.find([...ids, `${hex(0).slice(0, 13)}${'0'.repeat(51)}`])).toEqual([...ids.map((_, i) => i + 1), undefined])
  })

  it('RowHashMap keeps a rowid per hash through growth', () => {
    const map = new RowHashMap()
    for (let i = 0; i < 50_000; i++) map.set(hex(i), i * 3)
    map.set(hex(7), 1) // replaces
    expect(map.size).toBe(50_000)
    expect([hex(0), hex(7), hex(49_999), hex(50_000)].map((h) => map.get(h))).toEqual([0, 1, 149_997, undefined])
    const { keys, rowids } = map.entries()
    expect(keys.length).toBe(50_000)
    expect(new Set(rowids).size).toBe(50_000)
  })

  it('KeyBloom has no false negatives and about 1 % false positives at capacity, and grows by layers past it', () => {
    const bloom = new KeyBloom(100_000)
    const key = (i: number) => rowKey(hex(i))
    const fp = () => Array.from({ length: 50_000 }, (_, i) => bloom.mightHave(key(-1 - i))).filter(Boolean).length
    for (let i = 0; i < 100_000; i++) bloom.add(key(i))
    expect(bloom.layers).toBe(1)
    expect(fp()).toBeLessThan(1_000)
    // Four times what it was sized for: new layers take the keys, none is lost, false positives stay a few %.
    for (let i = 100_000; i < 400_000; i++) bloom.add(key(i))
    expect(bloom.layers).toBeGreaterThan(1)
    expect(Array.from({ length: 400_000 }, (_, i) => bloom.mightHave(key(i))).every(Boolean)).toBe(true)
    expect(fp()).toBeLessThan(2_000)
  })
})

describe('sqlite: a keyless table written by two syncs in turn', () => {
  it('neither duplicates the rows the other wrote between its transactions', async () => {
    const path = freshPath()
    const report = { status: 'succeeded' as const, connectorId: 'x', syncId: 'x', startedAt: '', endedAt: '', durationMs: 0, rows: 0, checkpoints: 0, schemaChanges: 0, tables: {} }
    const a = sqlite({ path })
    const b = sqlite({ path })
    const write = async (sink: typeof a, from: number, to: number, n: number) => {
      await sink.write({ message: op.upsert('k', rows(from, to)) })
      await sink.checkpoint({ state: { n } })
    }
    await a.open({ connectorId: 'a', syncId: 'a', tables: [] })
    await write(a, 0, 100, 1)
    await b.open({ connectorId: 'b', syncId: 'b', tables: [] })
    await write(b, 50, 200, 1) // 50…99 are A's rows
    await write(a, 150, 250, 2) // 150…199 are B's rows, written since A's last transaction
    await b.close({ status: 'succeeded', report: { ...report, connectorId: 'b', syncId: 'b' } }) // B's tail moves into the index
    await write(a, 0, 250, 3)
    await a.close({ status: 'succeeded', report: { ...report, connectorId: 'a', syncId: 'a' } })
    expect(count(path, `SELECT count(*) FROM "k"`)).toBe(250)
    expect(count(path, `SELECT count(DISTINCT "_sluice_id") FROM "k"`)).toBe(250)
    const again = await sync({ destination: sqlite({ path }), source: source([op.upsert('k', rows(0, 300)), op.checkpoint({ n: 4 })]) })
    expect(again.error).toBeUndefined()
    expect(count(path, `SELECT count(*) FROM "k"`)).toBe(300)
  })
})
