import { describe, expect, it } from 'vitest'
import { op, sync, type Message, type Row, type Sink, type Source, type Stage, type State, type TableSpec } from '../../src/index.js'
import { schemaDrift } from '../../src/schema-drift/schema-drift.js'
import type { SchemaDriftOptions } from '../../src/schema-drift/drift-policy.js'
import { normRows } from '../support/sources.js'

type SinkFactory = () => Sink | Promise<Sink>

const T: TableSpec[] = [{ table: 't', primaryKey: ['id'] }]

function source(messages: readonly Message[], tables: readonly TableSpec[], fail?: Error): Source {
  return {
    tables: () => tables,
    async *read() {
      for (const m of messages) yield m
      if (fail) throw fail
    },
  }
}

const pages = (table: string, ...rowsPerPage: Row[][]): Message[] =>
  rowsPerPage.flatMap((rows, i) => [op.upsert(table, rows), op.checkpoint({ [table]: i + 1 })])

/** A stage that records what passes (after drift) without changing it. */
function spy(seen: Message[]): Stage {
  return async function* (messages) {
    for await (const m of messages) {
      seen.push(m)
      yield m
    }
  }
}

interface RunOptions {
  readonly tables?: readonly TableSpec[]
  readonly drift?: SchemaDriftOptions
  readonly seen?: Message[]
  readonly fail?: Error
  readonly connectorId?: string
}

function run(sink: Sink, messages: readonly Message[], o: RunOptions = {}) {
  const stages = [schemaDrift(o.drift), ...(o.seen ? [spy(o.seen)] : [])]
  return sync({ destination: sink, connectorId: o.connectorId ?? 'drift', source: source(messages, o.tables ?? T, o.fail), stages })
}

const rows = async (sink: Sink, table = 't', key = 'id') => normRows(await sink.read!({ table }), key)
const types = async (sink: Sink, table = 't') =>
  Object.fromEntries((await sink.describe!()).find((t) => t.table === table)?.columns.map((c) => [c.source, c.type]) ?? [])
const changes = async (sink: Sink) => (await sink.schemaHistory!()).map((h) => [h.table, h.change, h.column, h.oldType, h.newType])

/** Schema drift end to end through a sink: what lands, what is recorded, what fails. */
export function describeDriftConformance(name: string, make: SinkFactory): void {
  describe(`schema drift: ${name}`, () => {
    it('a column added mid-page of an existing table is announced before its rows; earlier rows read NULL', async () => {
      const sink = await make()
      await run(sink, pages('t', [{ id: 1 }]))
      const seen: Message[] = []
      const r = await run(sink, pages('t', [{ id: 2 }, { id: 3, extra: 'x' }]), { seen })
      expect(r.status).toBe('succeeded')
      expect(seen.map((m) => m.kind)).toEqual(['schema', 'records', 'checkpoint'])
      expect(seen[0]).toEqual({ kind: 'schema', table: 't', change: { type: 'add_column', column: 'extra', columnType: 'STRING' } })
      expect(await rows(sink)).toEqual([
        { id: 1, extra: null, _sluice_deleted: 0 },
        { id: 2, extra: null, _sluice_deleted: 0 },
        { id: 3, extra: 'x', _sluice_deleted: 0 },
      ])
      expect(await changes(sink)).toEqual([['t', 'create_table', null, null, null], ['t', 'add_column', 'extra', null, 'STRING']])
    })

    it('a column added in the second page, and one added in the second sync, are added with history', async () => {
      const sink = await make()
      const first = await run(sink, pages('t', [{ id: 1 }], [{ id: 2, n: 5 }]))
      expect(first.schemaChanges).toBe(2)
      const second = await run(sink, pages('t', [{ id: 3, n: 6, flag: true }]))
      expect(second.schemaChanges).toBe(1)
      expect(await types(sink)).toEqual({ id: 'INT', n: 'INT', flag: 'BOOLEAN' })
      expect((await rows(sink)).map((r) => [r.id, r.n, r.flag])).toEqual([[1, null, null], [2, 5, null], [3, 6, 1]])
      expect((await changes(sink)).map((c) => c[2])).toEqual([null, 'n', 'flag'])
    })

    it('INT values, then a DOUBLE, then a STRING widen the column twice without losing a value', async () => {
      const sink = await make()
      const r = await run(sink, pages('t', [{ id: 1, v: 1 }], [{ id: 2, v: 1.5 }], [{ id: 3, v: 'abc' }]))
      expect(r.status).toBe('succeeded')
      expect(await types(sink)).toEqual({ id: 'INT', v: 'STRING' })
      expect((await rows(sink)).map((x) => x.v)).toEqual(['1', '1.5', 'abc'])
      expect((await changes(sink)).slice(1)).toEqual([['t', 'change_type', 'v', 'INT', 'DOUBLE'], ['t', 'change_type', 'v', 'DOUBLE', 'STRING']])
    })

    it('booleans sent as 0/1 and as "true"/"false" keep a BOOLEAN column BOOLEAN', async () => {
      const sink = await make()
      await run(sink, pages('t', [{ id: 1, flag: true }], [{ id: 2, flag: 0 }, { id: 3, flag: 1 }], [{ id: 4, flag: 'true' }, { id: 5, flag: 'false' }]))
      expect(await types(sink)).toEqual({ id: 'INT', flag: 'BOOLEAN' })
      expect((await rows(sink)).map((x) => x.flag)).toEqual([1, 0, 1, 1, 0])
      expect(await changes(sink)).toHaveLength(1)
    })

    it('a date column stays a date while every value parses; a garbage value makes it STRING, keeping the dates as text', async () => {
      const sink = await make()
      await run(sink, pages('t', [{ id: 1, at: '2026-01-01T00:00:00Z' }], [{ id: 2, at: '2026-01-02T03:00:00+02:00' }]))
      expect(await types(sink)).toEqual({ id: 'INT', at: 'UTC_DATETIME' })
      await run(sink, pages('t', [{ id: 3, at: 'not a date' }]))
      expect(await types(sink)).toEqual({ id: 'INT', at: 'STRING' })
      expect((await rows(sink)).map((x) => x.at)).toEqual(['2026-01-01T00:00:00Z', '2026-01-02T01:00:00Z', 'not a date'])
    })

    it('date-only text into a declared NAIVE_DATE column stays a NAIVE_DATE', async () => {
      const sink = await make()
      const tables = [{ table: 't', primaryKey: ['id'], columns: { day: 'NAIVE_DATE' as const } }]
      await run(sink, pages('t', [{ id: 1, day: '2026-01-05' }], [{ id: 2, day: '2026-02-29' }]), { tables })
      expect(await types(sink)).toEqual({ id: 'INT', day: 'STRING' }) // 2026 is no leap year: 02-29 is not a date
      const sink2 = await make()
      await run(sink2, pages('t', [{ id: 1, day: '2026-01-05' }], [{ id: 2, day: '2028-02-29' }]), { tables })
      expect(await types(sink2)).toEqual({ id: 'INT', day: 'NAIVE_DATE' })
    })

    it('a column present only as NULL is not created until a value appears, unless declared', async () => {
      const sink = await make()
      await run(sink, pages('t', [{ id: 1, maybe: null }]))
      expect(await types(sink)).toEqual({ id: 'INT' })
      await run(sink, pages('t', [{ id: 2, maybe: null }], [{ id: 3, maybe: 7 }]))
      expect(await types(sink)).toEqual({ id: 'INT', maybe: 'INT' })
      expect((await rows(sink)).map((x) => x.maybe)).toEqual([null, null, 7])
      const declared = await make()
      await run(declared, pages('t', [{ id: 1, maybe: null }]), { tables: [{ table: 't', primaryKey: ['id'], columns: { maybe: 'DOUBLE' } }] })
      expect(await types(declared)).toEqual({ maybe: 'DOUBLE', id: 'INT' })
    })

    it('500 new columns at once are all added, before the row that carries them', async () => {
      const sink = await make()
      await run(sink, pages('t', [{ id: 1 }]))
      const wide: Row = { id: 2 }
      for (let c = 0; c < 500; c++) wide[`c${c}`] = c
      const r = await run(sink, pages('t', [wide]))
      expect(r.status).toBe('succeeded')
      expect(r.schemaChanges).toBe(500)
      expect(Object.keys(await types(sink))).toHaveLength(501)
      const [, second] = await rows(sink)
      expect(second).toMatchObject({ id: 2, c0: 0, c250: 250, c499: 499 })
    })

    it('names that collide after normalisation (Email, email) become two columns', async () => {
      const sink = await make()
      await run(sink, pages('t', [{ id: 1 }]))
      await run(sink, pages('t', [{ id: 2, Email: 'A@X', email: 'a@x' }]))
      const t = (await sink.describe!()).find((x) => x.table === 't')!
      expect(t.columns.map((c) => [c.source, c.name])).toEqual([['id', 'id'], ['Email', 'email'], ['email', 'email_2']])
      expect((await rows(sink))[1]).toEqual({ id: 2, email: 'A@X', email_2: 'a@x', _sluice_deleted: 0 })
    })

    it('report.schemaChanges, schemaChange events and history agree (no double count of drift messages)', async () => {
      const sink = await make()
      const events: unknown[] = []
      const r = await sync({
        destination: sink,
        source: source(pages('t', [{ id: 1, v: 1 }], [{ id: 2, v: 2.5, w: 'x' }]), T),
        stages: [schemaDrift()],
        on: { schemaChange: (e) => events.push(e.change) },
      })
      expect(r.schemaChanges).toBe(3) // create, add w, INT → DOUBLE
      expect(events).toHaveLength(3)
      expect(await sink.schemaHistory!()).toHaveLength(3)
    })

    describe('new tables', () => {
      const newTable = [...pages('t', [{ id: 1 }]), op.upsert('fresh', [{ k: 1 }, { k: 2 }]), op.truncate('fresh'), op.checkpoint({ fresh: 1 })]

      it('evolve: an undeclared table is created', async () => {
        const sink = await make()
        const r = await run(sink, newTable, { drift: { tables: 'evolve' } })
        expect(r.status).toBe('succeeded')
        expect(await rows(sink, 'fresh', 'k')).toHaveLength(2)
      })

      it('freeze: the sync fails with SCHEMA_FROZEN naming the table, keeping the last checkpoint', async () => {
        const sink = await make()
        const r = await run(sink, newTable, { drift: { tables: 'freeze' }, connectorId: 'frozen' })
        expect(r.status).toBe('failed')
        expect(r.error).toMatchObject({ code: 'SCHEMA_FROZEN', context: { table: 'fresh' } })
        expect(await rows(sink)).toHaveLength(1)
        let state: State | undefined
        await sync({ destination: sink, connectorId: 'frozen', source: { async *read(args) { state = args.state } } })
        expect(state).toEqual({ t: 1 })
      })

      for (const mode of ['discard_row', 'discard_value'] as const) {
        it(`${mode}: the table's rows are not written, and each dropped batch is recorded`, async () => {
          const sink = await make()
          const r = await run(sink, newTable, { drift: { tables: mode } })
          expect(r.status).toBe('succeeded')
          expect((await sink.describe!()).map((t) => t.table)).toEqual(['t'])
          expect(await sink.readErrors!()).toEqual([
            expect.objectContaining({ kind: 'schema', table: 'fresh', code: 'SCHEMA_DISCARDED', context: { reason: 'new_table', mode, op: 'upsert', rows: 2 } }),
          ])
        })
      }
    })

    describe('new columns', () => {
      const later = (sink: Sink, mode: SchemaDriftOptions['columns']) =>
        run(sink, pages('t', [{ id: 2, extra: 'x' }, { id: 3 }]), { drift: { columns: mode }, connectorId: 'cols' })

      it('evolve: the column is added', async () => {
        const sink = await make()
        await run(sink, pages('t', [{ id: 1 }]), { connectorId: 'cols' })
        expect((await later(sink, 'evolve')).status).toBe('succeeded')
        expect((await rows(sink)).map((r) => r.extra)).toEqual([null, 'x', null])
      })

      it('freeze: fails with SCHEMA_FROZEN naming table, column, types and the row key', async () => {
        const sink = await make()
        await run(sink, pages('t', [{ id: 1 }]), { connectorId: 'cols' })
        const r = await later(sink, 'freeze')
        expect(r.status).toBe('failed')
        expect(r.error).toMatchObject({ code: 'SCHEMA_FROZEN', context: { table: 't', column: 'extra', from: null, to: 'STRING', key: { id: 2 } } })
        expect(r.error?.message).toContain('extra')
        expect(await rows(sink)).toHaveLength(1)
      })

      it('discard_value: the row is written without the value; the value is recorded with the key', async () => {
        const sink = await make()
        await run(sink, pages('t', [{ id: 1 }]), { connectorId: 'cols' })
        expect((await later(sink, 'discard_value')).status).toBe('succeeded')
        expect(await types(sink)).toEqual({ id: 'INT' })
        expect((await rows(sink)).map((r) => r.id)).toEqual([1, 2, 3])
        expect(await sink.readErrors!()).toEqual([
          expect.objectContaining({ kind: 'value', table: 't', code: 'SCHEMA_DISCARDED', record: { id: 2, extra: 'x' }, context: expect.objectContaining({ reason: 'new_column', column: 'extra' }) }),
        ])
      })

      it('discard_row: the row carrying the new column is dropped and recorded whole', async () => {
        const sink = await make()
        await run(sink, pages('t', [{ id: 1 }]), { connectorId: 'cols' })
        expect((await later(sink, 'discard_row')).status).toBe('succeeded')
        expect((await rows(sink)).map((r) => r.id)).toEqual([1, 3])
        expect(await sink.readErrors!()).toEqual([
          expect.objectContaining({ kind: 'record', table: 't', code: 'SCHEMA_DISCARDED', record: { id: 2, extra: 'x' } }),
        ])
      })
    })

    describe('type changes', () => {
      const later = (sink: Sink, mode: SchemaDriftOptions['types']) =>
        run(sink, pages('t', [{ id: 2, n: 'lots' }, { id: 3, n: 4 }]), { drift: { types: mode }, connectorId: 'types' })
      const seed = (sink: Sink) => run(sink, pages('t', [{ id: 1, n: 1 }]), { connectorId: 'types' })

      it('evolve: the column widens (INT → STRING) keeping old values', async () => {
        const sink = await make()
        await seed(sink)
        expect((await later(sink, 'evolve')).status).toBe('succeeded')
        expect((await rows(sink)).map((r) => r.n)).toEqual(['1', 'lots', '4'])
      })

      it('freeze: fails with SCHEMA_FROZEN naming table, column, old and new type and the row key', async () => {
        const sink = await make()
        await seed(sink)
        const r = await later(sink, 'freeze')
        expect(r.status).toBe('failed')
        expect(r.error).toMatchObject({ code: 'SCHEMA_FROZEN', context: { table: 't', column: 'n', from: 'INT', to: 'STRING', key: { id: 2 }, row: 0 } })
        expect(await types(sink)).toEqual({ id: 'INT', n: 'INT' })
      })

      it('discard_value: the value becomes NULL, the rest are cast, and the value is recorded', async () => {
        const sink = await make()
        await seed(sink)
        expect((await later(sink, 'discard_value')).status).toBe('succeeded')
        expect((await rows(sink)).map((r) => r.n)).toEqual([1, null, 4])
        expect(await sink.readErrors!()).toEqual([
          expect.objectContaining({ kind: 'value', code: 'SCHEMA_DISCARDED', record: { id: 2, n: 'lots' }, context: expect.objectContaining({ reason: 'type_change', known: 'INT', incoming: 'STRING' }) }),
        ])
      })

      it('discard_row: the row is dropped and recorded whole', async () => {
        const sink = await make()
        await seed(sink)
        expect((await later(sink, 'discard_row')).status).toBe('succeeded')
        expect((await rows(sink)).map((r) => [r.id, r.n])).toEqual([[1, 1], [3, 4]])
        expect(await sink.readErrors!()).toEqual([expect.objectContaining({ kind: 'record', record: { id: 2, n: 'lots' } })])
      })
    })

    describe('presets', () => {
      const drifting = [...pages('t', [{ id: 2, n: 2.5, extra: 'x' }]), op.upsert('fresh', { k: 1 }), op.checkpoint({ fresh: 1 })]
      const seed = (sink: Sink) => run(sink, pages('t', [{ id: 1, n: 1 }]))
      const cases = [
        ['allowAll', ['fresh', 't'], { id: 'INT', n: 'DOUBLE', extra: 'STRING' }],
        ['allowColumns', ['t'], { id: 'INT', n: 'DOUBLE', extra: 'STRING' }],
        ['blockAll', ['t'], { id: 'INT', n: 'DOUBLE' }],
      ] as const
      for (const [preset, tables, columns] of cases) {
        it(`${preset}: tables ${tables.join(', ')}; columns ${Object.keys(columns).join(', ')}`, async () => {
          const sink = await make()
          await seed(sink)
          const r = await run(sink, drifting, { drift: { preset } })
          expect(r.status).toBe('succeeded')
          expect((await sink.describe!()).map((t) => t.table).sort()).toEqual([...tables])
          expect(await types(sink)).toEqual(columns)
        })
      }
    })
  })
}
