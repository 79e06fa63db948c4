import { describe, expect, it } from 'vitest'
import { flatten, op, sync, type Message, type Row, type Sink } from '../../../src/index.js'
import { normRows, scripted } from '../../support/sources.js'
import type { SinkFactory } from './each-destination.js'

const tables = [{ table: 'users', primaryKey: ['id'] }]
type Tags = string[] | null

/** One sync of `messages` through `flatten({ arrays: 'table' })`. */
async function run(sink: Sink, messages: Message[]): Promise<void> {
  const report = await sync({ destination: sink, source: scripted(messages, { tables }), stages: [flatten({ arrays: 'table' })] })
  expect(report.error).toBeUndefined()
  expect(report.status).toBe('succeeded')
}

/** Live rows of a child table as `parent:index=value`, sorted; `[]` when the table doesn't exist. */
async function live(sink: Sink, table: string, value = 'value'): Promise<string[]> {
  if (!(await sink.describe!()).some((t) => t.table === table)) return []
  const rows = normRows(await sink.read!({ table }))
  return rows
    .filter((r: Row) => r._sluice_deleted === 0)
    .map((r) => `${String(r._sluice_parent_id)}:${String(r._sluice_index)}=${String(r[value])}`)
    .sort()
}

const expected = (arrays: Record<number, Tags>) =>
  Object.entries(arrays).flatMap(([id, tags]) => (tags ?? []).map((t, i) => `${id}:${i}=${t}`)).sort()

/** The steps of the issue: 3 tags → 1 → 0 → null → 2 again, for user 1; user 2 is never re-synced. */
const STEPS: Tags[] = [['a', 'b', 'c'], ['a'], [], null, ['d', 'e']]

/**
 * `flatten({ arrays: 'table' })` child tables mirror the parents' current arrays in every sink:
 * re-synced parents with shorter (or no) arrays leave no live rows past the new length, deleted
 * parents take their children (and grandchildren) with them.
 */
export function describeChildTableConformance(name: string, make: SinkFactory): void {
  describe(`sink conformance: ${name}: flatten child tables`, () => {
    it('a shrinking array leaves exactly its current elements live, across separate syncs', async () => {
      const sink = await make()
      await run(sink, [op.upsert('users', [{ id: 1, tags: STEPS[0] }, { id: 2, tags: ['x', 'y'] }]), op.checkpoint({ step: 0 })])
      expect(await live(sink, 'users__tags')).toEqual(expected({ 1: STEPS[0]!, 2: ['x', 'y'] }))
      for (let step = 1; step < STEPS.length; step++) {
        await run(sink, [op.upsert('users', { id: 1, tags: STEPS[step]! }), op.checkpoint({ step })])
        expect(await live(sink, 'users__tags'), `after step ${step}`).toEqual(expected({ 1: STEPS[step]!, 2: ['x', 'y'] }))
      }
      // The rows past the new length are soft-deleted, not gone: (1, 2) was 'c' and is deleted now.
      const gone = normRows(await sink.read!({ table: 'users__tags' })).find((r) => r._sluice_parent_id === 1 && r._sluice_index === 2)
      expect(gone).toMatchObject({ value: 'c', _sluice_deleted: 1 })
    })

    it('within one sync: each step a batch, and a parent repeated in one batch keeps its last array', async () => {
      const sink = await make()
      const messages: Message[] = [op.upsert('users', { id: 2, tags: ['x'] })]
      for (const tags of STEPS) messages.push(op.upsert('users', { id: 1, tags }))
      messages.push(op.upsert('users', [{ id: 3, tags: ['p', 'q', 'r'] }, { id: 3, tags: ['s'] }]), op.checkpoint({ done: true }))
      await run(sink, messages)
      expect(await live(sink, 'users__tags')).toEqual(expected({ 1: ['d', 'e'], 2: ['x'], 3: ['s'] }))
      // Shrinking again inside one sync, with a checkpoint between the steps.
      await run(sink, [op.upsert('users', { id: 1, tags: ['d', 'e', 'f'] }), op.checkpoint({ n: 1 }), op.upsert('users', { id: 1, tags: ['g'] }), op.checkpoint({ n: 2 })])
      expect(await live(sink, 'users__tags')).toEqual(expected({ 1: ['g'], 2: ['x'], 3: ['s'] }))
    })

    it('a deleted parent soft-deletes its children; other parents and an upsert afterwards are unaffected', async () => {
      const sink = await make()
      await run(sink, [op.upsert('users', [{ id: 1, tags: ['a', 'b'] }, { id: 2, tags: ['x'] }]), op.checkpoint({ n: 1 })])
      await run(sink, [op.delete('users', { id: 1 }), op.checkpoint({ n: 2 })])
      expect(await live(sink, 'users__tags')).toEqual(expected({ 2: ['x'] }))
      const users = normRows(await sink.read!({ table: 'users' })).map((r) => [r.id, r._sluice_deleted]).sort()
      expect(users).toEqual([[1, 1], [2, 0]])
      await run(sink, [op.upsert('users', { id: 1, tags: ['c'] }), op.checkpoint({ n: 3 })])
      expect(await live(sink, 'users__tags')).toEqual(expected({ 1: ['c'], 2: ['x'] }))
    })

    it('a re-synced parent whose elements gain a field: old children cleared, the new column added in the same transaction', async () => {
      const sink = await make()
      await run(sink, [op.upsert('users', { id: 1, items: [{ sku: 'a' }, { sku: 'b' }] }), op.checkpoint({ n: 1 })])
      // The clearing UPDATE comes before the ALTER that adds `qty` (DuckDB replays such a transaction).
      await run(sink, [op.upsert('users', { id: 1, items: [{ sku: 'c', qty: 2 }] }), op.checkpoint({ n: 2 })])
      expect(await live(sink, 'users__items', 'sku')).toEqual(['1:0=c'])
      const rows = normRows(await sink.read!({ table: 'users__items' })).filter((r) => r._sluice_deleted === 0)
      expect(rows.map((r) => r.qty)).toEqual([2])
    })

    it('grandchildren: a nested array shrinks, and removing an element removes its nested rows', async () => {
      const sink = await make()
      const orders = (...lines: number[][]) => lines.map((l, i) => ({ sku: `s${i}`, lines: l }))
      await run(sink, [op.upsert('users', [{ id: 1, orders: orders([1, 2, 3], [4]) }, { id: 2, orders: orders([9]) }]), op.checkpoint({ n: 1 })])
      expect(await live(sink, 'users__orders__lines')).toEqual(['[1,0]:0=1', '[1,0]:1=2', '[1,0]:2=3', '[1,1]:0=4', '[2,0]:0=9'])
      await run(sink, [op.upsert('users', { id: 1, orders: orders([5]) }), op.checkpoint({ n: 2 })])
      expect(await live(sink, 'users__orders', 'sku')).toEqual(['1:0=s0', '2:0=s0'])
      expect(await live(sink, 'users__orders__lines')).toEqual(['[1,0]:0=5', '[2,0]:0=9'])
      const lines = normRows(await sink.read!({ table: 'users__orders__lines' })).filter((r) => r._sluice_deleted === 0)
      expect(lines.map((r) => r._sluice_root_id).sort()).toEqual([1, 2])
      await run(sink, [op.upsert('users', { id: 1, orders: null }), op.checkpoint({ n: 3 })])
      expect(await live(sink, 'users__orders', 'sku')).toEqual(['2:0=s0'])
      expect(await live(sink, 'users__orders__lines')).toEqual(['[2,0]:0=9'])
    })
  })
}
