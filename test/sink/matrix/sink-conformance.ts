import { describe, expect, it } from 'vitest'
import { op, sync, type Message, type Row, type SchemaChange, type Sink, type Source, type State, type TableSpec } from '../../../src/index.js'
import { norm, normRows, page, scripted } from '../../support/sources.js'
import type { SinkFactory } from './each-destination.js'

const read = async (sink: Sink, table: string): Promise<Row[]> => normRows(await sink.read!({ table }), undefined)
const byId = (rows: Row[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id))

/**
 * The behaviour every sink must have, run over every destination of test/sink/destinations.ts by
 * sink-conformance.test.ts (write modes × operations are write-modes.ts, exact numbers exact-numbers.ts).
 */
export function describeSinkConformance(name: string, make: SinkFactory): void {
  describe(`sink conformance: ${name}`, () => {
    it('upsert writes whole rows by key: a column missing from a later upsert becomes NULL', async () => {
      const sink = await make()
      const r = await sync({
        destination: sink,
        source: scripted([
          ...page('users', [{ id: 1, name: 'a', email: 'a@x' }, { id: 2, name: 'b', email: 'b@x' }], { n: 1 }),
          ...page('users', [{ id: 1, name: 'a2' }], { n: 2 }),
        ]),
      })
      expect(r.status).toBe('succeeded')
      expect(byId(await read(sink, 'users'))).toEqual([
        { id: 1, name: 'a2', email: null, _sluice_deleted: 0 },
        { id: 2, name: 'b', email: 'b@x', _sluice_deleted: 0 },
      ])
    })

    it('update changes only the given columns; delete is soft and a later upsert undoes it', async () => {
      const sink = await make()
      await sync({
        destination: sink,
        source: scripted([
          op.upsert('users', [{ id: 1, name: 'a', email: 'a@x' }, { id: 2, name: 'b', email: 'b@x' }]),
          op.update('users', { id: 1, email: 'new@x' }),
          op.delete('users', [{ id: 1 }, { id: 2 }]),
          op.upsert('users', { id: 2, name: 'b2', email: 'b2@x' }),
          op.checkpoint({ done: true }),
        ]),
      })
      expect(byId(await read(sink, 'users'))).toEqual([
        { id: 1, name: 'a', email: 'new@x', _sluice_deleted: 1 },
        { id: 2, name: 'b2', email: 'b2@x', _sluice_deleted: 0 },
      ])
    })

    it('a failed sync keeps the rows and state of the last checkpoint only', async () => {
      const sink = await make()
      const r = await sync({
        destination: sink,
        source: scripted([...page('t', [{ id: 1 }], { n: 1 }), op.upsert('t', [{ id: 2 }])], { failWith: new Error('boom') }),
        connectorId: 'c',
      })
      expect(r.status).toBe('failed')
      expect(r.error?.message).toContain('boom')
      expect((await read(sink, 't')).map((x) => x.id)).toEqual([1])
      let seen: State | undefined
      await sync({ destination: sink, connectorId: 'c', source: { async *read({ state }) { seen = state } } })
      expect(seen).toEqual({ n: 1 })
    })

    it('truncate soft-deletes rows synced before it, only once the sync succeeds', async () => {
      const sink = await make()
      await sync({ destination: sink, source: scripted(page('t', [{ id: 1 }, { id: 2 }, { id: 3 }], { n: 1 })) })
      const failing = await sync({
        destination: sink,
        source: scripted([op.truncate('t'), ...page('t', [{ id: 2 }], { n: 2 })], { failWith: new Error('later failure') }),
      })
      expect(failing.status).toBe('failed')
      expect((await read(sink, 't')).map((x) => x._sluice_deleted)).toEqual([0, 0, 0])
      const ok = await sync({ destination: sink, source: scripted([op.truncate('t'), op.upsert('t', { id: 3 }), op.checkpoint({ n: 3 })]) })
      expect(ok.status).toBe('succeeded')
      expect(ok.tables.t?.truncates).toBe(1)
      expect(byId(await read(sink, 't')).map((x) => [x.id, x._sluice_deleted])).toEqual([[1, 1], [2, 1], [3, 0]])
    })

    it('a truncate saved by a checkpoint of a stopped sync is applied by the next successful one', async () => {
      const sink = await make()
      await sync({ destination: sink, connectorId: 'c', source: scripted(page('t', [{ id: 1 }, { id: 2 }], { n: 1 })) })
      const ac = new AbortController()
      ac.abort()
      const stopped = await sync({ destination: sink, connectorId: 'c', signal: ac.signal, source: scripted([op.truncate('t'), ...page('t', [{ id: 2 }], { n: 2 })]) })
      expect(stopped.status).toBe('stopped')
      expect((await read(sink, 't')).map((x) => x._sluice_deleted)).toEqual([0, 0])
      await sync({ destination: sink, connectorId: 'c', source: scripted([op.checkpoint({ n: 3 })]) })
      expect(byId(await read(sink, 't')).map((x) => [x.id, x._sluice_deleted])).toEqual([[1, 1], [2, 0]])
    })

    it('replace mode soft-deletes rows not written since the refresh began, after success only', async () => {
      const sink = await make()
      const source = (ids: number[], fail?: boolean) => ({
        tables: () => [{ table: 'snap', primaryKey: ['id'], mode: 'replace' as const }],
        async *read() {
          yield op.upsert('snap', ids.map((id) => ({ id })))
          yield op.checkpoint({ ids })
          if (fail) throw new Error('fail after checkpoint')
        },
      })
      await sync({ destination: sink, source: source([1, 2, 3]) })
      await sync({ destination: sink, source: source([2], true) })
      expect(byId(await read(sink, 'snap')).map((x) => x._sluice_deleted)).toEqual([0, 0, 0])
      // The failed attempt's checkpoint began the refresh: its rows count as refreshed when a later attempt succeeds
      // (a resumed full refresh continues where it stopped), so only row 1 is gone.
      await sync({ destination: sink, source: source([3]) })
      expect(byId(await read(sink, 'snap')).map((x) => [x.id, x._sluice_deleted])).toEqual([[1, 1], [2, 0], [3, 0]])
      await sync({ destination: sink, source: source([3]) })
      expect(byId(await read(sink, 'snap')).map((x) => [x.id, x._sluice_deleted])).toEqual([[1, 1], [2, 1], [3, 0]])
    })

    it('names are normalised and quoted: reserved words, spaces, quotes, semicolons, non-ASCII, collisions', async () => {
      const sink = await make()
      const evil = '"; drop table x; --'
      const row = { id: 1, select: 's', 'First Name': 'f', [evil]: 'e', Ünïcödé: 'u', Email: 'E', email: 'e2', OrderID: 7 }
      const r = await sync({ destination: sink, source: scripted([op.upsert('order', row), op.checkpoint({})]) })
      expect(r.status).toBe('succeeded')
      const [got] = await read(sink, 'order')
      expect(got).toEqual({ id: 1, select: 's', first_name: 'f', drop_table_x: 'e', ünïcödé: 'u', email: 'E', email_2: 'e2', order_id: 7, _sluice_deleted: 0 })
      const described = await sink.describe!()
      expect(described.find((t) => t.table === 'order')?.name).toBe('order')
    })

    it('tables named like SQLite internals (sqlite_master, sqlite_stat1) get a stable, unique name shown in describe()', async () => {
      const sink = await make()
      const tables = ['sqlite_master', '_sqlite_master', 'sqlite_stat1', 'SQLITE_Sequence']
      const run = (n: number) => sync({ destination: sink, source: scripted([...tables.map((t) => op.upsert(t, { id: n, t })), op.checkpoint({ n })]) })
      expect((await run(1)).error).toBeUndefined()
      expect((await run(2)).error).toBeUndefined()
      const names = Object.fromEntries((await sink.describe!()).map((d) => [d.table, d.name]))
      expect(names).toMatchObject({ sqlite_master: '_sqlite_master', _sqlite_master: '_sqlite_master_2', sqlite_stat1: '_sqlite_stat1', SQLITE_Sequence: '_sqlite_sequence' })
      for (const t of tables) expect(byId(await read(sink, t)).map((r) => [r.id, r.t])).toEqual([[1, t], [2, t]])
    })

    it('a keyless table is keyed by _sluice_id (a replayed row is idempotent); append mode keeps every row', async () => {
      const sink = await make()
      const rows = [{ a: 1, b: 'x' }, { b: 'x', a: 1 }, { a: 2, b: 'y' }]
      await sync({
        destination: sink,
        source: {
          tables: () => [{ table: 'events', mode: 'append' as const }],
          async *read() {
            yield op.upsert('keyless', rows)
            yield op.upsert('events', rows)
            yield op.checkpoint({})
          },
        },
      })
      const keyless = await read(sink, 'keyless')
      expect(keyless).toHaveLength(2)
      expect(new Set(keyless.map((r) => r._sluice_id)).size).toBe(2)
      expect(await read(sink, 'events')).toHaveLength(3)
    })

    it('a column that appears later is added; earlier rows read NULL; schema changes are counted', async () => {
      const sink = await make()
      const r = await sync({
        destination: sink,
        source: scripted([...page('t', [{ id: 1 }], { n: 1 }), ...page('t', [{ id: 2, extra: 'x' }], { n: 2 })]),
      })
      expect(r.schemaChanges).toBe(2) // create table, add column
      expect(byId(await read(sink, 't'))).toEqual([{ id: 1, extra: null, _sluice_deleted: 0 }, { id: 2, extra: 'x', _sluice_deleted: 0 }])
    })

    it('a row without its primary key fails the sync with PRIMARY_KEY_MISSING and keeps committed rows', async () => {
      const sink = await make()
      const r = await sync({
        destination: sink,
        source: {
          tables: () => [{ table: 'k', primaryKey: ['id'] }],
          async *read() {
            yield* page('k', [{ id: 1 }], { n: 1 })
            yield op.upsert('k', [{ id: 2 }, { name: 'no key' }])
            yield op.checkpoint({ n: 2 })
          },
        },
      })
      expect(r.status).toBe('failed')
      expect(r.error).toMatchObject({ code: 'PRIMARY_KEY_MISSING', context: { table: 'k', column: 'id', row: 1 } })
      expect((await read(sink, 'k')).map((x) => x.id)).toEqual([1])
    })

    it('values of every type round-trip', async () => {
      const sink = await make()
      const row = {
        id: 1, flag: true, small: -3, big: 2n ** 40n, ratio: 0.1, price: '12345.6789', text: 'žluťoučký 🐎 "q"',
        at: '2026-11-22T10:11:12.123456Z', day: '2026-02-28', bytes: new Uint8Array([0, 1, 255]), doc: { a: [1, { b: null }] }, none: null,
      }
      await sync({
        destination: sink,
        source: {
          tables: () => [{ table: 'types', primaryKey: ['id'], columns: { price: 'DECIMAL(20,4)' as const, day: 'NAIVE_DATE' as const, big: 'LONG' as const } }],
          async *read() {
            yield op.upsert('types', [row])
            yield op.checkpoint({})
          },
        },
      })
      const [got] = await read(sink, 'types')
      const expected: Row = {}
      for (const [k, v] of Object.entries(row)) expected[k] = k === 'big' ? Number(v) : norm(v)
      expect(got).toEqual({ ...expected, _sluice_deleted: 0 })
    })

    it('LONG beyond 2^53 round-trips exactly (as key and as value)', async () => {
      const sink = await make()
      // 2^53 and 2^53 + 1 are one double: a sink that goes through Number() merges them into one row.
      const [a, b, max, min] = [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)]
      const r = await sync({
        destination: sink,
        source: source([
          op.upsert('big', [{ id: a, v: max }, { id: b, v: min }, { id: 7n, v: b }]),
          op.checkpoint({ n: 1 }),
          op.upsert('big', { id: b, v: a }), // the key must match exactly this row, not `a`
          // Beyond int64 the key is no LONG (it widens to text) but must stay two rows all the same.
          op.upsert('wide', [{ id: 12345678901234567890n }, { id: 12345678901234567891n }]),
          op.checkpoint({ n: 2 }),
        ], [{ table: 'big', primaryKey: ['id'], columns: { id: 'LONG', v: 'LONG' } }, { table: 'wide', primaryKey: ['id'] }]),
      })
      expect(r.error).toBeUndefined()
      const raw = await sink.read!({ table: 'big' })
      const exact = (v: unknown) => BigInt(String(v))
      const sorted = [...raw].sort((x, y) => (exact(x.id) < exact(y.id) ? -1 : 1))
      expect(sorted.map((row) => [row.id, row.v])).toEqual([[7, b], [a, max], [b, a]])
      expect((await sink.read!({ table: 'wide' })).map((row) => String(row.id)).sort()).toEqual(['12345678901234567890', '12345678901234567891'])
    })
  })
}

/** `_sluice_errors`: records skipped by policy commit with the next checkpoint, and roll back with a failed sync. */
export function describeErrorRecords(name: string, make: SinkFactory): void {
  describe(`sink error records: ${name}`, () => {
    it('commits recorded errors with the checkpoint that follows, and drops them when the sync fails before one', async () => {
      const sink = await make()
      const report = await sync({
        destination: sink,
        source: {
          tables: () => [{ table: 't', primaryKey: ['id'] }],
          async *read({ recordError }) {
            recordError({ kind: 'request', table: 't', code: 'HTTP_STATUS', message: 'HTTP 500 at size 1', context: { url: 'http://x/t?after=5' } })
            yield* page('t', [{ id: 1 }], { n: 1 })
            recordError({ kind: 'record', table: 't', code: 'VALIDATION_FAILED', message: 'lost with the failure', record: { id: 9 } })
            throw new Error('fail before the next checkpoint')
          },
        },
      })
      expect(report.status).toBe('failed')
      expect(report.errors).toBe(2)
      expect(await sink.readErrors!()).toEqual([
        { kind: 'request', table: 't', code: 'HTTP_STATUS', message: 'HTTP 500 at size 1', context: { url: 'http://x/t?after=5' } },
      ])
    })
  })
}

/** A source of the given messages whose tables are declared as given (default: none declared). */
function source(messages: readonly Message[], tables: readonly TableSpec[] = [], fail?: Error): Source {
  return {
    tables: () => tables,
    async *read() {
      for (const m of messages) yield m
      if (fail) throw fail
    },
  }
}

const schemaMessage = (table: string, change: SchemaChange): Message => ({ kind: 'schema', table, change })

/**
 * `_sluice_schema_history` and type migration: every applied change is recorded in the same
 * transaction as the change, and a widened column keeps every value (as a fresh write of the new
 * type would store it).
 */
export function describeSchemaHistory(name: string, make: SinkFactory): void {
  describe(`sink schema history and migration: ${name}`, () => {
    it('records create, add and change in _sluice_schema_history; reported and emitted once each', async () => {
      const sink = await make()
      const events: unknown[] = []
      const r = await sync({
        destination: sink,
        connectorId: 'hist',
        source: source([
          op.upsert('t', { id: 1, n: 1 }),
          op.upsert('t', { id: 2, n: 2, extra: 'x' }),
          schemaMessage('t', { type: 'change_type', column: 'n', from: 'INT', to: 'DOUBLE' }),
          schemaMessage('t', { type: 'add_column', column: 'extra', columnType: 'STRING' }), // exists: changes nothing
          op.checkpoint({ n: 1 }),
        ], [{ table: 't', primaryKey: ['id'] }]),
        on: { schemaChange: (e) => events.push(e.change) },
      })
      expect(r.status).toBe('succeeded')
      const history = await sink.schemaHistory!()
      expect(history.map((h) => [h.table, h.column, h.change, h.oldType, h.newType, h.connectorId])).toEqual([
        ['t', null, 'create_table', null, null, 'hist'],
        ['t', 'extra', 'add_column', null, 'STRING', 'hist'],
        ['t', 'n', 'change_type', 'INT', 'DOUBLE', 'hist'],
      ])
      expect(history.every((h) => h.syncId === r.syncId && !Number.isNaN(Date.parse(h.at)))).toBe(true)
      expect(r.schemaChanges).toBe(3)
      expect(events).toHaveLength(3)
    })

    it('a change rolled back with a failed sync leaves neither the column nor its history', async () => {
      const sink = await make()
      await sync({ destination: sink, source: source(page('t', [{ id: 1 }], { n: 1 }), [{ table: 't', primaryKey: ['id'] }]) })
      const failed = await sync({
        destination: sink,
        source: source([op.upsert('t', { id: 2, late: 'x' })], [{ table: 't', primaryKey: ['id'] }], new Error('after the change')),
      })
      expect(failed.status).toBe('failed')
      expect((await sink.schemaHistory!()).map((h) => h.change)).toEqual(['create_table'])
      expect((await sink.describe!()).find((t) => t.table === 't')?.columns.map((c) => c.source)).toEqual(['id'])
    })

    it('widening keeps every stored value exactly as a fresh write of the new type stores it', async () => {
      const sink = await make()
      const tables: TableSpec[] = [{ table: 'w', primaryKey: ['id'], columns: { day: 'NAIVE_DATE' } }]
      const r = await sync({
        destination: sink,
        source: source([
          op.upsert('w', { id: 1, i: 7, d: 0.1 + 0.2, b: true, f: false, bytes: new Uint8Array([0, 1, 255]), day: '2026-02-28', doc: { a: 1 } }).withTypes({ day: 'NAIVE_DATE' }),
          op.checkpoint({ n: 1 }),
          schemaMessage('w', { type: 'change_type', column: 'i', from: 'INT', to: 'DOUBLE' }),
          schemaMessage('w', { type: 'change_type', column: 'd', from: 'DOUBLE', to: 'STRING' }),
          schemaMessage('w', { type: 'change_type', column: 'b', from: 'BOOLEAN', to: 'STRING' }),
          schemaMessage('w', { type: 'change_type', column: 'f', from: 'BOOLEAN', to: 'INT' }),
          schemaMessage('w', { type: 'change_type', column: 'bytes', from: 'BINARY', to: 'STRING' }),
          schemaMessage('w', { type: 'change_type', column: 'day', from: 'NAIVE_DATE', to: 'NAIVE_DATETIME' }),
          schemaMessage('w', { type: 'change_type', column: 'doc', from: 'JSON', to: 'STRING' }),
          op.upsert('w', { id: 2, i: 2.5, d: 'text', b: 'maybe', f: 3, bytes: 'plain', day: '2026-03-01T10:00:00', doc: 'note' }).withTypes({ day: 'NAIVE_DATETIME' }),
          op.checkpoint({ n: 2 }),
        ], tables),
      })
      expect(r.status).toBe('succeeded')
      const rows = byId(await read(sink, 'w'))
      expect(rows).toEqual([
        { id: 1, i: 7, d: '0.30000000000000004', b: 'true', f: 0, bytes: 'AAH/', day: '2026-02-28T00:00:00', doc: '{"a":1}', _sluice_deleted: 0 },
        { id: 2, i: 2.5, d: 'text', b: 'maybe', f: 3, bytes: 'plain', day: '2026-03-01T10:00:00', doc: 'note', _sluice_deleted: 0 },
      ])
      const types = Object.fromEntries((await sink.describe!()).find((t) => t.table === 'w')!.columns.map((c) => [c.source, c.type]))
      expect(types).toMatchObject({ i: 'DOUBLE', d: 'STRING', b: 'STRING', f: 'INT', bytes: 'STRING', day: 'NAIVE_DATETIME', doc: 'STRING' })
    })

    it('a schema message never narrows a column, and a change that changes nothing is not counted', async () => {
      const sink = await make()
      const r = await sync({
        destination: sink,
        source: source([
          op.upsert('t', { id: 1, s: 'text' }),
          schemaMessage('t', { type: 'change_type', column: 's', from: 'STRING', to: 'INT' }),
          op.checkpoint({}),
        ], [{ table: 't', primaryKey: ['id'] }]),
      })
      expect(r.schemaChanges).toBe(1) // create_table only
      expect((await sink.describe!()).find((t) => t.table === 't')?.columns.find((c) => c.source === 's')?.type).toBe('STRING')
      expect(await read(sink, 't')).toEqual([{ id: 1, s: 'text', _sluice_deleted: 0 }])
    })

    it('a LONG beyond 2^53 is not widened to a lossy DOUBLE: the change fails and rolls back', async () => {
      const sink = await make()
      const big = 2n ** 60n + 1n
      const r = await sync({
        destination: sink,
        source: source([
          op.upsert('t', { id: 1, big }),
          op.checkpoint({ n: 1 }),
          schemaMessage('t', { type: 'change_type', column: 'big', from: 'LONG', to: 'DOUBLE' }),
          op.checkpoint({ n: 2 }),
        ], [{ table: 't', primaryKey: ['id'] }]),
      })
      expect(r.status).toBe('failed')
      expect(r.error).toMatchObject({ code: 'DESTINATION_WRITE', context: { table: 't', column: 'big', from: 'LONG', to: 'DOUBLE' } })
      expect((await sink.describe!()).find((t) => t.table === 't')?.columns.find((c) => c.source === 'big')?.type).toBe('LONG')
    })

    it('a column declared on a later sync is added to the existing table, with history', async () => {
      const sink = await make()
      await sync({ destination: sink, source: source(page('t', [{ id: 1 }], { n: 1 }), [{ table: 't', primaryKey: ['id'] }]) })
      const r = await sync({
        destination: sink,
        source: source(page('t', [{ id: 2, note: 'n' }], { n: 2 }), [{ table: 't', primaryKey: ['id'], columns: { note: 'STRING', score: 'DOUBLE' } }]),
      })
      expect(r.status).toBe('succeeded')
      expect(byId(await read(sink, 't'))).toEqual([
        { id: 1, note: null, score: null, _sluice_deleted: 0 },
        { id: 2, note: 'n', score: null, _sluice_deleted: 0 },
      ])
      expect((await sink.schemaHistory!()).filter((h) => h.change === 'add_column').map((h) => [h.column, h.newType])).toEqual([
        ['note', 'STRING'],
        ['score', 'DOUBLE'],
      ])
    })

    it('a column missing from later rows is never dropped from the destination', async () => {
      const sink = await make()
      await sync({ destination: sink, source: source(page('t', [{ id: 1, gone: 'g' }], { n: 1 }), [{ table: 't', primaryKey: ['id'] }]) })
      await sync({ destination: sink, source: source(page('t', [{ id: 2 }], { n: 2 }), [{ table: 't', primaryKey: ['id'] }]) })
      expect(byId(await read(sink, 't'))).toEqual([
        { id: 1, gone: 'g', _sluice_deleted: 0 },
        { id: 2, gone: null, _sluice_deleted: 0 },
      ])
    })
  })
}
