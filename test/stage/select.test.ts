import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { memory, op, sqlite, sync, type Message, type Sink, type Source, type TableSpec } from '../../src/index.js'
import { select, type Selection } from '../../src/stage/select.js'
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
    expect(r.status).toBe('succeeded')
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
