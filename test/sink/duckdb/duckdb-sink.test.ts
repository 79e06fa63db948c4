import { DuckDBInstance } from '@duckdb/node-api'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { duckdb } from '../../../src/duckdb.js'
import { duckdbWarehouseCounts } from '../../../src/sink/duckdb/duckdb-warehouse-counts.js'
import { op, sync, type Message, type Row, type State } from '../../../src/index.js'
import { loadDuckDb } from '../../../src/sink/duckdb/load-duckdb.js'
import { flatten } from '../../../src/stage/flatten.js'
import { normRows, page, scripted } from '../../support/sources.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-duckdb-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
// The shared suites (write modes, drift, child tables, MAR, connector store, …) run over duckdb in test/sink/matrix/.

async function query(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  const connection = await instance.connect()
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

const ALL_TYPES = {
  flag: 'BOOLEAN', small: 'SHORT', num: 'INT', big: 'LONG', price: 'DECIMAL(38,10)', ratio: 'FLOAT', real: 'DOUBLE',
  day: 'NAIVE_DATE', local: 'NAIVE_DATETIME', at: 'UTC_DATETIME', bytes: 'BINARY', text: 'STRING', doc: 'JSON',
} as const

/** Row `i` of a table exercising every type, with NULLs, empty values, short (inline) and long strings. */
function typedRow(i: number, version = 0): Row {
  if (i % 7 === 3) return { id: i } // every other column NULL
  return {
    id: i,
    flag: i % 2 === 0,
    small: (i % 600) - 300,
    num: i * 1000 + version,
    big: 2n ** 62n + BigInt(i),
    price: `${i + 1}${'0'.repeat(20)}.${String(i).padStart(10, '0')}`,
    ratio: 0.5 + (i % 8),
    real: i / 3,
    day: i % 2 ? '1969-07-20' : '2026-02-28',
    local: `2026-11-22T10:11:12.${String((i * 7919) % 1_000_000).padStart(6, '0')}`,
    at: `1999-12-31T23:59:59.${String((i * 104729) % 1_000_000).padStart(6, '0')}Z`,
    bytes: i % 5 === 0 ? new Uint8Array(0) : new Uint8Array([0, i % 256, 255, ...(i % 3 ? new Array(20).fill(7) : [])]),
    text: i % 5 === 0 ? '' : i % 3 ? `short ${i % 10}` : `a longer string with ünïcödé and 🐎 number ${i} v${version}`,
    doc: { i, list: [1, { x: null }], s: 'q"uote' },
  }
}

/** What `read()` returns for a typed row: LONG beyond 2^53 stays a bigint, FLOAT is the float's double, ISO text keeps its digits. */
function expectedRow(row: Row): Row {
  const out: Row = { id: row.id }
  for (const [k, type] of Object.entries(ALL_TYPES)) {
    const v = row[k]
    if (v === undefined || v === null) out[k] = null
    else if (type === 'FLOAT') out[k] = Math.fround(v as number)
    else if (type === 'LOCAL' as string) out[k] = v
    else out[k] = v
  }
  if (typeof out.local === 'string') out.local = (out.local as string).replace(/\.?0+$/, '')
  if (typeof out.at === 'string') out.at = (out.at as string).replace(/\.?0+Z$/, 'Z')
  return out
}

function typedSource(rows: Row[], state: Record<string, number>) {
  return {
    id: 'typed',
    tables: () => [{ table: 'typed', primaryKey: ['id'], columns: { id: 'INT' as const, ...ALL_TYPES } }],
    async *read() {
      yield op.upsert('typed', rows).withTypes({ id: 'INT', ...ALL_TYPES })
      yield op.checkpoint(state)
    },
  }
}

describe('duckdb sink', () => {
  it('round-trips every column type through native DuckDB types, across 2048-row chunks, new keys and then conflicting ones', async () => {
    const path = join(dir, 'types.duckdb')
    const rows = Array.from({ length: 3000 }, (_, i) => typedRow(i))
    expect((await sync({ source: typedSource(rows, { v: 0 }), destination: duckdb({ path }) })).status).toBe('succeeded')
    const sink = duckdb({ path })
    // Sorted by key: DuckDB's parallel INSERT … SELECT does not keep the staging order.
    const strip = (r: Row[]) => r.map(({ _sluice_synced, _sluice_deleted, ...rest }) => rest).sort((a, b) => (a.id as number) - (b.id as number))
    expect(strip(await sink.read!({ table: 'typed' }))).toEqual(rows.map(expectedRow))

    // The same keys again, changed: the conflict path (staging + ON CONFLICT) must give the same values.
    const again = Array.from({ length: 3000 }, (_, i) => typedRow(i, 1))
    expect((await sync({ source: typedSource(again, { v: 1 }), destination: sink })).status).toBe('succeeded')
    expect(strip(await sink.read!({ table: 'typed' }))).toEqual(again.map(expectedRow))

    const types = await query(path, `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'typed' ORDER BY column_index`)
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.data_type]))).toEqual({
      id: 'INTEGER', flag: 'BOOLEAN', small: 'SMALLINT', num: 'INTEGER', big: 'BIGINT', price: 'DECIMAL(38,10)', ratio: 'FLOAT', real: 'DOUBLE',
      day: 'DATE', local: 'TIMESTAMP', at: 'TIMESTAMP WITH TIME ZONE', bytes: 'BLOB', text: 'VARCHAR', doc: 'JSON',
      _sluice_synced: 'TIMESTAMP WITH TIME ZONE', _sluice_deleted: 'BOOLEAN',
    })
    // Values are typed data DuckDB can compute with, not text.
    expect(await query(path, `SELECT sum(price)::VARCHAR AS s, min(day)::VARCHAR AS d, max(doc->>'$.s') AS j FROM typed`)).toEqual([
      { s: expect.stringMatching(/^\d+\.\d{10}$/), d: '1969-07-20', j: 'q"uote' },
    ])
  })

  it('keeps timestamps far from 1970 exact (beyond 2^53 µs): 0001-01-01 and 9999-12-31T23:59:59.999999', async () => {
    const sink = duckdb({ path: join(dir, 'far.duckdb') })
    const at = ['0001-01-01T00:00:00.000001Z', '9999-12-31T23:59:59.999999Z', '2026-11-22T10:11:12.5Z']
    // (Naive values stay within the core's exact range: a NAIVE_DATETIME batch value is normalised through a double.)
    const local = ['0001-01-01T00:00:00', '9999-12-31T23:59:59', '2026-11-22T10:11:12.5']
    const rows = Array.from({ length: 1500 }, (_, i) => ({ id: i, at: at[i % 3]!, local: local[i % 3]! }))
    const columns = { id: 'INT', at: 'UTC_DATETIME', local: 'NAIVE_DATETIME' } as const
    const r = await sync({ destination: sink, source: { tables: () => [{ table: 'far', primaryKey: ['id'], columns }], async *read() { yield op.upsert('far', rows).withTypes(columns); yield op.checkpoint({}) } } })
    expect(r.error).toBeUndefined()
    const got = (await sink.read!({ table: 'far' })).slice(0, 3).map((x) => [x.at, x.local])
    expect(got).toEqual(at.map((a, i) => [a, local[i]]))
  })

  it('the last row wins when one batch holds a key twice, on the direct path (≥1024 rows) and the merge path', async () => {
    const path = join(dir, 'dupes.duckdb')
    const big = Array.from({ length: 2000 }, (_, i) => ({ id: i % 1500, v: `v${i}` }))
    const sink = duckdb({ path })
    await sync({ destination: sink, source: scripted([op.upsert('d', big), op.checkpoint({ n: 1 }), op.upsert('d', [{ id: 1, v: 'a' }, { id: 1, v: 'b' }]), op.checkpoint({ n: 2 })]) })
    const rows = await sink.read!({ table: 'd' })
    expect(rows).toHaveLength(1500)
    const byKey = new Map(rows.map((r) => [r.id, r.v]))
    expect(byKey.get(0)).toBe('v1500')
    expect(byKey.get(1499)).toBe('v1499')
    expect(byKey.get(1)).toBe('b')
  })

  it('widens a column losslessly (INT → DOUBLE → STRING) rewriting stored values as fresh writes, and records the history', async () => {
    const path = join(dir, 'widen.duckdb')
    const sink = duckdb({ path })
    const r = await sync({
      destination: sink,
      source: scripted([
        ...page('w', [{ id: 1, v: 7, flag: true, at: '2026-01-01T00:00:00.5Z' }], { n: 1 }),
        ...page('w', [{ id: 2, v: 0.25, flag: 'yes', at: 'later' }], { n: 2 }),
        ...page('w', [{ id: 3, v: 'text' }], { n: 3 }),
      ]),
    })
    expect(r.error).toBeUndefined()
    expect(normRows(await sink.read!({ table: 'w' }), 'id')).toEqual([
      { id: 1, v: '7', flag: 'true', at: '2026-01-01T00:00:00.5Z', _sluice_deleted: 0 },
      { id: 2, v: '0.25', flag: 'yes', at: 'later', _sluice_deleted: 0 },
      { id: 3, v: 'text', flag: null, at: null, _sluice_deleted: 0 },
    ])
    const history = await sink.schemaHistory!()
    expect(history.map((h) => [h.change, h.column, h.oldType, h.newType])).toEqual([
      ['create_table', null, null, null],
      ['change_type', 'v', 'INT', 'DOUBLE'],
      ['change_type', 'flag', 'BOOLEAN', 'STRING'],
      ['change_type', 'at', 'UTC_DATETIME', 'STRING'],
      ['change_type', 'v', 'DOUBLE', 'STRING'],
    ])
    expect(history.every((h) => h.connectorId === 'scripted' && /Z$/.test(h.at))).toBe(true)
  })

  it('refuses to widen a LONG beyond 2^53 to DOUBLE, and a key column, failing the sync and keeping committed rows', async () => {
    const sink = duckdb({ path: join(dir, 'narrow.duckdb') })
    const lossy = await sync({ destination: sink, source: scripted([...page('l', [{ id: 1, v: 2n ** 60n + 1n }], { n: 1 }), op.upsert('l', [{ id: 2, v: 0.5 }])]) })
    expect(lossy.status).toBe('failed')
    expect(lossy.error).toMatchObject({ code: 'DESTINATION_WRITE', message: expect.stringContaining("can't be widened") })
    expect((await sink.read!({ table: 'l' })).map((r) => r.v)).toEqual([2n ** 60n + 1n])
    const key = await sync({ destination: sink, source: scripted([...page('k', [{ id: 1 }], { n: 1 }), op.upsert('k', [{ id: 'x' }])]) })
    expect(key.error).toMatchObject({ code: 'DESTINATION_WRITE', message: expect.stringContaining('primary key column id') })
  })

  it('keyless and append tables take bulk batches straight into the table; deletes soft-delete by hash or key', async () => {
    const path = join(dir, 'bulk.duckdb')
    const rows = Array.from({ length: 2500 }, (_, i) => ({ a: i % 2000, b: 'x' }))
    const sink = duckdb({ path })
    await sync({
      destination: sink,
      source: {
        tables: () => [{ table: 'events', mode: 'append' as const, primaryKey: ['a'] }],
        async *read() {
          yield op.upsert('keyless', rows)
          yield op.upsert('events', rows)
          yield op.checkpoint({ n: 1 })
          yield op.delete('keyless', [{ a: 5, b: 'x' }])
          yield op.delete('events', [{ a: 6 }])
          yield op.checkpoint({ n: 2 })
        },
      },
    })
    const keyless = await sink.read!({ table: 'keyless' })
    expect(keyless).toHaveLength(2000)
    expect(keyless.filter((r) => r._sluice_deleted).map((r) => r.a)).toEqual([5])
    const events = await sink.read!({ table: 'events' })
    expect(events).toHaveLength(2500)
    expect(events.filter((r) => r._sluice_deleted).map((r) => r.a)).toEqual([6, 6]) // both rows with key 6 (i = 6 and 2006)
  })

  it('reports tables, counts and state like the other SQL sinks; reset removes the state', async () => {
    const path = join(dir, 'meta.duckdb')
    const sink = duckdb({ path })
    expect(await sink.read!({ table: 'x' })).toEqual([])
    expect(existsSync(path)).toBe(false) // reading never creates a database
    await sync({ destination: sink, connectorId: 'c', source: scripted([...page('Order Lines', [{ id: 1 }, { id: 2 }], { n: 1 }), op.delete('Order Lines', { id: 2 }), op.checkpoint({ n: 2 })]) })
    expect(await sink.describe!()).toEqual([{ table: 'Order Lines', name: 'order_lines', primaryKey: ['id'], mode: 'upsert', columns: [{ source: 'id', name: 'id', type: 'INT' }] }])
    expect(await duckdbWarehouseCounts(path, await sink.describe!())).toEqual({ 'Order Lines': { rows: 2, deleted: 1 } })
    expect(await query(path, `SELECT status, "rows" FROM _sluice_syncs`)).toEqual([{ status: 'succeeded', rows: '3' }])
    await sink.resetState!({ connectorId: 'c' })
    let seen: State | undefined = { not: 'read' }
    await sync({ destination: sink, connectorId: 'c', source: { async *read({ state }) { seen = state } } })
    expect(seen).toBeUndefined()
  })

  it('child tables from flatten() land keyed as their create_table message says; a re-sync updates them in place', async () => {
    const sink = duckdb({ path: join(dir, 'flatten.duckdb') })
    const run = (tags: string[]) =>
      sync({ destination: sink, source: scripted([op.upsert('users', { id: 1, tags }), op.checkpoint({})], { tables: [{ table: 'users', primaryKey: ['id'] }] }), stages: [flatten({ arrays: 'table' })] })
    expect((await run(['a', 'b'])).status).toBe('succeeded')
    expect((await run(['c', 'b'])).status).toBe('succeeded')
    const child = (await sink.describe!()).find((t) => t.table === 'users__tags')!
    expect(child.primaryKey).toEqual(['_sluice_parent_id', '_sluice_index'])
    const names = new Map(child.columns.map((c) => [c.source, c.name]))
    const rows = normRows(await sink.read!({ table: 'users__tags' })).map((r) => [r[names.get('_sluice_parent_id')!], r[names.get('_sluice_index')!], r.value])
    expect(rows.sort()).toEqual([[1, 0, 'c'], [1, 1, 'b']])
  })

  it('history mode keeps SCD2 versions: a change closes the active version, a replay adds none, a delete closes it', async () => {
    const sink = duckdb({ path: join(dir, 'history.duckdb') })
    const tables = [{ table: 'h', primaryKey: ['id'], mode: 'history' as const }]
    const run = (messages: Message[]) => sync({ destination: sink, source: scripted(messages, { tables }) })
    expect((await run([op.upsert('h', [{ id: 1, v: 'a', w: 1 }, { id: 2, v: 'x', w: 1 }]), op.checkpoint({ n: 1 })])).status).toBe('succeeded')
    // id 1 changes, id 2 is replayed unchanged; then a partial update and a delete in later batches of the same transaction.
    const second = await run([op.upsert('h', [{ id: 1, v: 'b', w: 1 }, { id: 2, v: 'x', w: 1 }]), op.update('h', [{ id: 1, w: 2 }]), op.delete('h', [{ id: 2 }]), op.checkpoint({ n: 2 })])
    expect(second.error).toBeUndefined()
    await run([op.upsert('h', [{ id: 2, v: 'back', w: 3 }]), op.checkpoint({ n: 3 })])
    const rows = await sink.read!({ table: 'h' })
    expect(rows.map((r) => [r.id, r.v, r.w, r._sluice_active, r._sluice_deleted])).toEqual([
      [1, 'a', 1, false, false],
      [1, 'b', 1, false, false],
      [1, 'b', 2, true, false],
      [2, 'x', 1, false, true],
      [2, 'back', 3, true, false],
    ])
    // Versions of a key tile time: each closed version ends 1 ms before the next one starts; the active one ends at 9999-12-31.
    const ones = rows.filter((r) => r.id === 1)
    for (let k = 0; k + 1 < ones.length; k++) expect(Date.parse(ones[k]!._sluice_end as string)).toBe(Date.parse(ones[k + 1]!._sluice_start as string) - 1)
    expect(ones.at(-1)!._sluice_end).toBe('9999-12-31T23:59:59.999Z')
  })

  it('history mode: a truncate closes the active versions written before it once the sync succeeds', async () => {
    const sink = duckdb({ path: join(dir, 'history-truncate.duckdb') })
    const tables = [{ table: 'h', primaryKey: ['id'], mode: 'history' as const }]
    await sync({ destination: sink, source: scripted([op.upsert('h', [{ id: 1, v: 'a' }, { id: 2, v: 'b' }]), op.checkpoint({})], { tables }) })
    await sync({ destination: sink, source: scripted([op.truncate('h'), op.upsert('h', [{ id: 2, v: 'b' }]), op.checkpoint({})], { tables }) })
    expect((await sink.read!({ table: 'h' })).map((r) => [r.id, r.v, r._sluice_active, r._sluice_deleted])).toEqual([
      [1, 'a', false, true],
      [2, 'b', true, false],
    ])
  })

  it('refuses bad options when built and a missing directory when opened', async () => {
    expect(() => duckdb({ path: '' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('path') }))
    const r = await sync({ destination: duckdb({ path: join(dir, 'no', 'such', 'dir', 'w.duckdb') }), source: scripted(page('t', [{ id: 1 }], {})) })
    expect(r.error).toMatchObject({ code: 'DESTINATION_UNAVAILABLE', message: expect.stringContaining('does not exist') })
  })

  it('says which package to install when @duckdb/node-api is missing', async () => {
    await expect(loadDuckDb('@duckdb/not-installed-anywhere')).rejects.toMatchObject({
      code: 'DESTINATION_UNAVAILABLE',
      message: expect.stringContaining('npm install @duckdb/not-installed-anywhere'),
    })
  })

  it('a second writer on the same file fails with DESTINATION_UNAVAILABLE while the first holds it', async () => {
    const path = join(dir, 'locked.duckdb')
    const first = duckdb({ path })
    await first.open({ connectorId: 'a', syncId: 's1', tables: [] })
    try {
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
        import('${join(process.cwd(), 'src/duckdb.ts')}').then(async ({ duckdb }) => {
          try { await duckdb({ path: ${JSON.stringify(path)} }).open({ connectorId: 'b', syncId: 's2', tables: [] }); console.log('opened') }
          catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }
        })`], { encoding: 'utf8' })
      const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { code: string; message: string }
      expect(out).toMatchObject({ code: 'DESTINATION_UNAVAILABLE', message: expect.stringContaining('another process') })
    } finally {
      await first.close({ status: 'succeeded', report: { status: 'succeeded', connectorId: 'a', syncId: 's1', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), durationMs: 0, rows: 0, checkpoints: 0, schemaChanges: 0, tables: {} } })
    }
  })
})

describe('duckdb sink: schema changes after updates in one transaction', () => {
  // DuckDB can't commit an ALTER of a table updated earlier in the same transaction; the run replays the transaction with its DDL first.
  const messages = (after: Message[] = []) => [
    ...page('r', [{ id: 1, v: 1 }], { n: 1 }),
    op.upsert('r', [{ id: 1, v: 2 }]), // updates a committed row (ON CONFLICT DO UPDATE)
    op.upsert('log', [{ seq: 1 }]),
    op.delete('r', { id: 1 }),
    op.upsert('r', [{ id: 2, v: 'text', extra: true }]), // widens v and adds a column: needs ALTER TABLE r
    ...after,
  ]

  it('replays the transaction with the schema changes first: one commit, no duplicates, history in order', async () => {
    const sink = duckdb({ path: join(dir, 'replay.duckdb') })
    const report = await sync({ destination: sink, source: scripted([...messages(), op.checkpoint({ n: 2 })], { tables: [{ table: 'r', primaryKey: ['id'] }, { table: 'log', mode: 'append' }] }) })
    expect(report.error).toBeUndefined()
    expect(report.schemaChanges).toBe(4) // create r, create log, change v, add extra
    expect(normRows(await sink.read!({ table: 'r' }), 'id')).toEqual([
      { id: 1, v: '2', extra: null, _sluice_deleted: 1 },
      { id: 2, v: 'text', extra: 1, _sluice_deleted: 0 },
    ])
    expect((await sink.read!({ table: 'log' })).map((r) => r.seq)).toEqual([1])
    expect((await sink.schemaHistory!()).map((h) => [h.table, h.change, h.column])).toEqual([
      ['r', 'create_table', null], ['log', 'create_table', null], ['r', 'change_type', 'v'], ['r', 'add_column', 'extra'],
    ])
  })

  it('a sync that fails after the replay still rolls back to the last checkpoint', async () => {
    const sink = duckdb({ path: join(dir, 'replay-fail.duckdb') })
    const report = await sync({ destination: sink, source: scripted(messages(), { failWith: new Error('after the replay'), tables: [{ table: 'r', primaryKey: ['id'] }, { table: 'log', mode: 'append' }] }) })
    expect(report.status).toBe('failed')
    expect(normRows(await sink.read!({ table: 'r' }))).toEqual([{ id: 1, v: 1, _sluice_deleted: 0 }])
    expect(await sink.read!({ table: 'log' })).toEqual([])
    expect((await sink.describe!()).find((t) => t.table === 'r')?.columns.map((c) => c.type)).toEqual(['INT', 'INT'])
  })

  it('asks for more frequent checkpoints when too many rows were written since the last one to replay them', async () => {
    const sink = duckdb({ path: join(dir, 'replay-big.duckdb') })
    const many = Array.from({ length: 260_000 }, (_, i) => ({ seq: i }))
    const report = await sync({
      destination: sink,
      source: scripted([...page('r', [{ id: 1, v: 1 }], { n: 1 }), op.upsert('r', [{ id: 1, v: 2 }]), op.upsert('log', many), op.upsert('r', [{ id: 2, extra: 'x' }]), op.checkpoint({ n: 2 })], {
        tables: [{ table: 'r', primaryKey: ['id'] }, { table: 'log', mode: 'append' }],
      }),
    })
    expect(report.error).toMatchObject({ code: 'DESTINATION_WRITE', message: expect.stringContaining('emit checkpoints more often') })
    expect(normRows(await sink.read!({ table: 'r' }))).toEqual([{ id: 1, v: 1, _sluice_deleted: 0 }])
  })
})
