import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { memory, op, sqlite, sync, type Message, type Sink, type Source, type TableSpec } from '../../src/index.js'
import { select } from '../../src/stage/select.js'
import type { Selection } from '../../src/contracts/selection.js'
import { flatten, hashColumns, keepsNames, schemaDrift } from '../../src/index.js'
import { normRows } from '../support/sources.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-select-'))
let n = 0

/** A source that records the selection it was handed and asks it before "requesting" each table. */
function selective(seen: { selection?: Selection; requested: string[] }, tables: readonly TableSpec[] = []): Source {
  const data: Record<string, object[]> = {
    orders: [{ id: 1, total: 5, Email: 'a@x', note: 'n' }],
    audit_log: [{ id: 1, what: 'login' }],
    users: [{ id: 1, name: 'Ada', ssn: '123' }],
  }
  return {
    tables: () => tables,
    async *read(args) {
      const selection = (args as { selection?: Selection }).selection
      seen.selection = selection
      for (const [table, rows] of Object.entries(data)) {
        if (selection && !selection.table(table)) continue // a source that can avoid the request does
        seen.requested.push(table)
        yield op.upsert(table, rows)
      }
      yield op.checkpoint({ done: true })
    },
  }
}

describe('select', () => {
  it('include/exclude by table and column, names compared after normalisation, globs allowed', () => {
    const { selection } = select({ include: ['orders', 'users.id', 'users.Name'], exclude: ['orders.email', 'audit_*'] })
    expect(selection.table('orders')).toBe(true)
    expect(selection.table('audit_log')).toBe(false)
    expect(selection.table('products')).toBe(false)
    expect(selection.column('orders', 'Email')).toBe(false)
    expect(selection.column('orders', 'total')).toBe(true)
    expect(selection.column('users', 'name')).toBe(true)
    expect(selection.column('users', 'ssn')).toBe(false)
    expect(selection.column('audit_log', 'id')).toBe(false)
    expect(select({ exclude: ['*.ssn'] }).selection.column('users', 'SSN')).toBe(false)
    expect(select({ include: [{ table: 'public.orders' }] }).selection.table('public.orders')).toBe(true)
  })

  for (const [name, make] of [['memory', () => memory()], ['sqlite', () => sqlite({ path: join(dir, `s${n++}.db`) })]] as [string, () => Sink][]) {
    it(`${name}: blocked tables are never requested or created; blocked columns never reach the destination`, async () => {
      const sink = make()
      const seen: { selection?: Selection; requested: string[] } = { requested: [] }
      const declared: TableSpec[] = [
        { table: 'orders', primaryKey: ['id'], columns: { Email: 'STRING', total: 'DOUBLE' } },
        { table: 'audit_log', primaryKey: ['id'] },
        // Declared, as sources declare every table they send: a select naming a table the source doesn't declare fails.
        { table: 'users' },
      ]
      const r = await sync({ destination: sink, source: selective(seen, declared), stages: [select({ exclude: ['audit_log', 'orders.email', 'users.ssn'] })] })
      expect(r.status).toBe('succeeded')
      expect(seen.requested).toEqual(['orders', 'users'])
      expect(seen.selection?.table('audit_log')).toBe(false)
      const described = await sink.describe!()
      expect(described.map((t) => t.table).sort()).toEqual(['orders', 'users'])
      expect(described.find((t) => t.table === 'orders')!.columns.map((c) => c.source)).toEqual(['total', 'id', 'note'])
      expect(normRows(await sink.read!({ table: 'users' }))).toEqual([{ id: 1, name: 'Ada', _sluice_deleted: 0, _sluice_id: expect.any(String) }])
    })
  }

  it('several select stages must all let a name through; the stage context carries the selection', async () => {
    let inStage: Selection | undefined
    const r = await sync({
      destination: memory(),
      source: selective({ requested: [] }),
      stages: [select({ exclude: ['audit_log'] }), select({ exclude: ['users'] }), (m, context) => ((inStage = context.selection), m)],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(Object.keys(r.tables)).toEqual(['orders'])
    expect(inStage?.table('users')).toBe(false)
    expect(inStage?.table('orders')).toBe(true)
  })

  it('drops schema messages about blocked columns and tables', async () => {
    const stage = select({ exclude: ['t.secret', 'gone'] })
    async function* input(): AsyncIterable<Message> {
      yield { kind: 'schema', table: 't', change: { type: 'add_column', column: 'secret', columnType: 'STRING' } }
      yield { kind: 'schema', table: 't', change: { type: 'create_table', spec: { table: 't', columns: { secret: 'STRING', ok: 'INT' } } } }
      yield { kind: 'schema', table: 'gone', change: { type: 'add_column', column: 'x', columnType: 'INT' } }
      yield { kind: 'truncate', table: 'gone' }
    }
    const out: Message[] = []
    for await (const m of stage(input(), { connectorId: 'c', syncId: 's', tables: [], signal: new AbortController().signal, recordError: () => {} })) out.push(m)
    expect(out).toEqual([{ kind: 'schema', table: 't', change: { type: 'create_table', spec: { table: 't', columns: { ok: 'INT' } } } }])
  })

  it('refuses to exclude a primary key column (CONFIG_INVALID) and empty or malformed options', async () => {
    const r = await sync({ destination: memory(), source: selective({ requested: [] }, [{ table: 'orders', primaryKey: ['id'] }]), stages: [select({ exclude: ['orders.ID'] })] })
    expect(r.status).toBe('failed')
    expect(r.error).toMatchObject({ code: 'CONFIG_INVALID', context: { table: 'orders', columns: ['id'] } })
    expect(() => select({ include: [] })).toThrow(/select.include is empty/)
    expect(() => select({ exclude: [''] })).toThrow(/select.exclude\[0\]/)
    expect(() => select({ exclude: [42 as never] })).toThrow(/select.exclude\[0\] must be/)
  })
})

describe('select and the stages before it', () => {
  /** A source that honours its selection as a real one does: blocked tables not read, blocked columns not fetched. */
  function nested(seen: { selection?: Selection | undefined }): Source {
    const rows = [{ id: 1, name: 'Ada', address: { city: 'Brno', zip: '60200' }, tags: ['a', 'b'], secret: 's' }]
    return {
      tables: () => [{ table: 'users', primaryKey: ['id'], columns: { name: 'STRING', address: 'JSON', secret: 'STRING' } }],
      async *read(args) {
        const selection = (args as { selection?: Selection }).selection
        seen.selection = selection
        if (selection && !selection.table('users')) return
        const keep = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([c]) => !selection || selection.column('users', c)))
        yield op.upsert('users', rows.map(keep))
        yield op.checkpoint({ done: true })
      },
    }
  }

  it('a select after flatten names the flattened columns and child tables; the source is not handed it, so the columns they come from are still read', async () => {
    const seen: { selection?: Selection | undefined } = {}
    const sink = memory()
    const r = await sync({
      destination: sink,
      source: nested(seen),
      stages: [flatten({ arrays: 'table' }), select({ include: ['users.id', 'users.address__city', 'users__tags'] })],
    })
    expect(r.status, r.error?.message).toBe('succeeded')
    expect(seen.selection).toBeUndefined()
    const users = sink.rows('users')
    expect(users).toHaveLength(1)
    expect(users[0]).toMatchObject({ id: 1, address__city: 'Brno' })
    for (const blocked of ['name', 'secret', 'address', 'address__zip']) expect(users[0]).not.toHaveProperty(blocked)
    expect(sink.rows('users__tags').map((t) => t.value)).toEqual(['a', 'b'])
    // The declared columns the select blocks are not created either (the source still read them).
    const described = await sink.describe!()
    expect(described.find((t) => t.table === 'users')!.columns.map((c) => c.source).sort()).toEqual(['address__city', 'id'])
  })

  it('a select before flatten, or after stages that keep names (hashColumns, schemaDrift, validate), is handed to the source', async () => {
    for (const stages of [
      [select({ exclude: ['users.secret'] }), flatten()],
      [hashColumns({ columns: ['users.name'], salt: 'salt-for-the-test' }), schemaDrift(), select({ exclude: ['users.secret'] })],
    ]) {
      const seen: { selection?: Selection | undefined } = {}
      const sink = memory()
      const r = await sync({ destination: sink, source: nested(seen), stages })
      expect(r.status, r.error?.message).toBe('succeeded')
      expect(seen.selection?.column('users', 'secret')).toBe(false)
      expect(seen.selection?.column('users', 'address')).toBe(true)
      expect(sink.rows('users')[0]).not.toHaveProperty('secret')
    }
    // A stage of your own may derive names: a select after it is not handed down, unless the stage is marked.
    const seen: { selection?: Selection | undefined } = {}
    await sync({ destination: memory(), source: nested(seen), stages: [(m) => m, select({ exclude: ['users.secret'] })] })
    expect(seen.selection).toBeUndefined()
    await sync({ destination: memory(), source: nested(seen), stages: [keepsNames((m) => m), select({ exclude: ['users.secret'] })] })
    expect(seen.selection?.column('users', 'secret')).toBe(false)
  })
})
