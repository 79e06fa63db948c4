import Database from 'better-sqlite3'
import { countingSink } from '../../support/counting-sink.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { memory, sqlite, sync, type Message, type Stage, type State } from '../../../src/index.js'
import { postgres, postgresSource } from '../../../src/postgres.js'
import { select } from '../../../src/stage/select.js'
import { describeWithService, PG_URL, pgUnavailable, schemas } from './pg-service.js'
import { TYPES_DDL } from './all-types.js'

const unavailable = await pgUnavailable()
const fresh = schemas('sluice_pgsrc')
const dir = mkdtempSync(join(tmpdir(), 'sluice-pgsrc-'))
let files = 0

/** A fresh schema holding the given DDL/DML; returns its name. */
async function source(sql: (s: string) => string): Promise<string> {
  const schema = fresh.next()
  await fresh.pool.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"; ${sql(`"${schema}"`)}; RESET search_path`)
  return schema
}

/** A stage that runs `action` once, when the first checkpoint passes (deterministic "while the sync runs"). */
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


/** What every destination must hold for all_types, as sluice values (sink.read() of the memory sink). */
const EXPECTED_TYPES = [
  {
    id: 1, b: true, s: -32768, i: 2147483647, l: 9223372036854775807n, n: '1234567890123456789012345678.0123456789', money_like: '12.30',
    free: '0.000000000001', f: 1.5, d: 0.1, day: '2026-02-28', ts: '2026-11-22T10:11:12.123456', tz: '2026-03-29T00:59:59.999999Z',
    bin: Buffer.from([0, 255, 10, 92]), t: 'tab\tnewline\n backslash\\ "q" žluťoučký 🐎', vc: 'vc', ch: 'ab ',
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', j: { a: [1, { b: null }], u: 'é' }, js: { keep: 'spacing' }, arr: [1, 2, 3],
    tags: ['a b', null, 'c"d'], m: 'happy', iv: '1 day 02:03:04', tm: '23:59:59.999999', ip: '10.0.0.1/8', dom: 7,
  },
  {
    id: 2, b: false, s: 32767, i: -2147483648, l: -9223372036854775808n, n: '-9999999999999999999999999999.9999999999', money_like: '-0.01',
    free: '1234567890123456789012345678901234567890.5', f: -0, d: -1e308, day: '0001-01-01', ts: '1969-12-31T23:59:59.999999', tz: '1970-01-01T00:00:00.000001Z',
    bin: Buffer.alloc(0), t: '', vc: '', ch: '   ', u: null, j: [], js: null, arr: [], tags: [], m: 'sad', iv: '-1 mons', tm: '00:00:00', ip: '::1', dom: 1,
  },
  {
    id: 3, b: null, s: null, i: null, l: null, n: null, money_like: null, free: null, f: null, d: null, day: null, ts: null, tz: null,
    bin: null, t: null, vc: null, ch: null, u: null, j: null, js: null, arr: null, tags: null, m: null, iv: null, tm: null, ip: null, dom: null,
  },
]

const dropSystem = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sluice_'))))

describeWithService('postgresSource', 'PostgreSQL', unavailable, () => {
  describe('types', () => {
    it('maps catalog types to sluice types: numeric(p,s), jsonb, arrays, bytea, uuid, enum, domains, timestamps, int8', async () => {
      const schema = await source(() => TYPES_DDL)
      const specs = await postgresSource({ connection: PG_URL, schema, tables: ['all_types'] }).tables!({ configuration: {} })
      expect(specs).toEqual([
        {
          table: 'all_types', primaryKey: ['id'], mode: 'replace',
          columns: {
            id: 'INT', b: 'BOOLEAN', s: 'SHORT', i: 'INT', l: 'LONG', n: 'DECIMAL(38,10)', money_like: 'DECIMAL(12,2)', free: 'DECIMAL(38,10)',
            f: 'FLOAT', d: 'DOUBLE', day: 'NAIVE_DATE', ts: 'NAIVE_DATETIME', tz: 'UTC_DATETIME', bin: 'BINARY', t: 'STRING', vc: 'STRING',
            ch: 'STRING', u: 'STRING', j: 'JSON', js: 'JSON', arr: 'JSON', tags: 'JSON', m: 'STRING', iv: 'STRING', tm: 'STRING', ip: 'STRING', dom: 'INT',
          },
        },
      ])
    })

    it('every column type round-trips into the memory sink exactly: NULLs, empty strings, unicode, numeric(38,10), µs timestamps', async () => {
      const schema = await source(() => TYPES_DDL)
      const sink = memory()
      const r = await sync({ source: postgresSource({ connection: PG_URL, schema, tables: ['all_types'] }), destination: sink })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      const got = dropSystem(sink.rows('all_types')).sort((a, b) => (a.id as number) - (b.id as number))
      // A numeric value past DECIMAL(38,10) (free, row 2) widens that batch's column to text instead of losing digits.
      expect(got).toEqual(EXPECTED_TYPES.map((row) => ({ ...row, free: row.free, f: row.f === 1.5 ? 1.5 : row.f })))
      expect(r.schemaChanges).toBeGreaterThanOrEqual(1)
    })

    it('every column type round-trips postgres → postgres: native types kept, values equal in SQL', async () => {
      const schema = await source(() => TYPES_DDL)
      const target = fresh.next()
      const r = await sync({
        source: postgresSource({ connection: PG_URL, schema, tables: ['all_types'], batchSize: 2 }),
        destination: postgres({ connection: PG_URL, schema: target }),
      })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      // Compare in SQL, column by column, as text of the source value (arrays/json as JSON, the rest as Postgres text in UTC).
      const cols = ['b', 's', 'i', 'l', 'n', 'money_like', 'free', 'f', 'd', 'day', 'ts', 'tz', 'bin', 't', 'vc', 'ch', 'u', 'iv', 'tm', 'ip', 'dom']
      const diff = await fresh.pool.query(`
        SET TimeZone = 'UTC';
        SELECT s.id, ${cols.map((c) => `format('%s', s."${c}") IS NOT DISTINCT FROM format('%s', d."${c}") AS "${c}"`).join(', ')},
          s.j IS NOT DISTINCT FROM d.j AS j, s.js::jsonb IS NOT DISTINCT FROM d.js AS js, to_jsonb(s.arr) IS NOT DISTINCT FROM d.arr AS arr,
          to_jsonb(s.tags) IS NOT DISTINCT FROM d.tags AS tags, s.m::text IS NOT DISTINCT FROM d.m AS m
        FROM "${schema}".all_types s JOIN "${target}".all_types d USING (id) ORDER BY id`)
      const results = (diff as unknown as pg.QueryResult[])[1]!.rows
      expect(results).toHaveLength(3)
      for (const row of results) for (const [k, v] of Object.entries(row)) if (k !== 'id') expect([row.id, k, v]).toEqual([row.id, k, true])
      const types = await fresh.pool.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'all_types' AND column_name IN ('n', 'tz', 'ts', 'j', 'arr', 'bin', 'u', 'l') ORDER BY column_name`,
        [target],
      )
      expect(Object.fromEntries(types.rows.map((t) => [t.column_name, t.data_type]))).toEqual({
        arr: 'jsonb', bin: 'bytea', j: 'jsonb', l: 'bigint', n: 'numeric', ts: 'timestamp without time zone', tz: 'timestamp with time zone', u: 'text',
      })
    })

    it('every column type round-trips postgres → sqlite', async () => {
      const schema = await source(() => TYPES_DDL)
      const path = join(dir, `w${files++}.db`)
      const r = await sync({ source: postgresSource({ connection: PG_URL, schema, tables: ['all_types'] }), destination: sqlite({ path }) })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      const db = new Database(path, { readonly: true, })
      db.defaultSafeIntegers(true)
      const rows = db.prepare('SELECT * FROM all_types ORDER BY id').all() as Record<string, unknown>[]
      db.close()
      const asSqlite = (v: unknown): unknown =>
        v === null ? null : typeof v === 'boolean' ? BigInt(v ? 1 : 0) : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) :
        typeof v === 'bigint' ? v : Buffer.isBuffer(v) ? v : typeof v === 'object' ? JSON.stringify(v) : v
      const expected = EXPECTED_TYPES.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asSqlite(v)])))
      // JSON keeps Postgres's own text (jsonb normalises spacing; json keeps it).
      expected[0]!.j = '{"a": [1, {"b": null}], "u": "é"}'
      expected[0]!.js = '{"keep":  "spacing"}'
      expected[0]!.tags = '["a b",null,"c\\"d"]'
      expected[0]!.arr = '[1,2,3]'
      expected[1]!.js = 'null' // a JSON null value, not SQL NULL
      expected[1]!.f = 0 // SQLite stores a REAL without a fraction as an integer: -0.0 reads back as 0
      expect(dropSystem(rows)).toEqual(expected)
    })

    it('a timestamp Postgres stores as infinity is kept as text (the column widens), never dropped', async () => {
      const schema = await source(() => `CREATE TABLE ev (id int PRIMARY KEY, at timestamptz); INSERT INTO ev VALUES (1, 'infinity'), (2, '2026-01-01 00:00:00+00')`)
      const sink = memory()
      await sync({ source: postgresSource({ connection: PG_URL, schema, tables: ['ev'] }), destination: sink })
      expect(dropSystem(sink.rows('ev'))).toEqual([{ id: 1, at: 'infinity' }, { id: 2, at: '2026-01-01T00:00:00Z' }])
    })
  })

  describe('keyset reads', () => {
    const ORDERS = `
      CREATE TABLE orders (id int PRIMARY KEY, note text, updated_at timestamptz(6) NOT NULL);
      INSERT INTO orders SELECT g, 'n' || g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' + interval '0.000001 second'
      FROM generate_series(1, 10) g`

    it('incremental: the first sync reads all rows, the second only rows whose cursor moved past the saved position', async () => {
      const schema = await source(() => ORDERS)
      const sink = memory()
      const src = postgresSource({ connection: PG_URL, schema, tables: [{ table: 'orders', cursor: 'updated_at' }], batchSize: 4 })
      const first = await sync({ source: src, destination: sink })
      expect(first.status, JSON.stringify(first.error)).toBe('succeeded')
      expect(first.rows).toBe(10)
      expect(first.checkpoints).toBe(4) // 3 pages and the end of the round
      await fresh.pool.query(`UPDATE "${schema}".orders SET note = 'changed', updated_at = updated_at + interval '1 hour' WHERE id IN (2, 5);
        INSERT INTO "${schema}".orders VALUES (11, 'new', '2026-01-02 00:00:00.5+00')`)
      let saved: State | undefined
      const second = await sync({ source: src, destination: sink, on: { checkpoint: ({ state }) => (saved = state) } })
      expect(second.rows).toBe(3)
      expect(saved).toEqual({ tables: { orders: { cursor: '2026-01-02 00:00:00.5+00', key: ['11'] } } })
      const rows = sink.rows('orders').sort((a, b) => (a.id as number) - (b.id as number))
      expect(rows.filter((r) => r.note === 'changed').map((r) => r.id)).toEqual([2, 5])
      expect(rows.find((r) => r.id === 3)?.updated_at).toBe('2026-01-01T00:00:03.000001Z')
      const third = await sync({ source: src, destination: sink })
      expect(third.rows).toBe(0)
    })

    it('a sync stopped after a page resumes after its last row: every row is read exactly once across the stopped syncs', async () => {
      const schema = await source(() => ORDERS)
      const read: number[] = []
      // Rows counted as the sink writes them: a stage would also see the page read ahead when the sync stops.
      const sink = countingSink(memory(), (id) => read.push(id as number))
      const src = postgresSource({ connection: PG_URL, schema, tables: ['orders'], batchSize: 3 })
      for (let n = 0; n < 10; n++) {
        const ac = new AbortController()
        const r = await sync({ source: src, destination: sink, signal: ac.signal, stages: [onFirstCheckpoint(async () => ac.abort())] })
        // The sync that reads nothing more ends the round (it may still stop at that round's last checkpoint).
        if (r.status === 'succeeded' || r.rows === 0) break
        expect(r.status).toBe('stopped')
      }
      expect(read).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      // The round finished: a full table starts over next time.
      await sync({ source: src, destination: sink })
      expect(read).toHaveLength(20)
    })

    it('a full-refresh table soft-deletes rows deleted at the source, once the sync succeeds', async () => {
      const schema = await source(() => ORDERS)
      const sink = memory()
      const src = postgresSource({ connection: PG_URL, schema, tables: ['orders'] })
      await sync({ source: src, destination: sink })
      await fresh.pool.query(`DELETE FROM "${schema}".orders WHERE id > 8`)
      await sync({ source: src, destination: sink })
      const rows = sink.rows('orders').sort((a, b) => (a.id as number) - (b.id as number))
      expect(rows.filter((r) => r._sluice_deleted).map((r) => r.id)).toEqual([9, 10])
    })

    it('rows committed while a sync runs appear in the next sync', async () => {
      const schema = await source(() => ORDERS)
      const sink = memory()
      const src = postgresSource({ connection: PG_URL, schema, tables: [{ table: 'orders', cursor: 'updated_at' }], batchSize: 2 })
      const insert = onFirstCheckpoint(async () => {
        await fresh.pool.query(`INSERT INTO "${schema}".orders VALUES (100, 'during', now()); UPDATE "${schema}".orders SET note = 'touched', updated_at = now() WHERE id = 1`)
      })
      const first = await sync({ source: src, destination: sink, stages: [insert] })
      expect(first.status).toBe('succeeded')
      await sync({ source: src, destination: sink })
      const rows = new Map(sink.rows('orders').map((r) => [r.id, r.note]))
      expect(rows.get(100)).toBe('during')
      expect(rows.get(1)).toBe('touched')
    })

    it('a transaction that commits late with an older cursor value is caught by lookback, and missed without it', async () => {
      const schema = await source(() => ORDERS)
      const late = new pg.Client({ connectionString: PG_URL })
      await late.connect()
      try {
        // The late writer's transaction starts first: its row's cursor (now() = transaction start) is older than the next row's.
        await late.query(`BEGIN; INSERT INTO "${schema}".orders VALUES (50, 'late', now())`)
        await new Promise((r) => setTimeout(r, 20)) // a later wall clock for the next row, not a synchronisation
        await fresh.pool.query(`INSERT INTO "${schema}".orders VALUES (51, 'early', now())`)
        const withLookback = memory()
        const without = memory()
        const lookback = postgresSource({ connection: PG_URL, schema, tables: [{ table: 'orders', cursor: 'updated_at', lookback: '1m' }] })
        const plain = postgresSource({ connection: PG_URL, schema, tables: [{ table: 'orders', cursor: 'updated_at' }] })
        await sync({ source: lookback, destination: withLookback })
        await sync({ source: plain, destination: without })
        await late.query('COMMIT')
        await sync({ source: lookback, destination: withLookback })
        await sync({ source: plain, destination: without })
        expect(withLookback.rows('orders').some((r) => r.id === 50)).toBe(true)
        expect(without.rows('orders').some((r) => r.id === 50)).toBe(false)
      } finally {
        await late.end()
      }
    })

    it('rows with a NULL cursor are read every sync; a NOT NULL cursor skips that pass', async () => {
      const schema = await source(() => `CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, CASE WHEN g % 2 = 0 THEN g END FROM generate_series(1, 7) g`)
      const sink = memory()
      const ids: number[] = []
      const count: Stage = async function* (messages) {
        for await (const m of messages) {
          if (m.kind === 'records') ids.push(...m.batch.toRows().map((r) => r.id as number))
          yield m
        }
      }
      const src = postgresSource({ connection: PG_URL, schema, tables: [{ table: 't', cursor: 'v' }], batchSize: 2 })
      await sync({ source: src, destination: sink, stages: [count] })
      expect(ids).toEqual([1, 3, 5, 7, 2, 4, 6])
      ids.length = 0
      await sync({ source: src, destination: sink, stages: [count] })
      expect(ids).toEqual([1, 3, 5, 7])
    })

    it('a composite text key with the cursor resumes exactly across pages (ties on the cursor broken by key)', async () => {
      const schema = await source(() => `CREATE TABLE k (a text, b int, v int NOT NULL, PRIMARY KEY (a, b));
        INSERT INTO k SELECT chr(65 + g % 3), g, g / 4 FROM generate_series(1, 20) g`)
      const sink = memory()
      const src = postgresSource({ connection: PG_URL, schema, tables: [{ table: 'k', cursor: 'v' }], batchSize: 3 })
      const r = await sync({ source: src, destination: sink })
      expect(r.rows).toBe(20)
      expect(sink.rows('k')).toHaveLength(20)
    })

    it('a table without a primary key is read in ctid order and keyed by row hash; a keyless view needs primaryKey', async () => {
      const schema = await source(() => `CREATE TABLE logs (msg text); INSERT INTO logs SELECT 'm' || g FROM generate_series(1, 5) g; CREATE VIEW v AS SELECT * FROM logs`)
      const sink = memory()
      const r = await sync({ source: postgresSource({ connection: PG_URL, schema, tables: ['logs'], batchSize: 2 }), destination: sink })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      expect(sink.rows('logs').map((x) => x.msg)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
      const view = await sync({ source: postgresSource({ connection: PG_URL, schema, tables: ['v'] }), destination: memory() })
      expect(view.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('has no primary key; pass primaryKey') })
      const keyed = await sync({ source: postgresSource({ connection: PG_URL, schema, tables: [{ table: 'v', primaryKey: ['msg'] }] }), destination: memory() })
      expect(keyed.rows).toBe(5)
    })
  })

  describe('columns, connections and errors', () => {
    it('excluded columns are never selected: a role without privilege on them can still sync', async () => {
      const role = `sluice_reader_${process.pid}`
      const schema = await source((s) => `CREATE TABLE people (id int PRIMARY KEY, name text, ssn text); INSERT INTO people VALUES (1, 'Ada', '123-45');
        DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA ${s} TO ${role}; GRANT SELECT (id, name) ON people TO ${role}`)
      try {
        const url = PG_URL.replace('postgres@', `${role}@`)
        const sink = memory()
        const all = await sync({ source: postgresSource({ connection: url, schema, tables: ['people'] }), destination: memory() })
        expect(all.error?.message).toMatch(/permission denied/)
        const r = await sync({ source: postgresSource({ connection: url, schema, tables: [{ table: 'people', columns: { exclude: ['ssn'] } }] }), destination: sink })
        expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
        expect(dropSystem(sink.rows('people'))).toEqual([{ id: 1, name: 'Ada' }])
        const inc = await sync({ source: postgresSource({ connection: url, schema, tables: [{ table: 'people', columns: { include: ['id', 'name'] } }] }), destination: memory() })
        expect(inc.status).toBe('succeeded')
        // A select() stage's selection reaches the source too: its blocked columns are never queried either.
        const viaStage = memory()
        const staged = await sync({ source: postgresSource({ connection: url, schema, tables: ['people'] }), destination: viaStage, stages: [select({ exclude: ['people.ssn'] })] })
        expect(staged.status, JSON.stringify(staged.error)).toBe('succeeded')
        expect(dropSystem(viaStage.rows('people'))).toEqual([{ id: 1, name: 'Ada' }])
      } finally {
        await fresh.pool.query(`DROP SCHEMA "${schema}" CASCADE; DROP ROLE IF EXISTS ${role}`)
      }
    })

    it('breaking out early releases the connection: a user pool is not exhausted after POOL_SIZE + 1 early breaks', async () => {
      const schema = await source(() => `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)`)
      const POOL_SIZE = 2
      const pool = new pg.Pool({ connectionString: PG_URL, max: POOL_SIZE })
      try {
        const src = postgresSource({ connection: pool, schema, tables: ['t'], batchSize: 10 })
        for (let n = 0; n < POOL_SIZE + 1; n++) {
          const signal = new AbortController().signal
          for await (const m of src.read({ state: undefined, signal, configuration: {}, recordError: () => {} }) as AsyncIterable<Message>) {
            expect(m.kind).toBe('records')
            break
          }
        }
        expect((await pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = $1 AND query LIKE $2', ['idle in transaction', '%sluice_keyset%'])).rows[0].n).toBe(0)
        expect(pool.idleCount).toBe(pool.totalCount)
      } finally {
        await pool.end()
      }
    })

    it('a pool it creates from a URL is ended after each read, also when the consumer breaks early', async () => {
      const schema = await source(() => `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)`)
      const url = `${PG_URL}?application_name=sluice_early_${process.pid}`
      const src = postgresSource({ connection: url, schema, tables: ['t'], batchSize: 10 })
      for (let n = 0; n < 3; n++) {
        for await (const _ of src.read({ state: undefined, signal: new AbortController().signal, configuration: {}, recordError: () => {} })) break
      }
      // A backend leaves pg_stat_activity a moment after its client hung up: wait for that (a leak never leaves).
      let open = -1
      for (let tries = 0; tries < 100 && open !== 0; tries++) {
        if (tries > 0) await new Promise((r) => setTimeout(r, 20))
        open = (await fresh.pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [`sluice_early_${process.pid}`])).rows[0].n
      }
      expect(open).toBe(0)
    })

    it('names what is wrong: unknown table, unknown or excluded columns, lookback on a text cursor, bad options', async () => {
      const schema = await source(() => `CREATE TABLE t (id int PRIMARY KEY, name text, at timestamptz)`)
      const fail = async (tables: Parameters<typeof postgresSource>[0]['tables']) =>
        (await sync({ source: postgresSource({ connection: PG_URL, schema, tables }), destination: memory() })).error
      expect(await fail(['nope'])).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('table "nope" not found in schema') })
      expect(await fail([{ table: 't', cursor: 'missing' }])).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('no column "missing"') })
      expect(await fail([{ table: 't', columns: { exclude: ['id'] } }])).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('leaves out "id"') })
      expect(await fail([{ table: 't', cursor: 'name', lookback: '5m' }])).toMatchObject({ message: expect.stringContaining('lookback needs a date/time or numeric cursor') })
      expect(await fail([{ table: 't', cursor: 'id', lookback: '5m' }])).toMatchObject({ message: expect.stringContaining('give lookback as a number') })
      expect(() => postgresSource({ connection: PG_URL, tables: [] })).toThrow(/tables must be a non-empty array/)
      expect(() => postgresSource({ connection: PG_URL, tables: [{ table: 't', cursor: 'at' }], batchSize: 0 })).toThrow(/batchSize must be an integer/)
      expect(() => postgresSource({ connection: PG_URL, tables: [{ table: 't', cursor: 'at', columns: { include: ['id'] } }] })).toThrow(/leaves out "at"/)
      expect(() => postgresSource({ connection: PG_URL, tables: [{ table: 't', lookback: 'soon' }] })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    })

    it('an unreachable database fails the sync with SOURCE_FAILED, retryable, without the password', async () => {
      const r = await sync({ source: postgresSource({ connection: 'postgres://u:pa55-w0rd@127.0.0.1:1/db', tables: ['t'] }), destination: memory() })
      expect(r.error).toMatchObject({ code: 'SOURCE_FAILED', retryable: true })
      expect(JSON.stringify(r)).not.toContain('pa55-w0rd')
    })

    it('a saved state of the wrong shape is STATE_INVALID, not a silent restart', async () => {
      const schema = await source(() => `CREATE TABLE t (id int PRIMARY KEY)`)
      const src = postgresSource({ connection: PG_URL, schema, tables: ['t'] })
      const it = src.read({ state: { tables: { t: { key: [1] } } } as unknown as State, signal: new AbortController().signal, configuration: {}, recordError: () => {} })
      await expect((async () => { for await (const _ of it) void _ })()).rejects.toMatchObject({ code: 'STATE_INVALID' })
    })
  })
})
