import { describe, expect, it } from 'vitest'
import { memory, type MemorySink, type PartitionPlan, type Row } from '../../../src/index.js'
import { postgresSource, type PostgresSourceOptions } from '../../../src/postgres.js'
import { runPartition, runPlan, syncOnce } from '../../support/partition-runs.js'
import { normRows } from '../../support/sources.js'
import { describeWithService, PG_URL, pgUnavailable, schemas } from './pg-service.js'

const unavailable = await pgUnavailable()
const fresh = schemas('sluice_pgpart')
const signal = new AbortController().signal
const C = 'shop'

/**
 * A shop: `orders` (int8 key, incremental on updated_at, some NULL cursors), `items` (int4 key,
 * full), `countries` (text key, full) and `events` (no key, full: ordered by ctid).
 */
async function shop(): Promise<string> {
  const schema = fresh.next()
  await fresh.pool.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}";
    CREATE TABLE orders (id int8 PRIMARY KEY, updated_at timestamptz, amount numeric(12,2) NOT NULL);
    INSERT INTO orders SELECT g, CASE WHEN g % 50 = 0 THEN NULL ELSE timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' END, g * 1.5 FROM generate_series(1, 600) g;
    CREATE TABLE items (id int4 PRIMARY KEY, name text NOT NULL);
    INSERT INTO items SELECT g * 3, 'item ' || g FROM generate_series(1, 200) g;
    CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
    INSERT INTO countries VALUES ('cz', 'Czechia'), ('fr', 'France'), ('jp', 'Japan');
    CREATE TABLE events (at int4 NOT NULL, what text);
    INSERT INTO events SELECT g, 'e' || g FROM generate_series(1, 40) g;
    RESET search_path`)
  return schema
}

const options = (schema: string, extra: Partial<PostgresSourceOptions> = {}): PostgresSourceOptions => ({
  connection: PG_URL, schema, batchSize: 25,
  tables: [{ table: 'orders', cursor: 'updated_at' }, 'items', 'countries', 'events'], ...extra,
})

const TABLES = ['orders', 'items', 'countries', 'events'] as const
const KEY: Record<string, string> = { orders: 'id', items: 'id', countries: 'code', events: 'at' }

function contents(sink: MemorySink): Record<string, Row[]> {
  return Object.fromEntries(TABLES.map((t) => [t, normRows(sink.rows(t), KEY[t])]))
}

const q = (sql: string) => fresh.pool.query(sql)

describeWithService('postgresSource partitions', 'PostgreSQL', unavailable, () => {
  it('splits integer-keyed tables into key ranges (the last unbounded), any other table is one partition; at most max; deterministic', async () => {
    const schema = await shop()
    const source = postgresSource(options(schema))
    const plan = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 8 }))!
    const byTable = (t: string) => plan.partitions.filter((p) => p.bounds.table === t)
    expect(plan.partitions.length).toBeLessThanOrEqual(8)
    expect(byTable('countries').map((p) => p.bounds)).toEqual([{ table: 'countries' }])
    expect(byTable('events').map((p) => p.bounds)).toEqual([{ table: 'events' }])
    // 6 partitions left for orders (key span 600) and items (span 598): one each, the other 4 by span (largest remainder).
    expect(byTable('orders').map((p) => [p.bounds.lo, p.bounds.hi])).toEqual([[null, '200'], ['200', '400'], [`400`, null]])
    expect(byTable('items').map((p) => [p.bounds.lo, p.bounds.hi])).toEqual([[null, '202'], ['202', '402'], ['402', null]])
    expect(byTable('orders')[0]!.label).toBe('orders id (−∞, 200]')
    expect(new Set(plan.partitions.map((p) => p.key)).size).toBe(plan.partitions.length)
    for (const p of plan.partitions) expect(p.key).toMatch(/^[A-Za-z0-9_.:-]{1,80}$/)
    // The round ends at the greatest (updated_at, id) of orders; full tables start over.
    expect(plan.complete).toEqual({ tables: { orders: { cursor: '2026-01-01 00:09:59+00', key: ['599'] } } })

    expect(await source.partitions!({ state: undefined, configuration: {}, signal, max: 8 })).toEqual(plan)
    for (const max of [4, 5, 16, 64]) {
      const p = (await source.partitions!({ state: undefined, configuration: {}, signal, max }))!
      expect(p.partitions.length).toBeLessThanOrEqual(max)
    }
    // Tables the sync's selection blocks are not planned (nor read by an ordinary sync).
    const selection = { table: (t: string) => t === 'orders' || t === 'countries', column: () => true }
    const narrowed = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 8, catalog: { tables: [], selection } }))!
    expect([...new Set(narrowed.partitions.map((p) => p.bounds.table))]).toEqual(['orders', 'countries'])
    expect(narrowed.partitions).toHaveLength(8)
    // More tables than partitions allowed: one ordinary sync instead.
    expect(await source.partitions!({ state: undefined, configuration: {}, signal, max: 3 })).toBeUndefined()
    // A range is never narrower than a page (batchSize keys): 4 tables, one partition each.
    const wide = await postgresSource(options(schema, { batchSize: 10_000 })).partitions!({ state: undefined, configuration: {}, signal, max: 64 })
    expect(wide!.partitions).toHaveLength(4)
  })

  it('lands the same rows as one ordinary sync; rows changed while the partitions run are read by the next sync', async () => {
    const schema = await shop()
    const one = memory()
    await syncOnce(postgresSource(options(schema)), one, C)

    const source = postgresSource(options(schema))
    const plan = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 12 }))!
    const sink = memory()
    await runPlan(source, plan, sink, C)
    expect(contents(sink)).toEqual(contents(one))

    // After the plan, before and between partitions: updates (also to a row a partition already read) and inserts.
    const schema2 = await shop()
    const source2 = postgresSource(options(schema2))
    const plan2 = (await source2.partitions!({ state: undefined, configuration: {}, signal, max: 12 }))!
    const sink2 = memory()
    const orders = plan2.partitions.filter((p) => p.bounds.table === 'orders')
    await q(`UPDATE "${schema2}".orders SET amount = -1, updated_at = timestamptz '2026-06-01 00:00:00+00' WHERE id IN (7, 450)`)
    await runPartition(source2, orders[0]!, sink2, C)
    await q(`UPDATE "${schema2}".orders SET amount = -2, updated_at = timestamptz '2026-06-02 00:00:00+00' WHERE id IN (8, 9)`)
    await q(`INSERT INTO "${schema2}".orders VALUES (601, timestamptz '2026-06-03 00:00:00+00', 1), (5000, timestamptz '2026-06-03 00:00:00+00', 2)`)
    await runPlan(source2, { ...plan2, partitions: plan2.partitions.filter((p) => p !== orders[0]) }, sink2, C)

    const next = await syncOnce(source2, sink2, C)
    expect(next.report.status).toBe('succeeded')
    // Incremental orders: exactly the rows changed since the plan, and the NULL-cursor rows every round reads.
    // (450 had a NULL cursor: 11 are left.)
    expect(next.report.tables.orders!.upserts).toBe(6 + 11)
    const truth = memory()
    await syncOnce(postgresSource(options(schema2)), truth, 'truth')
    expect(contents(sink2)).toEqual(contents(truth))
    expect(next.state).toEqual({ tables: { orders: { cursor: '2026-06-03 00:00:00+00', key: ['5000'] } } })
  })

  it('plans from the saved position of an incremental table: partitions read only rows past it (and NULL cursors)', async () => {
    const schema = await shop()
    const source = postgresSource(options(schema))
    const sink = memory()
    const first = await syncOnce(source, sink, C)
    await q(`UPDATE "${schema}".orders SET amount = 0, updated_at = timestamptz '2026-02-01 00:00:00+00' + id * interval '1 second' WHERE id % 10 = 3`)
    const plan = (await source.partitions!({ state: first.state, configuration: {}, signal, max: 8 }))!
    const reports = await runPlan(source, plan, sink, C)
    const ordersRead = reports.reduce((n, r) => n + (r.tables.orders?.upserts ?? 0), 0)
    expect(ordersRead).toBe(60 + 12)
    expect(plan.complete).toEqual({ tables: { orders: { cursor: '2026-02-01 00:09:53+00', key: ['593'] } } })
    const truth = memory()
    await syncOnce(postgresSource(options(schema)), truth, 'truth')
    expect(contents(sink)).toEqual(contents(truth))
  })

  it('with lookback, partitions re-read the overlap as an ordinary sync would', async () => {
    const schema = await shop()
    const source = postgresSource(options(schema, { tables: [{ table: 'orders', cursor: 'updated_at', lookback: '30s' }, 'items'] }))
    const sink = memory()
    const first = await syncOnce(source, sink, C)
    const plan = (await source.partitions!({ state: first.state, configuration: {}, signal, max: 8 }))!
    const reports = await runPlan(source, plan, sink, C)
    // cursor ≥ 00:09:59 − 30 s: ids 569…599 (31 rows) and the 12 NULL-cursor rows.
    expect(reports.reduce((n, r) => n + (r.tables.orders?.upserts ?? 0), 0)).toBe(31 + 12)
  })

  it('resumes an interrupted range partition from its own state without gaps or re-reading, and reads nothing once done', async () => {
    const schema = await shop()
    const source = postgresSource(options(schema, { batchSize: 10 }))
    const plan = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 6 }))!
    const part = plan.partitions.find((p) => p.bounds.table === 'orders')!
    const sink = memory()
    const stop = new AbortController()
    let seen = 0
    const stopped = await runPartition(source, part, sink, C, { signal: stop.signal, onCheckpoint: () => void (++seen === 3 && stop.abort()) })
    expect(stopped.report.status).toBe('stopped')
    const after = Number(stopped.state!.after)
    expect(after).toBeGreaterThanOrEqual(30)

    const resumed = await runPartition(source, part, sink, C)
    expect(resumed.report.status).toBe('succeeded')
    const hi = Number(part.bounds.hi)
    expect(resumed.report.rows).toBe(hi - after)
    expect(resumed.state).toEqual({ after: String(hi), done: true })
    expect(sink.rows('orders').map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: hi }, (_, i) => i + 1))

    const again = await runPartition(source, part, sink, C)
    expect(again.report.rows).toBe(0)

    // A whole-table partition (events: no key, ordered by ctid) resumes from its own keyset position.
    const whole = plan.partitions.find((p) => p.bounds.table === 'events')!
    const halt = new AbortController()
    let commits = 0
    const first = await runPartition(source, whole, sink, C, { signal: halt.signal, onCheckpoint: () => void (++commits === 2 && halt.abort()) })
    expect(first.report.status).toBe('stopped')
    const rest = await runPartition(source, whole, sink, C)
    expect(first.report.rows + rest.report.rows).toBe(40)
    expect(normRows(sink.rows('events'), 'at')).toHaveLength(40)
  })

  it('resolves undefined for a state in the middle of a round, and refuses bounds it cannot read', async () => {
    const schema = await shop()
    const source = postgresSource(options(schema))
    const midRound = { tables: { orders: { cursor: '2026-01-01 00:01:00+00', key: ['60'], round: 'rows' } } }
    expect(await source.partitions!({ state: midRound, configuration: {}, signal, max: 8 })).toBeUndefined()
    for (const bounds of [{}, { table: 'orders', column: 'id', lo: 'x' }, { table: 'orders', column: 'id', lo: '10', hi: '5' }, { table: 'orders', lo: '1' }]) {
      expect(() => source.partition!({ key: 'k', bounds: bounds as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    }
    await expect(source.partitions!({ state: undefined, configuration: {}, signal, max: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    // A partition declares the tables as the source does (a partition run registers no truncate of its own).
    const plan = (await source.partitions!({ state: undefined, configuration: {}, signal, max: 8 }))! satisfies PartitionPlan
    const specs = await source.partition!(plan.partitions[0]!).tables!({ configuration: {} })
    const declared = await source.tables!({ configuration: {} })
    expect(specs.map((s) => [s.table, s.mode])).toEqual(declared.map((s) => [s.table, s.mode]))
  })
})

describe('postgresSource partitions without a server', () => {
  it('has no partitions in replication (CDC) mode', () => {
    const source = postgresSource({ connection: PG_URL, tables: ['orders'], replication: 'logical' })
    expect(source.partitions).toBeUndefined()
  })
})
