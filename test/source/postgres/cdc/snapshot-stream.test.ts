import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { memory, sqlite, sync, type Stage } from '../../../../src/index.js'
import { postgres, postgresSource } from '../../../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres.js'
import { connect, readRows, warehousePath } from './cdc-helpers.js'
import { TYPES_DDL } from '../all-types.js'

describe('postgresSource({ replication: "logical" }): snapshot then stream', () => {
  let server: PrivatePostgres
  let db: pg.Client
  beforeAll(async () => {
    // One slot per test here (each uses its own connector id): room for more than the harness's default 8.
    server = await startPrivatePostgres({ max_replication_slots: 24, max_wal_senders: 24 })
    db = await connect(server.url)
  }, 120_000)
  afterAll(async () => {
    await db?.end()
    await server?.stop()
  })

  it('lands the rows there before the first sync, then inserts, updates and deletes (soft); a sync with no change changes nothing', async () => {
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, name text, qty int8)`)
    await db.query(`INSERT INTO items SELECT g, 'item ' || g, g * 10 FROM generate_series(1, 25) g`)
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['items'], batchSize: 10, replication: 'logical' })
    const first = await sync({ source: source(), destination: sqlite({ path }) })
    expect(first.error).toBeUndefined()
    expect(first.status).toBe('succeeded')
    expect(readRows(path, 'items')).toHaveLength(25)
    expect(first.replication).toMatchObject({ kind: 'postgres-logical', slot: 'sluice_postgres_public' })

    await db.query(`INSERT INTO items VALUES (26, 'new', 1)`)
    await db.query(`BEGIN; UPDATE items SET name = 'renamed' WHERE id = 2; DELETE FROM items WHERE id = 3; UPDATE items SET qty = 9007199254740993 WHERE id = 4; COMMIT`)
    const second = await sync({ source: source(), destination: sqlite({ path }) })
    expect(second.status).toBe('succeeded')
    const rows = readRows(path, 'items')
    expect(rows).toHaveLength(26)
    expect(rows.find((r) => r.id === 26n)).toMatchObject({ name: 'new', _sluice_deleted: 0n })
    expect(rows.find((r) => r.id === 2n)).toMatchObject({ name: 'renamed' })
    expect(rows.find((r) => r.id === 3n)).toMatchObject({ _sluice_deleted: 1n })
    expect(rows.find((r) => r.id === 4n)).toMatchObject({ qty: 9007199254740993n })
    expect(second.replication?.lagBytes).toBeGreaterThanOrEqual(0)

    const third = await sync({ source: source(), destination: sqlite({ path }) })
    expect(third.status).toBe('succeeded')
    expect(third.rows).toBe(0)
    expect(readRows(path, 'items')).toEqual(rows)
  }, 60_000)
  it('an update of another column keeps a TOASTed value the WAL leaves out (op.update of the sent columns, never NULL)', async () => {
    await db.query(`CREATE TABLE docs (id int PRIMARY KEY, title text, body text); ALTER TABLE docs ALTER body SET STORAGE EXTERNAL`)
    await db.query(`INSERT INTO docs VALUES (1, 'before', repeat('x', 100000)), (2, 'two', repeat('y', 5000))`)
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['docs'], id: 'docs', replication: 'logical' })
    expect((await sync({ source: source(), destination: sqlite({ path }) })).status).toBe('succeeded')
    await db.query(`UPDATE docs SET title = 'after' WHERE id = 1`)
    await db.query(`INSERT INTO docs VALUES (3, 'three', repeat('z', 100000))`)
    // Within one window: the insert's whole row, then an update without the TOASTed value, merge into one whole row.
    await db.query(`UPDATE docs SET title = 'three again' WHERE id = 3`)
    const r = await sync({ source: source(), destination: sqlite({ path }) })
    expect(r.error).toBeUndefined()
    expect(r.tables.docs).toMatchObject({ updates: 1, upserts: 1 })
    const rows = readRows(path, 'docs')
    expect(rows.map((x) => [x.id, x.title, (x.body as string).length, (x.body as string)[0]])).toEqual([
      [1n, 'after', 100000, 'x'],
      [2n, 'two', 5000, 'y'],
      [3n, 'three again', 100000, 'z'],
    ])
  }, 60_000)

  it('ALTER TABLE ADD COLUMN and int4 → int8 mid-stream land through schema drift; many tables in one transaction; TRUNCATE soft-deletes', async () => {
    await db.query(`CREATE TABLE a (id int PRIMARY KEY, n int4); CREATE TABLE b (id int PRIMARY KEY, v text); CREATE TABLE c (id int PRIMARY KEY, v text)`)
    await db.query(`INSERT INTO a VALUES (1, 1); INSERT INTO b VALUES (1, 'b1'); INSERT INTO c VALUES (1, 'c1'), (2, 'c2')`)
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['a', 'b', 'c'], id: 'abc', replication: 'logical' })
    expect((await sync({ source: source(), destination: sqlite({ path }) })).status).toBe('succeeded')
    await db.query(`INSERT INTO a VALUES (2, 2)`)
    await db.query(`ALTER TABLE a ADD COLUMN note text`)
    await db.query(`INSERT INTO a VALUES (3, 3, 'with note')`)
    await db.query(`ALTER TABLE a ALTER COLUMN n TYPE int8`)
    await db.query(`INSERT INTO a VALUES (4, 9007199254740993, 'wide')`)
    await db.query(`BEGIN; INSERT INTO b VALUES (2, 'b2'); UPDATE c SET v = 'c1!' WHERE id = 1; INSERT INTO a VALUES (5, 5, 'tx'); COMMIT`)
    await db.query(`INSERT INTO c VALUES (3, 'c3'); TRUNCATE c; INSERT INTO c VALUES (4, 'c4')`)
    const r = await sync({ source: source(), destination: sqlite({ path }) })
    expect(r.error).toBeUndefined()
    expect(r.schemaChanges).toBeGreaterThanOrEqual(2)
    expect(readRows(path, 'a').map((x) => [x.id, x.n, x.note])).toEqual([
      [1n, 1n, null],
      [2n, 2n, null],
      [3n, 3n, 'with note'],
      [4n, 9007199254740993n, 'wide'],
      [5n, 5n, 'tx'],
    ])
    expect(readRows(path, 'b').map((x) => [x.id, x.v])).toEqual([[1n, 'b1'], [2n, 'b2']])
    expect(readRows(path, 'c').map((x) => [x.id, x.v, x._sluice_deleted])).toEqual([
      [1n, 'c1!', 1n],
      [2n, 'c2', 1n],
      [3n, 'c3', 1n], // inserted, then truncated: written before the truncate, soft-deleted by it
      [4n, 'c4', 0n],
    ])
  }, 60_000)

  it('a sync stopped mid-snapshot resumes from its chunk with a fresh snapshot, then streams from the consistent point: nothing lost', async () => {
    await db.query(`CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 100) g`)
    const path = warehousePath()
    const source = (tables: string[]) => postgresSource({ connection: server.url, tables, id: 'big', batchSize: 10, replication: 'logical' })
    const stop = new AbortController()
    const stopAtFirstCheckpoint: Stage = async function* (messages) {
      for await (const m of messages) {
        yield m
        if (m.kind === 'checkpoint') stop.abort()
      }
    }
    const first = await sync({ source: source(['big']), destination: sqlite({ path }), stages: [stopAtFirstCheckpoint], signal: stop.signal })
    expect(first.status).toBe('stopped')
    const copied = readRows(path, 'big').length
    expect(copied).toBeLessThan(100)
    // Changes after the slot's consistent point, on both sides of where the snapshot stopped.
    await db.query(`DELETE FROM big WHERE id IN (1, 99); UPDATE big SET v = 'changed' WHERE id IN (2, 98); INSERT INTO big VALUES (101, 'new')`)
    const second = await sync({ source: source(['big']), destination: sqlite({ path }) })
    expect(second.error).toBeUndefined()
    const rows = readRows(path, 'big')
    // 1 was copied before the stop, so its delete soft-deletes it; 99 was deleted before the resumed snapshot reached it: never landed.
    expect(rows.filter((r) => r._sluice_deleted === 1n).map((r) => r.id)).toEqual([1n])
    expect(rows.find((r) => r.id === 99n)).toBeUndefined()
    expect(rows.filter((r) => r._sluice_deleted === 0n)).toHaveLength(99)
    expect(rows.filter((r) => r.v === 'changed').map((r) => r.id)).toEqual([2n, 98n])

    // A table added to the configuration later gets its own snapshot, then streams with the others.
    await db.query(`CREATE TABLE added (id int PRIMARY KEY, v text); INSERT INTO added VALUES (1, 'a')`)
    await db.query(`UPDATE big SET v = 'again' WHERE id = 3`)
    const third = await sync({ source: source(['big', 'added']), destination: sqlite({ path }) })
    expect(third.error).toBeUndefined()
    await db.query(`INSERT INTO added VALUES (2, 'b'); DELETE FROM big WHERE id = 4`)
    expect((await sync({ source: source(['big', 'added']), destination: sqlite({ path }) })).error).toBeUndefined()
    expect(readRows(path, 'added').map((r) => [r.id, r.v])).toEqual([[1n, 'a'], [2n, 'b']])
    const big = readRows(path, 'big')
    expect(big.find((r) => r.id === 3n)?.v).toBe('again')
    expect(big.find((r) => r.id === 4n)?._sluice_deleted).toBe(1n)

    // Left out for a while, its changes were not read: when it comes back it is copied again, and a row deleted meanwhile ends soft-deleted.
    expect((await sync({ source: source(['big']), destination: sqlite({ path }) })).error).toBeUndefined()
    await db.query(`DELETE FROM added WHERE id = 1; INSERT INTO added VALUES (3, 'c')`)
    expect((await sync({ source: source(['big']), destination: sqlite({ path }) })).error).toBeUndefined()
    expect((await sync({ source: source(['big', 'added']), destination: sqlite({ path }) })).error).toBeUndefined()
    expect(readRows(path, 'added').map((r) => [r.id, r.v, r._sluice_deleted])).toEqual([[1n, 'a', 1n], [2n, 'b', 0n], [3n, 'c', 0n]])
  }, 60_000)

  it('a partitioned table streams under its own name (the publication publishes via the partition root)', async () => {
    await db.query(`CREATE TABLE pt (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`)
    await db.query(`CREATE TABLE pt_eu PARTITION OF pt FOR VALUES IN ('eu'); CREATE TABLE pt_us PARTITION OF pt FOR VALUES IN ('us')`)
    await db.query(`INSERT INTO pt VALUES (1, 'eu', 'a'), (2, 'us', 'b')`)
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['pt'], id: 'pt', replication: 'logical' })
    expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
    await db.query(`INSERT INTO pt VALUES (3, 'us', 'c'); UPDATE pt SET v = 'a2' WHERE id = 1; DELETE FROM pt WHERE id = 2`)
    expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
    expect(readRows(path, 'pt').map((r) => [r.id, r.region, r.v, r._sluice_deleted])).toEqual([
      [1n, 'eu', 'a2', 0n],
      [2n, 'us', 'b', 1n],
      [3n, 'us', 'c', 0n],
    ])
  }, 60_000)

  it("works from the application's own pg.Pool (connections of its own with the same settings; the pool is left as it was)", async () => {
    await db.query(`CREATE TABLE pooled (id int PRIMARY KEY, v text); INSERT INTO pooled VALUES (1, 'a')`)
    const pool = new pg.Pool({ connectionString: server.url, max: 2 })
    try {
      const path = warehousePath()
      const source = () => postgresSource({ connection: pool, tables: ['pooled'], id: 'pooled', replication: 'logical' })
      expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
      await db.query(`UPDATE pooled SET v = 'b' WHERE id = 1`)
      expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
      expect(readRows(path, 'pooled').map((r) => [r.id, r.v])).toEqual([[1n, 'b']])
      // Never a client borrowed from it: the session settings sluice needs are set on connections of its own.
      expect(pool.totalCount).toBe(0)
    } finally {
      await pool.end()
    }
  }, 60_000)

  it('a transaction larger than the window goes out in parts, checkpointed once at its commit', async () => {
    await db.query(`CREATE TABLE bulk (id int PRIMARY KEY, v int, body text)`)
    const path = warehousePath()
    const source = () => postgresSource({ connection: server.url, tables: ['bulk'], id: 'bulk', batchSize: 100, replication: { checkpointEvery: { rows: 100 } } })
    expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
    await db.query(`BEGIN; INSERT INTO bulk SELECT g, g, CASE WHEN g % 100 = 0 THEN repeat('t', 50000) END FROM generate_series(1, 1000) g;
      UPDATE bulk SET v = -v WHERE id % 3 = 0; DELETE FROM bulk WHERE id % 10 = 0; UPDATE bulk SET v = 0 WHERE id % 100 = 50; COMMIT`)
    const r = await sync({ source: source(), destination: sqlite({ path }) })
    expect(r.error).toBeUndefined()
    expect(r.checkpoints).toBe(1)
    const want = (await db.query(`SELECT id, v, length(body) AS n FROM bulk ORDER BY id`)).rows.map((x) => `${x.id}:${x.v}:${x.n}`)
    const rows = readRows(path, 'bulk')
    expect(rows.filter((x) => x._sluice_deleted === 0n).map((x) => `${x.id}:${x.v}:${x.body === null ? null : (x.body as string).length}`)).toEqual(want)
    expect(rows.filter((x) => x._sluice_deleted === 1n)).toHaveLength(100)
  }, 60_000)

  it('into the Postgres destination: TOAST-partial updates, soft deletes and a truncate, values compared in SQL', async () => {
    await db.query(`CREATE DATABASE warehouse`)
    await db.query(`CREATE TABLE pgdest (id int PRIMARY KEY, title text, body text, at timestamptz, amount numeric(20,6)); ALTER TABLE pgdest ALTER body SET STORAGE EXTERNAL`)
    await db.query(`INSERT INTO pgdest VALUES (1, 'a', repeat('x', 20000), '2026-01-01 00:00:00.000001+00', 12345678901234.123456), (2, 'b', 'short', NULL, NULL)`)
    const warehouse = server.url.replace(/\/postgres$/, '/warehouse')
    const source = () => postgresSource({ connection: server.url, tables: ['pgdest'], id: 'pgdest', replication: 'logical' })
    const destination = () => postgres({ connection: warehouse, schema: 'raw' })
    expect((await sync({ source: source(), destination: destination() })).error).toBeUndefined()
    await db.query(`UPDATE pgdest SET title = 'a2', amount = amount + 0.000001 WHERE id = 1; DELETE FROM pgdest WHERE id = 2; INSERT INTO pgdest VALUES (3, 'c', NULL, now(), 0)`)
    expect((await sync({ source: source(), destination: destination() })).error).toBeUndefined()
    const w = await connect(warehouse)
    try {
      const rows = (await w.query(`SELECT id, title, length(body) AS n, at::text, amount::text, _sluice_deleted AS deleted FROM raw.pgdest ORDER BY id`)).rows
      expect(rows.slice(0, 2)).toEqual([
        { id: 1, title: 'a2', n: 20000, at: '2026-01-01 00:00:00.000001+00', amount: '12345678901234.123457', deleted: false },
        { id: 2, title: 'b', n: 5, at: null, amount: null, deleted: true },
      ])
      await db.query(`TRUNCATE pgdest; INSERT INTO pgdest VALUES (9, 'z', NULL, NULL, NULL)`)
      expect((await sync({ source: source(), destination: destination() })).error).toBeUndefined()
      const after = (await w.query(`SELECT id, _sluice_deleted AS deleted FROM raw.pgdest ORDER BY id`)).rows
      expect(after).toEqual([{ id: 1, deleted: true }, { id: 2, deleted: true }, { id: 3, deleted: true }, { id: 9, deleted: false }])
    } finally {
      await w.end()
    }
  }, 60_000)

  it('values are identical whether the snapshot or the stream read them: numeric, µs timestamptz, jsonb, bytea, arrays, enum, int8 > 2^53', async () => {
    await db.query(TYPES_DDL)
    const sink = memory()
    const source = () => postgresSource({ connection: server.url, tables: ['all_types'], id: 'types', batchSize: 2, replication: 'logical' })
    const first = await sync({ source: source(), destination: sink })
    expect(first.error).toBeUndefined()
    // The same values again, written after the snapshot: they arrive through pgoutput.
    await db.query(`INSERT INTO all_types SELECT id + 100, b, s, i, l, n, money_like, free, f, d, day, ts, tz, bin, t, vc, ch, u, j, js, arr, tags, m, iv, tm, ip, dom FROM all_types`)
    await db.query(`UPDATE all_types SET l = 9007199254740993 WHERE id IN (3, 103)`)
    const second = await sync({ source: source(), destination: sink })
    expect(second.error).toBeUndefined()
    const rows = sink.rows('all_types').map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sluice_'))))
    const byId = new Map(rows.map((r) => [r.id as number, r]))
    expect(rows).toHaveLength(6)
    for (const id of [1, 2, 3]) {
      const { id: _a, ...snapshot } = byId.get(id)!
      const { id: _b, ...streamed } = byId.get(id + 100)!
      expect(streamed).toEqual(snapshot)
    }
    expect(byId.get(1)).toMatchObject({ n: '1234567890123456789012345678.0123456789', tz: '2026-03-29T00:59:59.999999Z', arr: [1, 2, 3], tags: ['a b', null, 'c"d'], m: 'happy', l: 9223372036854775807n })
    expect(byId.get(103)).toMatchObject({ l: 9007199254740993n })
  }, 60_000)

  it('composites, enum arrays and timestamptz arrays: the same JSON from the stream as from the snapshot', async () => {
    await db.query(`CREATE TYPE pair AS (a int, b text); CREATE TYPE feeling AS ENUM ('sad', 'happy'); CREATE TABLE comp (id int PRIMARY KEY, p pair, moods feeling[], times timestamptz[], nums numeric[])`)
    await db.query(`INSERT INTO comp VALUES (1, ROW(1, 'x "y" \\ z'), '{happy,sad}', ARRAY['2026-01-01 10:00:00.123456+05'::timestamptz, NULL], '{1.50,NaN}'), (2, NULL, '{}', NULL, NULL)`)
    const sink = memory()
    const source = () => postgresSource({ connection: server.url, tables: ['comp'], id: 'comp', replication: 'logical' })
    expect((await sync({ source: source(), destination: sink })).error).toBeUndefined()
    await db.query(`INSERT INTO comp SELECT id + 100, p, moods, times, nums FROM comp`)
    expect((await sync({ source: source(), destination: sink })).error).toBeUndefined()
    const rows = new Map(sink.rows('comp').map((r) => [r.id as number, r]))
    for (const id of [1, 2]) {
      const { id: _a, _sluice_synced: _b, ...snapshot } = rows.get(id)! as Record<string, unknown>
      const { id: _c, _sluice_synced: _d, ...streamed } = rows.get(id + 100)! as Record<string, unknown>
      expect(streamed).toEqual(snapshot)
    }
    expect(rows.get(101)).toMatchObject({ p: { a: 1, b: 'x "y" \\ z' }, moods: ['happy', 'sad'], times: ['2026-01-01T05:00:00.123456+00:00', null] })
  }, 60_000)
})

