import type mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sync, type Message, type Stage, type State } from '../../../../src/index.js'
import { mysqlSource } from '../../../../src/mysql.js'
import { startPrivateMariadb, type PrivateMariadb } from '../../../support/private-mariadb.js'
import { admin, data, live, warehouse } from './cdc-helpers.js'

// mysqlSource({ replication: 'binlog' }) against a private mariadbd with the binlog on (issue 13):
// snapshot then stream, every kind of change, DDL mid-stream, transactions across tables, exact values.
let db: PrivateMariadb
let sql: mysql.Connection
let databases = 0
beforeAll(async () => {
  db = await startPrivateMariadb()
  sql = await admin(db.url)
}, 120_000)
afterAll(async () => {
  await sql?.end()
  await db?.stop()
})

/** A fresh database with `setup` run in it; its URL. */
async function database(setup: string): Promise<string> {
  const name = `cdc${++databases}`
  await sql.query(`CREATE DATABASE ${name}; USE ${name}; ${setup}`)
  return db.url.replace(/\/sluice$/, `/${name}`)
}

/** A stage that records every message it passes. */
function recorder(into: Message[]): Stage {
  return async function* (messages) {
    for await (const m of messages) {
      into.push(m)
      yield m
    }
  }
}

const flags = (rows: Record<string, unknown>[]) => rows.map((r) => `${r.id}:${r._sluice_deleted}`)

describe('mysqlSource({ replication: "binlog" })', () => {
  it('copies the tables, then streams inserts, updates, deletes and TRUNCATE from the saved position', async () => {
    const url = await database(`CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables: ['t'], replication: 'binlog', batchSize: 2 })
    const [spec] = await source.tables!({ configuration: {} })
    expect(spec).toMatchObject({ table: 't', primaryKey: ['id'], mode: 'upsert' })

    const first = await sync({ source, destination: w.sink() })
    expect(first.status).toBe('succeeded')
    expect(data(w.rows('t'))).toEqual([{ id: '1', v: 'a' }, { id: '2', v: 'b' }, { id: '3', v: 'c' }])
    expect(first.replication).toMatchObject({ kind: 'mysql-binlog', lagBytes: 0 })
    expect(first.replication!.position).toMatch(/^binlog\.\d{6}:\d+$/)
    expect(first.replication!.serverPosition).toBe(first.replication!.position)

    await sql.query(`INSERT INTO t VALUES (4, 'd'); UPDATE t SET v = 'B' WHERE id = 2; DELETE FROM t WHERE id = 1; INSERT INTO t VALUES (5, 'e'); DELETE FROM t WHERE id = 5`)
    const states: State[] = []
    const second = await sync({ source, destination: w.sink(), on: { checkpoint: ({ state }) => states.push(state) } })
    expect(second.status).toBe('succeeded')
    // 5 came and went between two checkpoints: its insert and delete coalesce into the delete of a key never landed.
    expect(data(w.rows('t'))).toEqual([{ id: '1', v: 'a' }, { id: '2', v: 'B' }, { id: '3', v: 'c' }, { id: '4', v: 'd' }])
    expect(flags(w.rows('t'))).toEqual(['1:1', '2:0', '3:0', '4:0'])
    expect(states.at(-1)).toEqual({ cdc: { phase: 'stream', file: expect.any(String), pos: expect.any(Number) } })
    expect(`${(states.at(-1)!.cdc as { file: string }).file}:${(states.at(-1)!.cdc as { pos: number }).pos}`).toBe(second.replication!.position)

    // A key that changes: the old key is deleted, the new one upserted.
    await sql.query(`UPDATE t SET id = 40 WHERE id = 4`)
    const keyChange = await sync({ source, destination: w.sink() })
    expect(flags(w.rows('t'))).toEqual(['1:1', '2:0', '3:0', '4:1', '40:0'])
    expect(data(w.rows('t')).at(-1)).toEqual({ id: '40', v: 'd' })

    // Nothing new: a bounded sync stops at once, at the same position.
    const idle = await sync({ source, destination: w.sink() })
    expect(idle.status).toBe('succeeded')
    expect(idle.replication!.position).toBe(keyChange.replication!.position)

    await sql.query(`TRUNCATE TABLE t; INSERT INTO t VALUES (9, 'z')`)
    await sync({ source, destination: w.sink() })
    expect(flags(w.rows('t'))).toEqual(['1:1', '2:1', '3:1', '4:1', '9:0', '40:1'])
    expect(live(w.rows('t'))).toEqual([{ id: '9', v: 'z' }])
  }, 60_000)

  it('takes ALTER TABLE ADD COLUMN and a widened type mid-stream through schema drift', async () => {
    const url = await database(`CREATE TABLE t (id INT PRIMARY KEY, n INT, s VARCHAR(5)); INSERT INTO t VALUES (1, 1, 'a')`)
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables: ['t'], replication: 'binlog' })
    await sync({ source, destination: w.sink() })
    expect(w.columns('t')).toMatchObject({ id: 'INTEGER', n: 'INTEGER', s: 'TEXT' })
    // Rows before and after each change, all read in one sync.
    await sql.query(`INSERT INTO t VALUES (2, 2, 'b');
      ALTER TABLE t ADD COLUMN note VARCHAR(10);
      INSERT INTO t VALUES (3, 3, 'c', 'added');
      UPDATE t SET note = 'later' WHERE id = 1;
      ALTER TABLE t MODIFY n BIGINT;
      INSERT INTO t VALUES (4, 9007199254740993, 'd', NULL);
      ALTER TABLE t DROP COLUMN s;
      INSERT INTO t VALUES (5, 5, 'dropped s')`)
    // Every event is read after the last ALTER: each is decoded with the columns it was written with.
    const report = await sync({ source, destination: w.sink() })
    expect(report.status, JSON.stringify(report.error)).toBe('succeeded')
    expect(data(w.rows('t'))).toEqual([
      { id: '1', n: '1', s: 'a', note: 'later' },
      { id: '2', n: '2', s: 'b', note: null },
      { id: '3', n: '3', s: 'c', note: 'added' },
      { id: '4', n: '9007199254740993', s: 'd', note: null },
      { id: '5', n: '5', s: null, note: 'dropped s' },
    ])
    expect(w.columns('t')).toMatchObject({ note: 'TEXT' })
  }, 60_000)

  it('lands a transaction across many tables together: checkpoints only at commits', async () => {
    const tables = ['a', 'b', 'c', 'd']
    const url = await database(tables.map((t) => `CREATE TABLE ${t} (id INT PRIMARY KEY, v INT);`).join(' '))
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables, replication: { checkpointEvery: { rows: 1 } } })
    await sync({ source, destination: w.sink() })
    const rows = (t: string, from: number) => Array.from({ length: 50 }, (_, i) => `(${from + i}, ${i})`).join(',')
    await sql.query(`BEGIN; ${tables.map((t) => `INSERT INTO ${t} VALUES ${rows(t, 1)};`).join(' ')} COMMIT;
      BEGIN; ${tables.map((t) => `UPDATE ${t} SET v = v + 100 WHERE id <= 10; DELETE FROM ${t} WHERE id > 45;`).join(' ')} COMMIT`)
    const seen: Message[] = []
    const report = await sync({ source, destination: w.sink(), stages: [recorder(seen)] })
    expect(report.status).toBe('succeeded')
    // Between two checkpoints: whole transactions. The first holds 4 × 50 inserts; the second the updates and deletes of all four tables.
    const windows: Message[][] = [[]]
    for (const m of seen) m.kind === 'checkpoint' ? windows.push([]) : windows.at(-1)!.push(m)
    const sizes = windows.filter((x) => x.length > 0).map((x) => x.map((m) => (m.kind === 'records' ? `${m.table}:${m.op}:${m.batch.length}` : m.kind)).sort())
    expect(sizes).toEqual([
      ['a:upsert:50', 'b:upsert:50', 'c:upsert:50', 'd:upsert:50'],
      ['a:delete:5', 'a:upsert:10', 'b:delete:5', 'b:upsert:10', 'c:delete:5', 'c:upsert:10', 'd:delete:5', 'd:upsert:10'],
    ])
    for (const t of tables) {
      expect(live(w.rows(t)).length).toBe(45)
      expect(live(w.rows(t))[0]).toEqual({ id: '1', v: '100' })
    }
  }, 60_000)

  it('writes a transaction too big to hold in parts, and checkpoints only after its commit', async () => {
    const url = await database(`CREATE TABLE big (id INT PRIMARY KEY, v INT)`)
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables: ['big'], replication: 'binlog' })
    await sync({ source, destination: w.sink() })
    await sql.query(`INSERT INTO big SELECT seq, seq FROM seq_1_to_120000`)
    const seen: Message[] = []
    const report = await sync({ source, destination: w.sink(), stages: [recorder(seen)] })
    expect(report.status).toBe('succeeded')
    const kinds = seen.map((m) => m.kind)
    // Spilled in parts of ≥ 50,000 rows, one checkpoint at the end.
    expect(kinds.filter((k) => k === 'records').length).toBeGreaterThanOrEqual(2)
    expect(kinds.indexOf('checkpoint')).toBe(kinds.length - 1)
    expect(live(w.rows('big')).length).toBe(120_000)
  }, 60_000)

  it('lands every type the same through the snapshot and through the stream, exactly', async () => {
    const columns = `id INT PRIMARY KEY, flag TINYINT(1), big BIGINT, ubig BIGINT UNSIGNED, n DECIMAL(38,10), f FLOAT, d DOUBLE, day DATE,
      dt DATETIME(6), ts TIMESTAMP(6) NULL, dt0 DATETIME, tm TIME(6), yr YEAR, vc VARCHAR(50), tx TEXT, bin VARBINARY(8), fixed BINARY(4), blb BLOB,
      j JSON, e ENUM('small', 'large'), st SET('a', 'b'), b1 BIT(1), b9 BIT(9)`
    const values = `1, -9223372036854775808, 18446744073709551615, -1234567890123456789012345678.0123456789, 1.1, 0.1, '2026-02-28',
      '2026-11-22 10:11:12.123456', '2026-03-29 07:29:59.000001', '2026-01-01 00:00:00', '-838:59:59.5', 2026, 'žluťoučký 🐎', 'tab\\tnew\\nline',
      x'00ff0a5c', x'0102', x'', '{"a": [1, {"b": null}], "big": 12345678901234567890}', 'large', 'a,b', b'1', b'100000001'`
    const url = await database(`SET time_zone = '+05:30'; CREATE TABLE t (${columns}) DEFAULT CHARSET = utf8mb4; INSERT INTO t VALUES (1, ${values}), (3, ${values.replace(/^1,/, '0,')}); INSERT INTO t (id) VALUES (5)`)
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables: ['t'], replication: 'binlog' })
    await sync({ source, destination: w.sink() })
    const before = w.columns('t')
    await sql.query(`SET time_zone = '+05:30'; INSERT INTO t VALUES (2, ${values}), (4, ${values.replace(/^1,/, '0,')}); INSERT INTO t (id) VALUES (6); SET time_zone = SYSTEM`)
    const report = await sync({ source, destination: w.sink() })
    expect(report.status).toBe('succeeded')
    expect(w.columns('t')).toEqual(before)
    const [snap1, stream2, snap3, stream4, snap5, stream6] = data(w.rows('t'))
    const same = (r: Record<string, unknown>) => ({ ...r, id: undefined })
    expect(same(stream2!)).toEqual(same(snap1!))
    expect(same(stream4!)).toEqual(same(snap3!))
    expect(same(stream6!)).toEqual(same(snap5!))
    expect(stream2).toMatchObject({
      big: '-9223372036854775808', ubig: '18446744073709551615', n: '-1234567890123456789012345678.0123456789',
      dt: '2026-11-22T10:11:12.123456', ts: '2026-03-29T01:59:59.000001Z', tm: '-838:59:59.500000', vc: 'žluťoučký 🐎', e: 'large', st: 'a,b',
      j: '{"a": [1, {"b": null}], "big": 12345678901234567890}', b9: '257',
    })
    expect(Buffer.from(stream2!.bin as Uint8Array).toString('hex')).toBe('00ff0a5c')
    expect(Buffer.from(stream2!.fixed as Uint8Array).toString('hex')).toBe('01020000')
  }, 60_000)

  it('runs until stopped with continuous: true, checkpointing as changes arrive', async () => {
    const url = await database(`CREATE TABLE t (id INT PRIMARY KEY, v INT)`)
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables: ['t'], replication: { continuous: true, checkpointEvery: { ms: 50 } } })
    const stop = new AbortController()
    let checkpoints = 0
    const running = sync({
      source,
      destination: w.sink(),
      signal: stop.signal,
      on: { checkpoint: () => void checkpoints++ },
    })
    for (let i = 1; i <= 3; i++) {
      await sql.query(`INSERT INTO t VALUES (${i}, ${i})`)
      const want = checkpoints + 1
      while (checkpoints < want || live(w.rows('t')).length < i) await new Promise((r) => setTimeout(r, 20))
    }
    // A TRUNCATE lands while the sync runs (with its checkpoint), not when it ends.
    await sql.query(`TRUNCATE TABLE ${new URL(url).pathname.slice(1)}.t; INSERT INTO ${new URL(url).pathname.slice(1)}.t VALUES (4, 4)`)
    while (JSON.stringify(live(w.rows('t'))) !== JSON.stringify([{ id: '4', v: '4' }])) await new Promise((r) => setTimeout(r, 20))
    stop.abort()
    const report = await running
    expect(report.status).toBe('stopped')
    expect(flags(w.rows('t'))).toEqual(['1:1', '2:1', '3:1', '4:0'])
  }, 60_000)

  it('ends a bounded sync at the position seen when streaming starts, while writers keep writing', async () => {
    const url = await database(`CREATE TABLE w (id INT PRIMARY KEY AUTO_INCREMENT, v INT)`)
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables: ['w'], replication: 'binlog' })
    await sync({ source, destination: w.sink() })
    await sql.query(`INSERT INTO w (v) SELECT seq FROM seq_1_to_1000`)
    let writing = true
    const writer = (async () => {
      const name = new URL(url).pathname.slice(1)
      while (writing) await sql.query(`INSERT INTO ${name}.w (v) VALUES (1)`)
    })()
    try {
      const report = await sync({ source, destination: w.sink() })
      expect(report.status).toBe('succeeded')
      // Everything up to the start is there; the writer's later rows wait for the next sync.
      expect(live(w.rows('w')).length).toBeGreaterThanOrEqual(1000)
    } finally {
      writing = false
      await writer
    }
    const [[{ n }]] = (await sql.query(`SELECT COUNT(*) AS n FROM ${new URL(url).pathname.slice(1)}.w`)) as unknown as [[{ n: number }]]
    await sync({ source, destination: w.sink() })
    expect(live(w.rows('w')).length).toBe(Number(n))
  }, 60_000)

  it('leaves out excluded columns in the snapshot and in the stream, even one dropped since', async () => {
    const url = await database(`CREATE TABLE x (id INT PRIMARY KEY, card VARCHAR(20), v INT); INSERT INTO x VALUES (1, '4111-1', 1)`)
    const w = warehouse()
    const source = mysqlSource({ connection: url, tables: [{ table: 'x', columns: { exclude: ['card'] } }], replication: 'binlog' })
    await sync({ source, destination: w.sink() })
    await sql.query(`INSERT INTO x VALUES (2, '4111-2', 2); ALTER TABLE x DROP COLUMN card; INSERT INTO x VALUES (3, 3)`)
    // The excluded column may be dropped: its values in events written before stay out too.
    const report = await sync({ source, destination: w.sink() })
    expect(report.status, JSON.stringify(report.error)).toBe('succeeded')
    expect(data(w.rows('x'))).toEqual([{ id: '1', v: '1' }, { id: '2', v: '2' }, { id: '3', v: '3' }])
    expect(Object.keys(w.columns('x'))).not.toContain('card')
  }, 60_000)

  it("streams through a mysql2 pool the application passes (the binlog connection takes the pool's settings)", async () => {
    const url = await database(`CREATE TABLE p (id INT PRIMARY KEY, v INT); INSERT INTO p VALUES (1, 1)`)
    const pool = (await import('mysql2/promise')).default.createPool({ uri: url, connectionLimit: 2 })
    try {
      const w = warehouse()
      const source = mysqlSource({ connection: pool, database: new URL(url).pathname.slice(1), tables: ['p'], replication: 'binlog' })
      await sync({ source, destination: w.sink() })
      await sql.query(`INSERT INTO ${new URL(url).pathname.slice(1)}.p VALUES (2, 2)`)
      const report = await sync({ source, destination: w.sink() })
      expect(report.status, JSON.stringify(report.error)).toBe('succeeded')
      expect(live(w.rows('p'))).toEqual([{ id: '1', v: '1' }, { id: '2', v: '2' }])
    } finally {
      await pool.end()
    }
  }, 60_000)

  it('names the GRANT a user lacks, and never shows its password', async () => {
    const url = await database(`CREATE TABLE t (id INT PRIMARY KEY)`)
    const name = new URL(url).pathname.slice(1)
    await sql.query(`CREATE USER reader@'127.0.0.1' IDENTIFIED BY 's3cret-pw'; GRANT SELECT ON ${name}.* TO reader@'127.0.0.1'`)
    const connection = url.replace('root@', 'reader:s3cret-pw@')
    const w = warehouse()
    const report = await sync({ source: mysqlSource({ connection, tables: ['t'], replication: 'binlog' }), destination: w.sink() })
    expect(report.status).toBe('failed')
    expect(report.error?.code).toBe('REPLICATION_SETUP')
    expect(report.error?.message).toContain(`GRANT BINLOG MONITOR, REPLICATION SLAVE ON *.* TO 'reader'@'127.0.0.1';`)
    expect(JSON.stringify(report)).not.toContain('s3cret-pw')

    // With the monitor privilege but not REPLICATION SLAVE, the snapshot runs and the stream is refused, with the GRANT.
    await sql.query(`GRANT BINLOG MONITOR ON *.* TO reader@'127.0.0.1'; INSERT INTO ${name}.t VALUES (1)`)
    const second = await sync({ source: mysqlSource({ connection, tables: ['t'], replication: 'binlog' }), destination: w.sink() })
    await sql.query(`INSERT INTO ${name}.t VALUES (2)`)
    const third = await sync({ source: mysqlSource({ connection, tables: ['t'], replication: 'binlog' }), destination: w.sink() })
    expect(second.status).toBe('succeeded')
    expect(third.status).toBe('failed')
    expect(third.error).toMatchObject({ code: 'REPLICATION_SETUP', message: expect.stringContaining('REPLICATION SLAVE') })
    expect(JSON.stringify([second, third])).not.toContain('s3cret-pw')
  }, 60_000)
})
