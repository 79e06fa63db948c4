import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { connector, op, sync, type Row, type Source, type TableSpec } from '../../../src/index.js'
import { postgres } from '../../../src/postgres.js'
import { describeWithService, PG_URL, pgUnavailable, schemas } from '../../source/postgres/pg-service.js'
import { scripted } from '../../support/sources.js'

const unavailable = await pgUnavailable()
const fresh = schemas('sluice_sink')

/** A connector over fixed messages with declared tables. */
function declared(tables: TableSpec[], messages: () => Iterable<ReturnType<typeof op.upsert> | ReturnType<typeof op.checkpoint> | ReturnType<typeof op.truncate>>): Source {
  return connector({ id: 'declared', schema: () => tables, update: () => messages() })
}

const strip = (rows: Row[]) => rows.map(({ _sluice_synced, ...rest }) => rest)

describeWithService('postgres sink', 'PostgreSQL', unavailable, () => {
  // The shared suites (write modes, drift, child tables, MAR, connector store, …) run over postgres in test/sink/matrix/.
  const make = () => postgres({ connection: PG_URL, schema: fresh.next() })

  describe('MAR and connector operations', () => {
    const clock = { now: () => Date.UTC(2026, 10, 22) }

    it('meters MAR in the sync transaction: distinct keys per month, repeats not counted, a failed sync counts nothing', async () => {
      const sink = make()
      const first = await sync({ destination: sink, connectorId: 'm', mar: { clock }, source: scripted([op.upsert('t', [{ id: 1 }, { id: 2 }, { id: 1 }]), op.checkpoint({ n: 1 })]) })
      expect(first.status, JSON.stringify(first.error)).toBe('succeeded')
      expect(first.mar).toEqual({ t: 2 })
      const second = await sync({ destination: sink, connectorId: 'm', mar: { clock }, source: scripted([op.upsert('t', [{ id: 2 }, { id: 3 }]), op.checkpoint({ n: 2 })]) })
      expect(second.mar).toEqual({ t: 1 })
      const failed = await sync({ destination: sink, connectorId: 'm', mar: { clock }, source: scripted([op.upsert('t', [{ id: 4 }])], { failWith: new Error('boom') }) })
      expect(failed.status).toBe('failed')
      expect(await sink.readMar!({ connectorId: 'm' })).toEqual([{ connectorId: 'm', table: 't', month: '2026-11', rows: 3, approximate: false }])
      // Approximate mode can't join a month counted exactly.
      const mixed = await sync({ destination: sink, connectorId: 'm', mar: { clock, mode: 'approximate' }, source: scripted([op.upsert('t', [{ id: 9 }]), op.checkpoint({ n: 3 })]) })
      expect(mixed.error?.code).toBe('MAR_MODE_CHANGED')
    })

    it('meters approximately with a sketch, and fires each budget threshold once a month', async () => {
      const sink = make()
      const fired: number[] = []
      const rows = Array.from({ length: 50 }, (_, i) => ({ id: i }))
      const options = { clock, mode: 'approximate' as const, budget: { monthly: 40, warnAt: [0.5, 1] } }
      await sync({ destination: sink, connectorId: 'a', mar: options, on: { marThreshold: (e) => fired.push(e.threshold) }, source: scripted([op.upsert('t', rows), op.checkpoint({})]) })
      await sync({ destination: sink, connectorId: 'a', mar: options, on: { marThreshold: (e) => fired.push(e.threshold) }, source: scripted([op.upsert('t', rows), op.checkpoint({})]) })
      expect(fired).toEqual([0.5, 1])
      const [usage] = await sink.readMar!({ connectorId: 'a', month: '2026-11' })
      expect(usage).toMatchObject({ table: 't', approximate: true })
      expect(Math.abs(usage!.rows - 50)).toBeLessThanOrEqual(2)
    })

    it('keeps sync history, one lease holder at a time, and pause flags, without an open sync', async () => {
      const sink = make()
      expect(await sink.history!({ connectorId: 'c' })).toEqual([])
      expect(await sink.loadConnector!({ connectorId: 'c' })).toBeUndefined()
      const a = await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1_000, now: 10_000 })
      expect(a).toEqual({ acquired: true, expiresAt: 11_000 })
      expect(await sink.acquireLease!({ name: 'connector:c', holder: 'b', ttlMs: 1_000, now: 10_500 })).toEqual({ acquired: false, holder: 'a', expiresAt: 11_000 })
      expect(await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1_000, now: 10_600 })).toEqual({ acquired: true, expiresAt: 11_600 })
      expect(await sink.acquireLease!({ name: 'connector:c', holder: 'b', ttlMs: 1_000, now: 11_600 })).toEqual({ acquired: true, expiresAt: 12_600 })
      await sink.releaseLease!({ name: 'connector:c', holder: 'a' }) // not a's any more: no effect
      expect((await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1_000, now: 11_700 })).acquired).toBe(false)
      await sink.releaseLease!({ name: 'connector:c', holder: 'b' })
      expect((await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1_000, now: 11_700 })).acquired).toBe(true)
      await sink.saveConnector!({ connectorId: 'c', paused: true })
      expect(await sink.loadConnector!({ connectorId: 'c' })).toMatchObject({ paused: true })
      const r1 = await sync({ destination: sink, connectorId: 'c', source: scripted([op.upsert('t', [{ id: 1 }]), op.checkpoint({})]) })
      const r2 = await sync({ destination: sink, connectorId: 'c', source: scripted([op.upsert('t', [{ id: 2 }])], { failWith: new Error('x') }) })
      const history = await sink.history!({ connectorId: 'c' })
      expect(history.map((h) => [h.syncId, h.status])).toEqual([[r2.syncId, 'failed'], [r1.syncId, 'succeeded']])
      expect(await sink.history!({ connectorId: 'c', limit: 1 })).toHaveLength(1)
    })

    it('reads and lease releases on a schema never synced to create nothing', async () => {
      const schema = fresh.next()
      const sink = postgres({ connection: PG_URL, schema })
      expect(await sink.readMar!({})).toEqual([])
      expect(await sink.history!({ connectorId: 'c' })).toEqual([])
      expect(await sink.loadConnector!({ connectorId: 'c' })).toBeUndefined()
      await sink.releaseLease!({ name: 'connector:c', holder: 'a' })
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      try {
        expect((await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(0)
      } finally {
        await client.end()
      }
    })

    it('two sinks racing for one lease: exactly one wins', async () => {
      const schema = fresh.next()
      const sinks = Array.from({ length: 6 }, () => postgres({ connection: PG_URL, schema }))
      const results = await Promise.all(sinks.map((s, i) => s.acquireLease!({ name: 'race', holder: `h${i}`, ttlMs: 60_000, now: 1_000 })))
      expect(results.filter((r) => r.acquired)).toHaveLength(1)
    })
  })

  describe('postgres specifics', () => {
    it('COPY keeps NULL, empty strings, backslashes, tabs, newlines, "\\N" text and unicode exactly', async () => {
      const sink = make()
      const texts = ['', '\\', '\\N', 'a\tb', 'line1\nline2\r\n', 'tab\\tnot', 'žluťoučký 🐎 "q" \'s\'', 'e\u0301 \u200b \uFEFF', '\\\\x00', ',;|"']
      const rows = texts.map((text, id) => ({ id, text, doc: { text, list: [text] }, bytes: new Uint8Array([0, 9, 10, 13, 92, 255, id]) }))
      rows.push({ id: 99, text: null as unknown as string, doc: null as unknown as { text: string; list: string[] }, bytes: null as unknown as Uint8Array<ArrayBuffer> })
      const r = await sync({ destination: sink, source: scripted([op.upsert('esc', rows), op.checkpoint({})]) })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      const got = await sink.read!({ table: 'esc' })
      expect(got.map((g) => ({ id: g.id, text: g.text, doc: g.doc, bytes: g.bytes === null ? null : new Uint8Array(g.bytes as Buffer) }))).toEqual(rows)
    })

    it('a NUL character fails the sync with UNSUPPORTED_VALUE naming table, column and row, keeping committed rows', async () => {
      const sink = make()
      const r = await sync({
        destination: sink,
        source: scripted([op.upsert('nul', [{ id: 1, s: 'ok' }]), op.checkpoint({ n: 1 }), op.upsert('nul', [{ id: 2, s: 'ok' }, { id: 3, s: 'a\u0000b' }]), op.checkpoint({ n: 2 })]),
      })
      expect(r.status).toBe('failed')
      expect(r.error?.code).toBe('UNSUPPORTED_VALUE')
      expect(r.error?.message).toMatch(/table nul, column "s", batch row 1.*NUL/)
      expect((await sink.read!({ table: 'nul' })).map((x) => x.id)).toEqual([1])
    })

    it('maps every sluice type to its Postgres type, and values round-trip exactly', async () => {
      const schema = fresh.next()
      const sink = postgres({ connection: PG_URL, schema })
      const columns = {
        b: 'BOOLEAN', s: 'SHORT', i: 'INT', l: 'LONG', d: 'DECIMAL(38,10)', f: 'FLOAT', x: 'DOUBLE',
        day: 'NAIVE_DATE', naive: 'NAIVE_DATETIME', utc: 'UTC_DATETIME', bin: 'BINARY', str: 'STRING', j: 'JSON',
      } as const
      const rows = [
        { id: 1, b: true, s: -32768, i: 2147483647, l: 9223372036854775807n, d: '1234567890123456789012345678.0123456789', f: 1.5, x: 0.1,
          day: '0001-01-01', naive: '2026-03-29T02:30:00.000001', utc: '2026-11-22T10:11:12.123456Z', bin: new Uint8Array([0, 255]), str: 'x', j: [1, 'a', null] },
        { id: 2, b: false, s: 32767, i: -2147483648, l: -9223372036854775808n, d: '-0.0000000001', f: -0, x: -1e308,
          day: '9999-12-31', naive: '1969-12-31T23:59:59.999999', utc: '2026-03-29T01:30:00+05:30', bin: new Uint8Array([]), str: '', j: { a: { b: 'c' } } },
        { id: 3, b: null, s: null, i: null, l: null, d: null, f: null, x: null, day: null, naive: null, utc: '1970-01-01T00:00:00Z', bin: null, str: null, j: null },
      ]
      const r = await sync({ destination: sink, source: declared([{ table: 'typed', primaryKey: ['id'], columns: { id: 'INT', ...columns } }], () => [op.upsert('typed', rows), op.checkpoint({})]) })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      const types = await fresh.pool.query<{ column_name: string; type: string }>(
        `SELECT column_name, format_type(atttypid, atttypmod) AS type FROM information_schema.columns c
         JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
         WHERE table_schema = $1 AND table_name = 'typed' ORDER BY ordinal_position`,
        [schema],
      )
      expect(Object.fromEntries(types.rows.map((t) => [t.column_name, t.type]))).toEqual({
        id: 'integer', b: 'boolean', s: 'smallint', i: 'integer', l: 'bigint', d: 'numeric(38,10)', f: 'real', x: 'double precision',
        day: 'date', naive: 'timestamp without time zone', utc: 'timestamp with time zone', bin: 'bytea', str: 'text', j: 'jsonb',
        _sluice_synced: 'timestamp with time zone', _sluice_deleted: 'boolean',
      })
      const got = strip(await sink.read!({ table: 'typed' }))
      expect(got).toEqual([
        { ...rows[0], bin: Buffer.from([0, 255]), _sluice_deleted: false },
        { ...rows[1], d: '-0.0000000001', f: -0, utc: '2026-03-28T20:00:00Z', bin: Buffer.alloc(0), _sluice_deleted: false },
        { ...rows[2], _sluice_deleted: false },
      ])
    })

    it('widens columns in place (casts) or through JS (text), keeping every earlier value as a fresh write of the new type stores it', async () => {
      const schema = fresh.next()
      const sink = postgres({ connection: PG_URL, schema })
      const r = await sync({
        destination: sink,
        source: scripted([
          op.upsert('w', [{ id: 1, n: 1, flag: true, day: '2026-01-02', ts: new Date('2026-01-02T03:04:05.678Z'), bytes: new Uint8Array([1, 2]) }]),
          op.checkpoint({ n: 1 }),
          op.upsert('w', [{ id: 2, n: 2 ** 40, flag: 7, day: '2026-01-02 10:00:00', ts: 'not a time', bytes: 'text now' }]),
          op.checkpoint({ n: 2 }),
          op.upsert('w', [{ id: 3, n: 0.5, flag: 'x' }]),
          op.checkpoint({ n: 3 }),
        ]),
      })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      const described = (await sink.describe!()).find((t) => t.table === 'w')!
      expect(Object.fromEntries(described.columns.map((c) => [c.name, c.type]))).toMatchObject({ n: 'DOUBLE', flag: 'STRING', ts: 'STRING', bytes: 'STRING' })
      const got = strip(await sink.read!({ table: 'w' }))
      expect(got.map(({ _sluice_deleted, ...x }) => x)).toEqual([
        { id: 1, n: 1, flag: '1', day: '2026-01-02', ts: '2026-01-02T03:04:05.678Z', bytes: 'AQI=' },
        { id: 2, n: 2 ** 40, flag: '7', day: '2026-01-02 10:00:00', ts: 'not a time', bytes: 'text now' },
        { id: 3, n: 0.5, flag: 'x', day: null, ts: null, bytes: null },
      ])
    })

    it('rows repeating a key within one batch keep the last one, as applying them in order would', async () => {
      const sink = make()
      const r = await sync({
        destination: sink,
        source: scripted([
          op.upsert('d', [{ id: 1, v: 'a' }, { id: 2, v: 'b' }, { id: 1, v: 'c' }]),
          op.update('d', [{ id: 2, v: 'u1' }, { id: 2, v: 'u2' }]),
          op.delete('d', [{ id: 1 }, { id: 1 }]),
          op.checkpoint({}),
        ]),
      })
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
      expect(strip(await sink.read!({ table: 'd' }))).toEqual([
        { id: 1, v: 'c', _sluice_deleted: true },
        { id: 2, v: 'u2', _sluice_deleted: false },
      ])
    })

    it('history mode keeps SCD2 versions: a change closes the active version, a replay adds none, a delete closes it', async () => {
      const schema = fresh.next()
      const sink = postgres({ connection: PG_URL, schema })
      const spec: TableSpec[] = [{ table: 'h', primaryKey: ['id'], mode: 'history' }]
      const run = (messages: Parameters<typeof declared>[1]) => sync({ destination: sink, source: declared(spec, messages) })
      expect((await run(() => [op.upsert('h', [{ id: 1, v: 'a', w: 1 }, { id: 2, v: 'x', w: 1 }]), op.checkpoint({ n: 1 })])).status).toBe('succeeded')
      // id 1 changes, id 2 is replayed unchanged; then a partial update and a delete in later batches of the same transaction.
      const second = await run(() => [
        op.upsert('h', [{ id: 1, v: 'b', w: 1 }, { id: 2, v: 'x', w: 1 }]),
        op.update('h', [{ id: 1, w: 2 }]),
        op.delete('h', [{ id: 2 }]),
        op.checkpoint({ n: 2 }),
      ])
      expect(second.status, JSON.stringify(second.error)).toBe('succeeded')
      await run(() => [op.upsert('h', [{ id: 2, v: 'back', w: 3 }]), op.checkpoint({ n: 3 })])
      const rows = await sink.read!({ table: 'h' })
      const view = rows.map((r) => [r.id, r.v, r.w, r._sluice_active, r._sluice_deleted])
      expect(view).toEqual([
        [1, 'a', 1, false, false],
        [1, 'b', 1, false, false],
        [1, 'b', 2, true, false],
        [2, 'x', 1, false, true],
        [2, 'back', 3, true, false],
      ])
      // Versions of a key tile time: each closed version ends 1 ms before the next one starts; active ones end at 9999-12-31.
      const ones = rows.filter((r) => r.id === 1)
      for (let k = 0; k + 1 < ones.length; k++) {
        expect(Date.parse(ones[k]!._sluice_end as string)).toBe(Date.parse(ones[k + 1]!._sluice_start as string) - 1)
      }
      expect(ones.at(-1)!._sluice_end).toBe('9999-12-31T23:59:59.999Z')
      const two = rows.filter((r) => r.id === 2)
      expect(Date.parse(two[0]!._sluice_end as string)).toBeLessThan(Date.parse(two[1]!._sluice_start as string))
      // At most one active version per key is enforced by the database.
      await expect(fresh.pool.query(`UPDATE "${schema}"."h" SET "_sluice_active" = true WHERE "id" = 1`)).rejects.toThrow(/duplicate key/)
    })

    it('history mode: a truncate closes the active versions written before it once the sync succeeds', async () => {
      const sink = make()
      const spec: TableSpec[] = [{ table: 'h', primaryKey: ['id'], mode: 'history' }]
      await sync({ destination: sink, source: declared(spec, () => [op.upsert('h', [{ id: 1, v: 'a' }, { id: 2, v: 'b' }]), op.checkpoint({})]) })
      await sync({ destination: sink, source: declared(spec, () => [op.truncate('h'), op.upsert('h', [{ id: 2, v: 'b' }]), op.checkpoint({})]) })
      const rows = await sink.read!({ table: 'h' })
      expect(rows.map((r) => [r.id, r.v, r._sluice_active, r._sluice_deleted])).toEqual([
        [1, 'a', false, true],
        [2, 'b', true, false],
      ])
    })

    it('append mode copies rows straight in and keeps every one; a keyless upsert table dedupes by _sluice_id', async () => {
      const sink = make()
      const rows = [{ a: 1, b: 'x\ty' }, { a: 1, b: 'x\ty' }, { a: 2, b: null }]
      const source = declared([{ table: 'log', mode: 'append' }, { table: 'set' }], () => [op.upsert('log', rows), op.upsert('set', rows), op.checkpoint({})])
      await sync({ destination: sink, source })
      await sync({ destination: sink, source })
      expect((await sink.read!({ table: 'log' })).map((r) => [r.a, r.b])).toEqual([[1, 'x\ty'], [1, 'x\ty'], [2, null], [1, 'x\ty'], [1, 'x\ty'], [2, null]])
      const set = await sink.read!({ table: 'set' })
      expect(set).toHaveLength(2)
      expect(set.every((r) => typeof r._sluice_id === 'string' && (r._sluice_id as string).length === 64)).toBe(true)
    })

    it('borrows from a pg.Pool the user owns: releases its client and never ends the pool', async () => {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
      try {
        const sink = postgres({ connection: pool, schema: fresh.next() })
        for (let n = 0; n < 3; n++) {
          const r = await sync({ destination: sink, source: scripted([op.upsert('p', [{ id: n }]), op.checkpoint({ n })]) })
          expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
        }
        const failed = await sync({ destination: sink, source: scripted([op.upsert('p', [{ id: 9 }])], { failWith: new Error('boom') }) })
        expect(failed.status).toBe('failed')
        expect((await sink.read!({ table: 'p' })).map((r) => r.id)).toEqual([0, 1, 2])
        expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }])
        expect(pool.waitingCount).toBe(0)
        expect(pool.idleCount).toBe(pool.totalCount)
        // Staging tables are dropped when a sync ends, so a pooled connection (max 1: the sink's) doesn't collect them.
        expect((await pool.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE '_sluice_stage_%' AND relnamespace = pg_my_temp_schema()`)).rows[0].n).toBe(0)
      } finally {
        await pool.end()
      }
    })

    it('keeps data and meta tables in the configured schema, created when missing', async () => {
      const schema = `${fresh.next()} Weird "name"`
      const sink = postgres({ connection: PG_URL, schema })
      try {
        const r = await sync({ destination: sink, connectorId: 'c', source: scripted([op.upsert('order', [{ id: 1 }]), op.checkpoint({ at: 1 })]) })
        expect(r.status, JSON.stringify(r.error)).toBe('succeeded')
        const tables = await fresh.pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])
        expect(tables.rows.map((t) => t.table_name)).toEqual([
          '_sluice_connectors', '_sluice_errors', '_sluice_leases', '_sluice_mar', '_sluice_mar_keys', '_sluice_mar_thresholds',
          '_sluice_schema_history', '_sluice_state', '_sluice_syncs', '_sluice_tables', 'order',
        ])
        const state = await fresh.pool.query(`SELECT "state" FROM "${schema.replace(/"/g, '""')}"."_sluice_state"`)
        expect(state.rows).toEqual([{ state: '{"at":1}' }])
        await sink.resetState!({ connectorId: 'c' })
        expect((await fresh.pool.query(`SELECT count(*)::int AS n FROM "${schema.replace(/"/g, '""')}"."_sluice_state"`)).rows[0].n).toBe(0)
      } finally {
        await fresh.pool.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`)
      }
    })

    it('a destination it cannot reach fails the sync with DESTINATION_UNAVAILABLE, retryable, and never shows the password', async () => {
      const sink = postgres({ connection: 'postgres://postgres:s3cr3t-pw@127.0.0.1:1/test', schema: 'x' })
      const r = await sync({ destination: sink, source: scripted([op.upsert('t', [{ id: 1 }]), op.checkpoint({})]) })
      expect(r.status).toBe('failed')
      expect(r.error).toMatchObject({ code: 'DESTINATION_UNAVAILABLE', retryable: true })
      expect(r.error?.message).toContain('127.0.0.1:1/test')
      expect(JSON.stringify(r)).not.toContain('s3cr3t-pw')
    })

    it('refuses bad options when built, without echoing a connection string', () => {
      expect(() => postgres({ connection: 'mysql://u:s3cr3t@h/db' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
      try {
        postgres({ connection: 'not a url s3cr3t' })
      } catch (e) {
        expect((e as Error).message).not.toContain('s3cr3t')
      }
      expect(() => postgres({ connection: 42 as unknown as string })).toThrow(/postgres.connection must be a postgres:\/\/ URL or a pg.Pool, got number/)
      expect(() => postgres({ connection: PG_URL, schema: '' })).toThrow(/postgres.schema must be a non-empty name/)
      expect(() => postgres({ connection: PG_URL, schema: 'x'.repeat(64) })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    })

    it('read, describe and readErrors of a schema no sync has written return nothing', async () => {
      const sink = make()
      expect(await sink.read!({ table: 'none' })).toEqual([])
      expect(await sink.describe!()).toEqual([])
      expect(await sink.readErrors!()).toEqual([])
    })
  })
})
