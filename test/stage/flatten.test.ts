import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { batchFromRows, memory, op, sqlite, sync, type Message, type RecordsMessage, type Sink, type TableSpec } from '../../src/index.js'
import { flatten, type FlattenOptions } from '../../src/stage/flatten.js'
import { normRows, scripted } from '../support/sources.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-flatten-'))
let n = 0

async function through(options: FlattenOptions, messages: Message[], tables: TableSpec[] = []): Promise<Message[]> {
  async function* input() {
    yield* messages
  }
  const out: Message[] = []
  const context = { connectorId: 'c', syncId: 's', tables, signal: new AbortController().signal, recordError: () => {} }
  for await (const m of flatten(options)(input(), context)) out.push(m)
  return out
}
const records = (m: Message | undefined) => m as RecordsMessage

describe('flatten', () => {
  const user = { id: 1, address: { city: 'Oslo', geo: { lat: 59.9, lng: 10.7 } }, tags: ['a', 'b'], plain: 'x' }

  it('turns nested objects into parent__child columns up to maxDepth; deeper objects stay JSON', async () => {
    const [deep] = await through({}, [op.upsert('users', user)])
    expect(records(deep).batch.toRows()).toEqual([{ id: 1, address__city: 'Oslo', address__geo__lat: 59.9, address__geo__lng: 10.7, tags: ['a', 'b'], plain: 'x' }])
    const [shallow] = await through({ maxDepth: 1 }, [op.upsert('users', user)])
    expect(records(shallow).batch.toRows()).toEqual([{ id: 1, address__city: 'Oslo', address__geo: { lat: 59.9, lng: 10.7 }, tags: ['a', 'b'], plain: 'x' }])
    expect(records(shallow).batch.column('address__geo')!.type).toBe('JSON')
  })

  it("arrays: 'table' moves arrays into child tables keyed by the parent's key and the index", async () => {
    const out = await through({ arrays: 'table' }, [op.upsert('users', { ...user, orders: [{ sku: 'x', lines: [7, 8] }, { sku: 'y', lines: [] }] })], [{ table: 'users', primaryKey: ['id'] }])
    expect(out.map((m) => `${m.kind}:${m.kind === 'checkpoint' ? '' : m.table}`)).toEqual([
      'records:users', 'schema:users__tags', 'records:users__tags', 'schema:users__orders', 'records:users__orders', 'schema:users__orders__lines', 'records:users__orders__lines',
    ])
    expect(records(out[0]).batch.names).toEqual(['id', 'address__city', 'address__geo__lat', 'address__geo__lng', 'plain'])
    expect(out[1]).toEqual({ kind: 'schema', table: 'users__tags', change: { type: 'create_table', spec: { table: 'users__tags', primaryKey: ['_sluice_parent_id', '_sluice_index'] } } })
    expect(records(out[2]).batch.toRows()).toEqual([
      { _sluice_parent_id: 1, _sluice_index: 0, value: 'a' },
      { _sluice_parent_id: 1, _sluice_index: 1, value: 'b' },
    ])
    expect(records(out[4]).batch.toRows()).toEqual([
      { _sluice_parent_id: 1, _sluice_index: 0, sku: 'x' },
      { _sluice_parent_id: 1, _sluice_index: 1, sku: 'y' },
    ])
    expect(records(out[6]).batch.toRows()).toEqual([
      { _sluice_parent_id: '[1,0]', _sluice_index: 0, _sluice_root_id: 1, value: 7 },
      { _sluice_parent_id: '[1,0]', _sluice_index: 1, _sluice_root_id: 1, value: 8 },
    ])
  })

  it('leaves batches without JSON columns, and tables not asked for, untouched', async () => {
    const plain = op.upsert('t', { id: 1, a: 'x' })
    const nested = op.upsert('other', { id: 1, o: { a: 1 } })
    const out = await through({ tables: ['t'] }, [plain, nested])
    expect(out[0]).toBe(plain)
    expect(out[1]).toBe(nested)
  })

  it('fails with STAGE_FAILED when a flattened name collides with an existing column', async () => {
    await expect(through({}, [op.upsert('t', { a: { b: 1 }, a__b: 2 })])).rejects.toMatchObject({ code: 'STAGE_FAILED', context: { column: 'a__b' } })
    expect(() => flatten({ maxDepth: 0 })).toThrow(/flatten.maxDepth must be a positive integer/)
    expect(() => flatten({ arrays: 'rows' as never })).toThrow(/flatten.arrays must be 'json' or 'table'/)
  })

  it('clears the known child tables of re-synced or deleted parents before writing their arrays; an update only those of its columns', async () => {
    const tables = [{ table: 'users', primaryKey: ['id'] }]
    const out = await through({ arrays: 'table' }, [
      op.upsert('users', { id: 1, tags: ['a'], orders: [{ lines: [1] }] }),
      op.upsert('users', [{ id: 1, tags: [] }, { id: 2, tags: null }]),
      op.update('users', { id: 2, tags: ['b'] }),
      op.delete('users', { id: 1 }),
    ], tables)
    const shape = (m: Message) => (m.kind === 'records' ? `${m.op}${m.match ? `:${m.match}` : ''}:${m.table}` : `${m.kind}:${m.kind === 'checkpoint' ? '' : m.table}`)
    expect(out.map(shape)).toEqual([
      // First batch: the tables are new, nothing to clear.
      'upsert:users', 'schema:users__tags', 'upsert:users__tags', 'schema:users__orders', 'upsert:users__orders', 'schema:users__orders__lines', 'upsert:users__orders__lines',
      'upsert:users', 'delete:column:users__tags', 'delete:column:users__orders', 'delete:column:users__orders__lines',
      'update:users', 'delete:column:users__tags', 'upsert:users__tags',
      'delete:users', 'delete:column:users__tags', 'delete:column:users__orders', 'delete:column:users__orders__lines',
    ])
    expect(records(out[8]).batch.toRows()).toEqual([{ _sluice_parent_id: 1 }, { _sluice_parent_id: 2 }])
    expect(records(out[10]).batch.toRows()).toEqual([{ _sluice_root_id: 1 }, { _sluice_root_id: 2 }])
    expect(records(out[16]).batch.toRows()).toEqual([{ _sluice_parent_id: 1 }])
    expect(records(out[17]).batch.toRows()).toEqual([{ _sluice_root_id: 1 }])
  })

  it('knows the child tables of the destination from a previous sync; match deletes count in neither the report nor MAR', async () => {
    const sink = memory()
    const tables = [{ table: 'users', primaryKey: ['id'] }]
    const run = (tags: string[]) =>
      sync({ destination: sink, mar: { mode: 'exact' }, source: scripted([op.upsert('users', { id: 1, tags }), op.checkpoint({})], { tables }), stages: [flatten({ arrays: 'table' })] })
    expect((await run(['a', 'b', 'c'])).mar).toEqual({ users: 1, users__tags: 3 })
    const second = await run(['a'])
    expect(second.tables.users__tags).toEqual({ upserts: 1, updates: 0, deletes: 0, truncates: 0 })
    expect(second.rows).toBe(2)
    expect(second.mar).toEqual({ users: 0, users__tags: 0 })
    expect(normRows(sink.rows('users__tags')).map((r) => [r._sluice_index, r._sluice_deleted]).sort()).toEqual([[0, 0], [1, 1], [2, 1]])
  })

  it('fails with MATCH_INVALID for a column match that is not a delete of one column', async () => {
    const { matchColumn } = await import('../../src/core/match-column.js')
    const bad: RecordsMessage = { kind: 'records', table: 't', op: 'upsert', match: 'column', batch: batchFromRows([{ a: 1 }]) }
    expect(() => matchColumn(bad)).toThrow(expect.objectContaining({ code: 'MATCH_INVALID' }))
    const sink = memory()
    const two: RecordsMessage = { kind: 'records', table: 't', op: 'delete', match: 'column', batch: batchFromRows([{ a: 1, b: 2 }]) }
    expect((await sync({ destination: sink, source: scripted([two, op.checkpoint({})]) })).error).toMatchObject({ code: 'MATCH_INVALID' })
  })

  for (const [name, make] of [['memory', () => memory()], ['sqlite', () => sqlite({ path: join(dir, `f${n++}.db`) })]] as [string, () => Sink][]) {
    it(`${name}: child tables land keyed by (_sluice_parent_id, _sluice_index); re-syncing a parent updates its children in place`, async () => {
      const sink = make()
      const tables = [{ table: 'users', primaryKey: ['id'] }]
      const run = (tags: string[]) => sync({ destination: sink, source: scripted([op.upsert('users', { id: 1, tags }), op.checkpoint({})], { tables }), stages: [flatten({ arrays: 'table' })] })
      expect((await run(['a', 'b'])).status).toBe('succeeded')
      expect((await run(['c', 'b'])).status).toBe('succeeded')
      const child = (await sink.describe!()).find((t) => t.table === 'users__tags')!
      expect(child.primaryKey).toEqual(['_sluice_parent_id', '_sluice_index'])
      const names = new Map(child.columns.map((c) => [c.source, c.name]))
      const rows = normRows(await sink.read!({ table: 'users__tags' })).map((r) => [r[names.get('_sluice_parent_id')!], r[names.get('_sluice_index')!], r.value])
      expect(rows.sort()).toEqual([[1, 0, 'c'], [1, 1, 'b']])
    })
  }
})
