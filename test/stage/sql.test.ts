import { describe, expect, it } from 'vitest'
import { memory, op, sql, sync, transform, SluiceError, type Batch } from '../../src/index.js'
import { scripted } from '../support/sources.js'

const live = (rows: readonly Record<string, unknown>[]) => rows.filter((r) => r._sluice_deleted !== true && r._sluice_deleted !== 1)
const strip = (rows: readonly Record<string, unknown>[]) => rows.map(({ _sluice_synced, _sluice_deleted, ...rest }) => rest)
const keyless = (rows: readonly Record<string, unknown>[]) => strip(rows).map(({ _sluice_id, ...rest }) => rest)

describe('sql', () => {
  it('projects, filters and computes over each batch; source columns keep their types, other tables pass through', async () => {
    const sink = memory()
    let seen: Batch | undefined
    const orders = op.upsert('orders', [
      { id: 1, net: 10, vat: 0.2, day: '2026-01-01', note: 'a', big: 9007199254740993n, paid: true, data: { k: [1, 2] } },
      { id: 2, net: 0, vat: 0.2, day: '2026-01-02', note: 'b', big: 1n, paid: false, data: null },
    ]).withTypes({ day: 'NAIVE_DATE', big: 'LONG' })
    const before = orders.batch.toRows()
    const r = await sync({
      destination: sink,
      source: scripted([orders, op.upsert('users', [{ id: 7, name: 'x' }]), op.checkpoint({})]),
      stages: [
        sql({ table: 'orders', query: "SELECT id, day, big, paid, data, net * (1 + vat) AS gross, upper(note) || '!' AS shout FROM {{ source }} WHERE net > 0" }),
        transform({ batch: (b, info) => (info.table === 'orders' && (seen = b), b) }),
      ],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(strip(sink.rows('orders'))).toEqual([{ id: 1, day: '2026-01-01', big: 9007199254740993n, paid: true, data: { k: [1, 2] }, gross: 12, shout: 'A!' }])
    expect(seen?.types).toEqual({ id: 'INT', day: 'NAIVE_DATE', big: 'LONG', paid: 'BOOLEAN', data: 'JSON', gross: 'DOUBLE', shout: 'STRING' })
    expect(strip(sink.rows('users'))).toEqual([{ id: 7, name: 'x' }])
    expect(orders.batch.toRows()).toEqual(before)
  })

  it('refuses a query that drops a key column, naming it: before any message for a declared table, at the first batch otherwise', async () => {
    let read = 0
    const declared = await sync({
      destination: memory(),
      source: {
        id: 's',
        tables: () => [{ table: 'orders', primaryKey: ['id', 'line'], columns: { id: 'INT', line: 'INT', net: 'DOUBLE' } }],
        async *read() {
          read++
          yield op.upsert('orders', [{ id: 1, line: 1, net: 2 }])
        },
      },
      stages: [sql({ table: 'orders', query: 'SELECT id, net FROM {{ source }}' })],
    })
    expect(declared.status).toBe('failed')
    expect(declared.error?.code).toBe('CONFIG_INVALID')
    expect(declared.error?.message).toContain('primary key column line')
    expect(read).toBe(0)

    const sink = memory()
    const first = await sync({
      destination: sink,
      source: scripted([op.upsert('orders', [{ id: 1, net: 2 }]), op.checkpoint({})]),
      stages: [sql({ table: 'orders', query: 'SELECT net AS amount FROM {{ source }}' })],
    })
    expect(first.status).toBe('failed')
    expect(first.error?.code).toBe('CONFIG_INVALID')
    expect(first.error?.message).toContain('primary key column id')
    expect(sink.rows('orders')).toEqual([])
  })

  it('runs updates through the query and passes deletes (keys only) through untouched', async () => {
    const sink = memory()
    const del = op.delete('orders', [{ id: 2 }])
    let deleteSeen: unknown
    const r = await sync({
      destination: sink,
      source: scripted([
        op.upsert('orders', [{ id: 1, net: 10, note: 'a' }, { id: 2, net: 5, note: 'b' }]),
        op.update('orders', [{ id: 1, net: 20 }]),
        del,
        op.checkpoint({}),
      ]),
      stages: [
        sql({ table: 'orders', query: 'SELECT id, net * 2 AS double_net FROM {{ source }}' }),
        async function* (messages) {
          for await (const m of messages) {
            if (m.kind === 'records' && m.op === 'delete') deleteSeen = m
            yield m
          }
        },
      ],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(deleteSeen).toBe(del)
    expect(strip(live(sink.rows('orders')))).toEqual([{ id: 1, double_net: 40 }])
  })

  it('a query error is STAGE_FAILED with the engine message and the table', async () => {
    const r = await sync({
      destination: memory(),
      source: scripted([op.upsert('orders', [{ id: 1, net: 10 }]), op.checkpoint({})]),
      stages: [sql({ table: 'orders', query: 'SELECT id, nope FROM {{ source }}' })],
    })
    expect(r.status).toBe('failed')
    expect(r.error?.code).toBe('STAGE_FAILED')
    expect(r.error?.message).toContain('table orders')
    expect(r.error?.message).toContain('no such column: nope')
  })

  it('binary, nulls and an empty result', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      source: scripted([
        op.upsert('files', [{ id: 1, body: new Uint8Array([1, 2, 3]), tag: null }, { id: 2, body: null, tag: 'x' }]),
        op.upsert('files', [{ id: 3, body: null, tag: 'skip' }]),
        op.checkpoint({}),
      ]),
      stages: [sql({ table: 'files', query: "SELECT id, body, length(body) AS size, tag FROM {{ source }} WHERE coalesce(tag, '') <> 'skip'" })],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    const rows = strip(sink.rows('files'))
    expect(rows.map((x) => x.id)).toEqual([1, 2])
    expect([...(rows[0]!.body as Uint8Array)]).toEqual([1, 2, 3])
    expect(rows[0]!.size).toBe(3)
    expect(rows[0]!.tag).toBeNull()
    expect(rows[1]!.body).toBeNull()
  })

  it('integer columns are INTEGERs in SQLite (integer division), doubles REALs, text that looks numeric stays text', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      source: scripted([op.upsert('t', [{ id: 7, x: 2.0, code: '0012' }]).withTypes({ x: 'DOUBLE' }), op.checkpoint({})]),
      stages: [sql({ table: 't', query: "SELECT id, id / 2 AS half, typeof(x) AS xt, x / 4 AS q, code || '' AS code FROM {{ source }}" })],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(strip(sink.rows('t'))).toEqual([{ id: 7, half: 3, xt: 'real', q: 0.5, code: '0012' }])
  })

  it('refuses bad options with CONFIG_INVALID naming them', () => {
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return [(e as SluiceError).code, (e as Error).message]
      }
      return undefined
    }
    expect(code(() => sql({ table: 'orders', query: 'SELECT 1' }))).toEqual(['CONFIG_INVALID', expect.stringContaining('query')])
    expect(code(() => sql({ table: '', query: 'SELECT * FROM {{ source }}' }))).toEqual(['CONFIG_INVALID', expect.stringContaining('table')])
    expect(code(() => sql({ table: 't', query: 'SELECT * FROM {{source}}', engine: 'duckdb' } as never))?.[0]).toBe('CONFIG_INVALID')
  })

  it('a query that returns no rows, a statement that is not a SELECT, and duplicate names are refused', async () => {
    const r = await sync({
      destination: memory(),
      source: scripted([op.upsert('orders', [{ id: 1, net: 10 }]), op.checkpoint({})]),
      stages: [sql({ table: 'orders', query: 'SELECT id, net, net AS id FROM {{ source }}' })],
    })
    expect(r.status).toBe('failed')
    expect(r.error?.code).toBe('CONFIG_INVALID')
    expect(r.error?.message).toContain('column id twice')
    const d = await sync({
      destination: memory(),
      source: scripted([op.upsert('orders', [{ id: 1, net: 10 }]), op.checkpoint({})]),
      stages: [sql({ table: 'orders', query: 'DELETE FROM {{ source }}' })],
    })
    expect(d.error?.code).toBe('CONFIG_INVALID')
  })

  it('many rows (more than one multi-row insert) keep their order and values', async () => {
    const sink = memory()
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, v: i * 3 }))
    const r = await sync({
      destination: sink,
      source: scripted([op.upsert('t', rows), op.checkpoint({})]),
      stages: [sql({ table: 't', query: 'SELECT id, v + 1 AS w FROM {{ source }}' })],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(strip(sink.rows('t'))).toEqual(rows.map((x) => ({ id: x.id, w: x.v + 1 })))
  })

  it('a column the query only passes through comes back exact (carried by row index); DISTINCT still compares values', async () => {
    const sink = memory()
    const rows = [
      { id: 1, name: 'Ada', meta: { n: 12345678901234567890n }, n: 1 },
      { id: 2, name: null, meta: null, n: 2 },
      { id: 3, name: 'Ada', meta: [1], n: 3 },
    ]
    let kept: Batch | undefined
    const r = await sync({
      destination: sink,
      source: scripted([op.upsert('people', rows), op.checkpoint({})]),
      stages: [
        sql({ table: 'people', query: 'SELECT id AS id, name AS who, meta FROM {{ source }} WHERE n > 1 LIMIT 5' }),
        transform({ batch: (b) => ((kept = b), b) }),
      ],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(strip(sink.rows('people'))).toEqual([{ id: 2, who: null, meta: null }, { id: 3, who: 'Ada', meta: [1] }])
    expect(kept?.types).toEqual({ id: 'INT', who: 'STRING', meta: 'JSON' })

    const distinct = memory()
    const d = await sync({
      destination: distinct,
      source: scripted([op.upsert('people', rows), op.checkpoint({})], { tables: [{ table: 'people' }] }),
      stages: [sql({ table: 'people', query: 'SELECT DISTINCT name FROM {{ source }}' })],
    })
    expect(d.status, d.error?.message).toBe('succeeded')
    expect(strip(distinct.rows('people')).map((x) => x.name).sort()).toEqual(['Ada', null])
  })

  it('a single scan of the batch returns only what it computes; filters, subqueries, joins and nondeterministic filters still pair every value with its row', async () => {
    const rows = Array.from({ length: 700 }, (_, i) => ({ ref: `r${i}`, k: i, v: i * 10, note: i % 3 === 0 ? null : `n${i}` }))
    const run = async (query: string) => {
      const sink = memory()
      const r = await sync({ destination: sink, source: scripted([op.upsert('t', rows), op.checkpoint({})], { tables: [{ table: 't' }] }), stages: [sql({ table: 't', query })] })
      expect(r.status, r.error?.message).toBe('succeeded')
      return keyless(sink.rows('t'))
    }
    // Every row kept (the batch goes on as it is), with two computed columns, a trailing comment and semicolon, an alias.
    expect(await run('SELECT ref, note, v * 2 AS w, v + 1 AS x FROM {{ source }} AS s; -- the end')).toEqual(rows.map((r) => ({ ref: r.ref, note: r.note, w: r.v * 2, x: r.v + 1 })))
    // Filtered: the rows kept, each with its own values.
    expect(await run('SELECT ref, note, v * 2 AS w FROM {{ source }} WHERE k % 7 = 3')).toEqual(rows.filter((r) => r.k % 7 === 3).map((r) => ({ ref: r.ref, note: r.note, w: r.v * 2 })))
    // Only carried columns, no column bound (the row numbers alone), all rows and then some.
    expect(await run('SELECT ref FROM {{ source }}')).toEqual(rows.map((r) => ({ ref: r.ref })))
    expect(await run('SELECT ref FROM {{ source }} LIMIT 5 OFFSET 2')).toEqual(rows.slice(2, 7).map((r) => ({ ref: r.ref })))
    // A scalar subquery over the batch: every row holds the first row's ref, not its own.
    expect(await run('SELECT (SELECT ref FROM {{ source }} AS o WHERE o.k = 0) AS first, v AS w FROM {{ source }}')).toEqual(rows.map((r) => ({ first: 'r0', w: r.v })))
    // A join that keeps as many rows as the batch.
    expect(await run("SELECT ref, s.v * 2 AS w FROM {{ source }} AS s, json_each('[1, 2]') AS j WHERE (s.k + j.value) % 2 = 0")).toEqual(rows.map((r) => ({ ref: r.ref, w: r.v * 2 })))
    // A nondeterministic filter: whichever rows it keeps, each keeps its own values (one evaluation).
    const random = await run('SELECT ref, v AS w, k FROM {{ source }} WHERE abs(random()) % 2 = 0')
    expect(random.length).toBeGreaterThan(0)
    expect(random.length).toBeLessThan(rows.length)
    for (const r of random) expect(r).toEqual({ ref: rows[r.k as number]!.ref, w: rows[r.k as number]!.v, k: r.k })
  })

  it('a wide batch (600 columns) fills in statements under SQLite\'s bound-value limit', async () => {
    const sink = memory()
    const rows = Array.from({ length: 300 }, (_, i) => Object.fromEntries(Array.from({ length: 600 }, (_, c) => [`c${c}`, i * 1000 + c])))
    const r = await sync({ destination: sink, source: scripted([op.upsert('wide', rows), op.checkpoint({})], { tables: [{ table: 'wide' }] }), stages: [sql({ table: 'wide', query: 'SELECT *, c599 - c0 AS span FROM {{ source }}' })] })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(keyless(sink.rows('wide'))).toEqual(rows.map((x) => ({ ...x, span: 599 })))
  })

  it('schema changes of the table wait for its batch and speak of the result: dropped or computed columns are left out', async () => {
    const seen: unknown[] = []
    const r = await sync({
      destination: memory(),
      source: scripted([
        { kind: 'schema', table: 'orders', change: { type: 'create_table', spec: { table: 'orders', primaryKey: ['id'], columns: { id: 'INT', note: 'STRING', net: 'DOUBLE' } } } },
        { kind: 'schema', table: 'orders', change: { type: 'add_column', column: 'note', columnType: 'STRING' } },
        { kind: 'schema', table: 'orders', change: { type: 'add_column', column: 'net', columnType: 'DOUBLE' } },
        { kind: 'schema', table: 'users', change: { type: 'add_column', column: 'note', columnType: 'STRING' } },
        op.upsert('orders', [{ id: 1, net: 2.5, note: 'x' }]),
        op.checkpoint({}),
      ]),
      stages: [
        sql({ table: 'orders', query: 'SELECT id, net, upper(note) AS note FROM {{ source }}' }),
        async function* (messages) {
          for await (const m of messages) {
            if (m.kind === 'schema') seen.push(m)
            else if (m.kind === 'records') seen.push(`records ${m.table}`)
            yield m
          }
        },
      ],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(seen).toEqual([
      { kind: 'schema', table: 'users', change: { type: 'add_column', column: 'note', columnType: 'STRING' } },
      { kind: 'schema', table: 'orders', change: { type: 'create_table', spec: { table: 'orders', primaryKey: ['id'], columns: { id: 'INT', net: 'DOUBLE' } } } },
      { kind: 'schema', table: 'orders', change: { type: 'add_column', column: 'net', columnType: 'DOUBLE' } },
      'records orders',
    ])
  })
})
