import Database from 'better-sqlite3'
import { countingSink } from '../../support/counting-sink.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import { describe, expect, it } from 'vitest'
import { memory, sqlite, sync, type Stage, type State } from '../../../src/index.js'
import { mysqlSource } from '../../../src/mysql.js'
import { describeWithService } from '../postgres/pg-service.js'
import { databases, MYSQL_URL, mysqlUnavailable } from './mysql-service.js'

const unavailable = await mysqlUnavailable()
const dbs = databases('sluice_mysrc')
const dir = mkdtempSync(join(tmpdir(), 'sluice-mysrc-'))
let files = 0

/** A fresh database with the given setup SQL (multi-statement); returns its name. */
async function source(sql: string): Promise<string> {
  const db = await dbs.next()
  await dbs.admin.query(`USE \`${db}\`; ${sql}`)
  return db
}

function onFirstCheckpoint(action: () => Promise<void>): Stage {
  return async function* (messages) {
    let done = false
    for await (const m of messages) {
      if (m.kind === 'checkpoint' && !done) {
        done = true
        await action()
      }
      yield m
    }
  }
}

const dropSystem = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sluice_'))))

// Inserted with the session at +05:30: TIMESTAMP values are stored in UTC and must come out in UTC.
const TYPES = `
SET time_zone = '+05:30';
CREATE TABLE all_types (
  id INT PRIMARY KEY, flag TINYINT(1), tiny TINYINT, small SMALLINT, usmall SMALLINT UNSIGNED, med MEDIUMINT, i INT, ui INT UNSIGNED,
  big BIGINT, ubig BIGINT UNSIGNED, n DECIMAL(38,10), wide DECIMAL(65,5), f FLOAT, d DOUBLE, day DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL,
  tm TIME(6), yr YEAR, ch CHAR(3), vc VARCHAR(50), tx TEXT, bin VARBINARY(8), blb BLOB, j JSON, e ENUM('small', 'large'), st SET('a', 'b'), bt BIT(1)
) DEFAULT CHARSET = utf8mb4;
INSERT INTO all_types VALUES
 (1, 1, -128, -32768, 65535, -8388608, -2147483648, 4294967295, 9223372036854775807, 18446744073709551615,
  1234567890123456789012345678.0123456789, 123456789012345678901234567890123456789012345678901234567890.12345, 1.5, 0.1,
  '2026-02-28', '2026-11-22 10:11:12.123456', '2026-03-29 07:29:59.999999', '23:59:59.999999', 2026, 'ab', 'žluťoučký 🐎',
  'tab\tnewline\\n backslash\\\\ "q"', x'00ff0a5c', x'', '{"a": [1, {"b": null}]}', 'large', 'a,b', b'1'),
 (2, 0, 127, 32767, 0, 8388607, 2147483647, 0, -9223372036854775808, 0,
  -9999999999999999999999999999.9999999999, -0.00001, -0.0, -1e308,
  '1000-01-01', '1970-01-01 00:00:00.000001', '1970-01-01 05:30:01.000000', '-838:59:59', 1901, '', '', '', x'', NULL, '[]', 'small', '', b'0'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SET time_zone = SYSTEM`

const ORDERS = `CREATE TABLE orders (id BIGINT PRIMARY KEY, note VARCHAR(20), updated_at DATETIME(6) NOT NULL, KEY (updated_at, id));
  INSERT INTO orders VALUES (1, 'a', '2026-01-01 00:00:01.000001'), (2, 'b', '2026-01-01 00:00:02'), (3, 'c', '2026-01-01 00:00:02'),
    (9007199254740993, 'big', '2026-01-01 00:00:02'), (9007199254740994, 'bigger', '2026-01-01 00:00:03'), (6, 'f', '2026-01-01 00:00:04')`

/** A SQLite sink in a fresh file, with its rows as read back (LONG keys beyond 2^53 stay exact). */
function warehouse() {
  const path = join(dir, `w${files++}.db`)
  const rows = async (table: string) => {
    const handle = new Database(path, { readonly: true })
    handle.defaultSafeIntegers(true)
    try {
      return (handle.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]).map((r): Record<string, unknown> => ({ ...r, id: r.id === null ? null : String(r.id) }))
    } finally {
      handle.close()
    }
  }
  return { sink: sqlite({ path }), rows }
}

describeWithService('mysqlSource', 'MariaDB/MySQL', unavailable, () => {
  describe('types', () => {
    it('maps column types: TINYINT(1) → BOOLEAN, DECIMAL(p,s), BIGINT UNSIGNED → DECIMAL(20,0), DATETIME/TIMESTAMP, JSON, BLOB → BINARY', async () => {
      const db = await source(TYPES)
      const [spec] = await mysqlSource({ connection: dbs.url(db), tables: ['all_types'] }).tables!({ configuration: {} })
      expect(spec).toEqual({
        table: 'all_types', primaryKey: ['id'], mode: 'replace',
        columns: {
          id: 'INT', flag: 'BOOLEAN', tiny: 'SHORT', small: 'SHORT', usmall: 'INT', med: 'INT', i: 'INT', ui: 'LONG', big: 'LONG', ubig: 'DECIMAL(20,0)',
          n: 'DECIMAL(38,10)', wide: 'STRING', f: 'FLOAT', d: 'DOUBLE', day: 'NAIVE_DATE', dt: 'NAIVE_DATETIME', ts: 'UTC_DATETIME', tm: 'STRING',
          yr: 'SHORT', ch: 'STRING', vc: 'STRING', tx: 'STRING', bin: 'BINARY', blb: 'BINARY', j: 'JSON', e: 'STRING', st: 'STRING', bt: 'BOOLEAN',
        },
      })
    })

    it('every column type round-trips mysql → sqlite exactly: NULLs, empty strings, unicode, decimals, µs datetimes, UTC timestamps', async () => {
      const db = await source(TYPES)
      const path = join(dir, `w${files++}.db`)
      const r = await sync({ source: mysqlSource({ connection: dbs.url(db), tables: ['all_types'], batchSize: 2 }), destination: sqlite({ path }) })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      const handle = new Database(path, { readonly: true })
      handle.defaultSafeIntegers(true)
      const rows = dropSystem(handle.prepare('SELECT * FROM all_types ORDER BY id').all() as Record<string, unknown>[])
      handle.close()
      expect(rows).toEqual([
        {
          id: 1n, flag: 1n, tiny: -128n, small: -32768n, usmall: 65535n, med: -8388608n, i: -2147483648n, ui: 4294967295n, big: 9223372036854775807n,
          ubig: '18446744073709551615', n: '1234567890123456789012345678.0123456789', wide: '123456789012345678901234567890123456789012345678901234567890.12345',
          f: 1.5, d: 0.1, day: '2026-02-28', dt: '2026-11-22T10:11:12.123456', ts: '2026-03-29T01:59:59.999999Z', tm: '23:59:59.999999', yr: 2026n,
          ch: 'ab', vc: 'žluťoučký 🐎', tx: 'tab\tnewline\n backslash\\ "q"', bin: Buffer.from([0, 255, 10, 92]), blb: Buffer.alloc(0),
          j: '{"a": [1, {"b": null}]}', e: 'large', st: 'a,b', bt: 1n,
        },
        {
          id: 2n, flag: 0n, tiny: 127n, small: 32767n, usmall: 0n, med: 8388607n, i: 2147483647n, ui: 0n, big: -9223372036854775808n, ubig: '0',
          n: '-9999999999999999999999999999.9999999999', wide: '-0.00001', f: 0, d: -1e308, day: '1000-01-01', dt: '1970-01-01T00:00:00.000001',
          ts: '1970-01-01T00:00:01Z', tm: '-838:59:59.000000', yr: 1901n, ch: '', vc: '', tx: '', bin: Buffer.alloc(0), blb: null, j: '[]', e: 'small', st: '', bt: 0n,
        },
        {
          id: 3n, flag: null, tiny: null, small: null, usmall: null, med: null, i: null, ui: null, big: null, ubig: null, n: null, wide: null, f: null, d: null,
          day: null, dt: null, ts: null, tm: null, yr: null, ch: null, vc: null, tx: null, bin: null, blb: null, j: null, e: null, st: null, bt: null,
        },
      ])
    })

    it('a TINYINT(1) holding another number and a zero date are kept (the column widens), never dropped', async () => {
      const db = await source(`SET sql_mode = ''; CREATE TABLE odd (id INT PRIMARY KEY, flag TINYINT(1), day DATE); INSERT INTO odd VALUES (1, 5, '0000-00-00'), (2, 1, '2026-01-01')`)
      const sink = memory()
      const r = await sync({ source: mysqlSource({ connection: dbs.url(db), tables: ['odd'] }), destination: sink })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      expect(dropSystem(sink.rows('odd'))).toEqual([{ id: 1, flag: 5, day: '0000-00-00' }, { id: 2, flag: 1, day: '2026-01-01' }])
    })
  })

  describe('keyset reads', () => {
    it('incremental: the first sync reads all rows, the second only the changed ones; ties and bigints beyond 2^53 resume exactly', async () => {
      const db = await source(ORDERS)
      const { sink, rows: read } = warehouse()
      const src = mysqlSource({ connection: dbs.url(db), tables: [{ table: 'orders', cursor: 'updated_at' }], batchSize: 2 })
      const first = await sync({ source: src, destination: sink })
      expect(first.status, JSON.stringify(first.error)).toBe('succeeded')
      expect(first.rows).toBe(6)
      await dbs.admin.query(`UPDATE \`${db}\`.orders SET note = 'changed', updated_at = '2026-01-02 00:00:00' WHERE id IN (2, 9007199254740993)`)
      let saved: State | undefined
      const second = await sync({ source: src, destination: sink, on: { checkpoint: ({ state }) => (saved = state) } })
      expect(second.rows).toBe(2)
      expect(saved).toEqual({ tables: { orders: { cursor: '2026-01-02 00:00:00.000000', key: ['9007199254740993'] } } })
      const rows = await read('orders')
      expect(rows).toHaveLength(6)
      expect(rows.filter((r) => r.note === 'changed').map((r) => String(r.id)).sort()).toEqual(['2', '9007199254740993'])
      expect((await sync({ source: src, destination: sink })).rows).toBe(0)
    })

    it('rows committed while a sync runs appear in the next sync', async () => {
      const db = await source(ORDERS)
      const { sink, rows } = warehouse()
      const src = mysqlSource({ connection: dbs.url(db), tables: [{ table: 'orders', cursor: 'updated_at' }], batchSize: 2 })
      const insert = onFirstCheckpoint(async () => {
        await dbs.admin.query(`INSERT INTO \`${db}\`.orders VALUES (100, 'during', NOW(6)); UPDATE \`${db}\`.orders SET note = 'touched', updated_at = NOW(6) WHERE id = 1`)
      })
      expect((await sync({ source: src, destination: sink, stages: [insert] })).status).toBe('succeeded')
      await sync({ source: src, destination: sink })
      const notes = new Map((await rows('orders')).map((r) => [String(r.id), r.note]))
      expect(notes.get('100')).toBe('during')
      expect(notes.get('1')).toBe('touched')
    })

    it('lookback re-reads the overlap so a late commit with an older cursor is caught', async () => {
      const db = await source(ORDERS)
      const { sink, rows } = warehouse()
      const src = mysqlSource({ connection: dbs.url(db), tables: [{ table: 'orders', cursor: 'updated_at', lookback: '1h' }] })
      await sync({ source: src, destination: sink })
      await dbs.admin.query(`INSERT INTO \`${db}\`.orders VALUES (50, 'late', '2026-01-01 00:00:03.5')`)
      const second = await sync({ source: src, destination: sink })
      expect((await rows('orders')).some((r) => r.id === '50')).toBe(true)
      expect(second.rows).toBe(7) // the hour before the last cursor, re-read and re-upserted by key, and the late row
    })

    it('a full table stopped after each page resumes after the last row: every row read once', async () => {
      const db = await source(ORDERS)
      const read: string[] = []
      // Rows counted as the sink writes them: a stage would also see the page read ahead when the sync stops.
      const sink = countingSink(warehouse().sink, (id) => read.push(String(id)))
      const src = mysqlSource({ connection: dbs.url(db), tables: ['orders'], batchSize: 2 })
      for (let n = 0; n < 10; n++) {
        const ac = new AbortController()
        const r = await sync({ source: src, destination: sink, signal: ac.signal, stages: [onFirstCheckpoint(async () => ac.abort())] })
        if (r.status === 'succeeded' || r.rows === 0) break
      }
      expect(read).toEqual(['1', '2', '3', '6', '9007199254740993', '9007199254740994'])
    })
  })

  describe('columns, connections and errors', () => {
    it('excluded columns are never selected: a column whose every read fails does not stop the sync', async () => {
      const db = await source(`CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(20));
        INSERT INTO people VALUES (1, 'Ada');
        CREATE FUNCTION boom() RETURNS INT DETERMINISTIC BEGIN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the secret column was read'; RETURN 0; END;
        CREATE VIEW people_v AS SELECT id, name, boom() AS secret FROM people`)
      const all = await sync({ source: mysqlSource({ connection: dbs.url(db), tables: [{ table: 'people_v', primaryKey: ['id'] }] }), destination: memory() })
      expect(all.error?.message).toContain('the secret column was read')
      const sink = memory()
      const r = await sync({ source: mysqlSource({ connection: dbs.url(db), tables: [{ table: 'people_v', primaryKey: ['id'], columns: { exclude: ['secret'] } }] }), destination: sink })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      expect(dropSystem(sink.rows('people_v'))).toEqual([{ id: 1, name: 'Ada' }])
    })

    it('breaking out early releases the connection: a user pool is not exhausted after POOL_SIZE + 1 early breaks, and its session is restored', async () => {
      const db = await source(ORDERS)
      const POOL_SIZE = 2
      const pool = mysql.createPool({ uri: dbs.url(db), connectionLimit: POOL_SIZE })
      try {
        const src = mysqlSource({ connection: pool, tables: ['orders'], batchSize: 2 })
        for (let n = 0; n < POOL_SIZE + 1; n++) {
          for await (const m of src.read({ state: undefined, signal: new AbortController().signal, configuration: {}, recordError: () => {} })) {
            expect(m.kind).toBe('records')
            break
          }
        }
        const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT @@session.time_zone AS tz')
        expect(rows[0]!.tz).toBe('SYSTEM')
      } finally {
        await pool.end()
      }
    })

    it('names what is wrong: no primary key, a FLOAT cursor, an unknown table', async () => {
      const db = await source(`CREATE TABLE logs (msg TEXT); CREATE TABLE m (id INT PRIMARY KEY, score FLOAT)`)
      const fail = async (tables: Parameters<typeof mysqlSource>[0]['tables']) => (await sync({ source: mysqlSource({ connection: dbs.url(db), tables }), destination: memory() })).error
      expect(await fail(['logs'])).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('has no primary key; pass primaryKey') })
      expect(await fail([{ table: 'm', cursor: 'score' }])).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining("can't be compared exactly") })
      expect(await fail(['nope'])).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('table "nope" not found') })
      expect(() => mysqlSource({ connection: 'postgres://x/y', tables: ['t'] })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    })

    it('an unreachable server fails the sync with SOURCE_FAILED, retryable, without the password', async () => {
      const r = await sync({ source: mysqlSource({ connection: 'mysql://u:my-s3cret@127.0.0.1:1/db', tables: ['t'] }), destination: memory() })
      expect(r.error).toMatchObject({ code: 'SOURCE_FAILED', retryable: true })
      expect(JSON.stringify(r)).not.toContain('my-s3cret')
    })
  })
})
