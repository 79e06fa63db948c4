import { describe, expect, it } from 'vitest'
import { op, sync, type Message, type Row, type Sink, type Source, type State, type TableSpec } from '../../../src/index.js'
import { normRows } from '../../support/sources.js'
import type { DestinationCase } from './each-destination.js'

/** A month fixed for MAR (no month boundary mid-test). */
const DEC = { now: () => Date.UTC(2026, 11, 2) }
const KEYED: TableSpec[] = [{ table: 't', primaryKey: ['id'] }]
const REPLACE: TableSpec[] = [{ table: 'r', primaryKey: ['id'], mode: 'replace' }]
const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, v: `v${from + i}` }))

/** A source of `steps`: messages are yielded, functions run between them (after the message before them was handled). */
function steps(tables: readonly TableSpec[], list: readonly (Message | (() => Promise<void>))[]): Source {
  return {
    id: 'fleet-test',
    tables: () => tables,
    async *read() {
      for (const step of list) {
        if (typeof step === 'function') await step()
        else yield step
      }
    },
  }
}

/** The state a sync of `connectorId` would start from (undefined: none saved). */
async function stateOf(sink: Sink, connectorId: string): Promise<State | undefined> {
  let seen: State | undefined
  const probe: Source = { id: connectorId, tables: () => [], async *read({ state }) { seen = state } }
  const report = await sync({ source: probe, destination: sink, connectorId })
  expect(report.status).toBe('succeeded')
  return seen
}

/** Ids of a table's live (and soft-deleted) rows, sorted. */
async function idsOf(sink: Sink, table: string): Promise<{ live: number[]; deleted: number[] }> {
  const rows = normRows(await sink.read!({ table }))
  const of = (keep: (r: Row) => boolean) => rows.filter(keep).map((r) => Number(r.id)).sort((a, b) => a - b)
  return { live: of((r) => r._sluice_deleted === 0), deleted: of((r) => r._sluice_deleted !== 0) }
}

async function marOf(sink: Sink, connectorId: string): Promise<Record<string, number>> {
  return Object.fromEntries((await sink.readMar!({ connectorId })).map((u) => [u.table, u.rows]))
}

/** Runs partition `key` of connector `c` (fenced first) over `rows` of `tables`. */
async function partition(sink: Sink, key: string, tables: readonly TableSpec[], rows: Row[], extra: Partial<Parameters<typeof sync>[0]> = {}) {
  const connectorId = `c#${key}`
  const epoch = await sink.fence!({ connectorId })
  const table = tables[0]!.table
  const report = await sync({ source: steps(tables, [op.upsert(table, rows), op.checkpoint({ part: key })]), destination: sink, connectorId, fleet: { epoch, partitionOf: 'c' }, ...extra })
  expect(report.error).toBeUndefined()
  return report
}

/** The completion of connector `c`'s backfill (fenced first): declares `tables`, moves c's state to `state`. */
async function complete(sink: Sink, tables: readonly TableSpec[], parts: string[], state: State, extra: Partial<Parameters<typeof sync>[0]> = {}) {
  const epoch = await sink.fence!({ connectorId: 'c' })
  return sync({ source: steps(tables, [op.checkpoint(state)]), destination: sink, connectorId: 'c', fleet: { epoch, completes: parts.map((p) => `c#${p}`) }, ...extra })
}

/**
 * The fleet behaviour of a destination many writers share (`fence`): fenced commits, partition
 * runs and completions. Run by fleet.test.ts over every destination that declares `fleet`.
 */
export function describeFleetConformance({ destination, lib, location, make }: DestinationCase): void {
  describe(`fleet: fencing, partitions, completion (${destination.name})`, () => {
    it('fence bumps the epoch and returns it; its new row has no state; a writer with a stale epoch fails FENCED at open', async () => {
      const sink = await make()
      expect(await sink.fence!({ connectorId: 'c' })).toBe(1)
      expect(await sink.fence!({ connectorId: 'c' })).toBe(2)
      expect(await sink.fence!({ connectorId: 'other' })).toBe(1)
      let seen: State | undefined | 'unread' = 'unread'
      const fresh: Source = { id: 'c', tables: () => KEYED, async *read({ state }) { seen = state; yield op.upsert('t', ids(1, 1)); yield op.checkpoint({ n: 1 }) } }
      const ok = await sync({ source: fresh, destination: sink, connectorId: 'c', fleet: { epoch: 2 } })
      expect(ok.error).toBeUndefined()
      expect(seen).toBeUndefined()
      const stale = await sync({ source: steps(KEYED, [op.upsert('t', ids(2, 2)), op.checkpoint({ n: 2 })]), destination: sink, connectorId: 'c', fleet: { epoch: 1 } })
      expect(stale.status).toBe('failed')
      expect(stale.error).toMatchObject({ code: 'FENCED', retryable: false })
      expect(stale.error!.message).toMatch(/connector c .*epoch 1.*now 2/)
      expect((await idsOf(sink, 't')).live).toEqual([1])
      expect(await stateOf(sink, 'c')).toEqual({ n: 1 })
    })

    it('a stale writer fails FENCED at its next checkpoint: its rows since its last commit roll back, the state stays the new writer\'s', async () => {
      const at = location()
      const sink = await destination.open(lib, at)
      // Another worker: its own sink on the same destination (the memory warehouse lives in one object).
      const other = destination.place === 'process' ? sink : await destination.open(lib, at)
      const concurrent = destination.place !== 'process'
      const epochA = await sink.fence!({ connectorId: 'c' })
      let epochB = 0
      const runB = async () => {
        const b = await sync({ source: steps(KEYED, [op.upsert('t', ids(10, 10)), op.checkpoint({ by: 'B' })]), destination: other, connectorId: 'c', fleet: { epoch: epochB } })
        expect(b.error).toBeUndefined()
      }
      const takeover = async () => {
        epochB = await other.fence!({ connectorId: 'c' })
        // B commits while A is still open (A is between transactions: it just checkpointed).
        if (concurrent) await runB()
      }
      const a = await sync({
        source: steps(KEYED, [op.upsert('t', ids(1, 2)), op.checkpoint({ by: 'A', n: 1 }), takeover, op.upsert('t', ids(3, 4)), op.checkpoint({ by: 'A', n: 2 })]),
        destination: sink,
        connectorId: 'c',
        fleet: { epoch: epochA },
      })
      expect(a.status).toBe('failed')
      expect(a.error?.code).toBe('FENCED')
      expect(a.checkpoints).toBe(1)
      if (!concurrent) await runB()
      expect((await idsOf(sink, 't')).live).toEqual([1, 2, 10])
      expect(await stateOf(sink, 'c')).toEqual({ by: 'B' })
    })

    it('replace mode: the partitions of a backfill soft-delete nothing; the completion deletes the old rows no partition rewrote', async () => {
      const sink = await make()
      const first = await sync({ source: steps(REPLACE, [op.upsert('r', ids(1, 4)), op.checkpoint({ after: 4 })]), destination: sink, connectorId: 'c' })
      expect(first.error).toBeUndefined()
      await sink.fence!({ connectorId: 'c', truncate: ['r'] })
      await partition(sink, 'a', REPLACE, ids(1, 2))
      await partition(sink, 'b', REPLACE, ids(5, 6))
      expect(await idsOf(sink, 'r')).toEqual({ live: [1, 2, 3, 4, 5, 6], deleted: [] })
      const done = await complete(sink, REPLACE, ['a', 'b'], { after: 6 })
      expect(done.error).toBeUndefined()
      expect(await idsOf(sink, 'r')).toEqual({ live: [1, 2, 5, 6], deleted: [3, 4] })
      expect(await stateOf(sink, 'c')).toEqual({ after: 6 })
      expect(await stateOf(sink, 'c#a')).toBeUndefined()
      expect(await stateOf(sink, 'c#b')).toBeUndefined()
      // The next plain sync of c (replace) starts a new snapshot after every partition row.
      const next = await sync({ source: steps(REPLACE, [op.upsert('r', ids(6, 6)), op.checkpoint({ after: 6 })]), destination: sink, connectorId: 'c' })
      expect(next.error).toBeUndefined()
      expect(await idsOf(sink, 'r')).toEqual({ live: [6], deleted: [1, 2, 3, 4, 5] })
    })

    it('a truncate in a partition run is refused (CONFIG_INVALID naming the table): truncates belong to the whole connector', async () => {
      const sink = await make()
      const epoch = await sink.fence!({ connectorId: 'c#a' })
      const report = await sync({
        source: steps(REPLACE, [op.upsert('r', ids(1, 1)), op.checkpoint({ n: 1 }), op.truncate('r'), op.checkpoint({ n: 2 })]),
        destination: sink,
        connectorId: 'c#a',
        fleet: { epoch, partitionOf: 'c' },
      })
      expect(report.status).toBe('failed')
      expect(report.error?.code).toBe('CONFIG_INVALID')
      expect(report.error!.message).toMatch(/table r\b.*whole connector/)
      expect((await idsOf(sink, 'r')).live).toEqual([1])
    })

    it('exact MAR: partitions with overlapping keys, completed, count each key once, as one sync of the same rows does; run twice, the same', async () => {
      const mar = { mode: 'exact' as const, clock: DEC }
      const sink = await make()
      expect((await sync({ source: steps(KEYED, [op.upsert('t', ids(1, 2)), op.checkpoint({ after: 2 })]), destination: sink, connectorId: 'c', mar })).error).toBeUndefined()
      await partition(sink, 'a', KEYED, ids(1, 5), { mar })
      await partition(sink, 'b', KEYED, ids(4, 8), { mar })
      expect(await marOf(sink, 'c#a')).toEqual({ t: 5 })
      expect((await complete(sink, KEYED, ['a', 'b'], { after: 8 }, { mar })).error).toBeUndefined()
      expect(await marOf(sink, 'c')).toEqual({ t: 8 })
      expect(await marOf(sink, 'c#a')).toEqual({})
      expect(await marOf(sink, 'c#b')).toEqual({})
      expect(await stateOf(sink, 'c#a')).toBeUndefined()

      const single = await make()
      await sync({ source: steps(KEYED, [op.upsert('t', ids(1, 2)), op.checkpoint({ after: 2 })]), destination: single, connectorId: 'c', mar })
      await sync({ source: steps(KEYED, [op.upsert('t', ids(1, 5)), op.upsert('t', ids(4, 8)), op.checkpoint({ after: 8 })]), destination: single, connectorId: 'c', mar })
      expect(await marOf(sink, 'c')).toEqual(await marOf(single, 'c'))

      expect((await complete(sink, KEYED, ['a', 'b'], { after: 8 }, { mar })).error).toBeUndefined()
      expect(await marOf(sink, 'c')).toEqual({ t: 8 })
      // Keys merged from partitions are C's: writing them again adds nothing.
      const again = await sync({ source: steps(KEYED, [op.upsert('t', ids(3, 9)), op.checkpoint({ after: 9 })]), destination: sink, connectorId: 'c', mar })
      expect(again.mar).toEqual({ t: 1 })
    })

    it('approximate MAR: the partitions\' sketches merge into the connector\'s, equal to one sync\'s sketch of the same keys', async () => {
      const mar = { mode: 'approximate' as const, clock: DEC }
      const sink = await make()
      await sync({ source: steps(KEYED, [op.upsert('t', ids(1, 20)), op.checkpoint({ after: 20 })]), destination: sink, connectorId: 'c', mar })
      await partition(sink, 'a', KEYED, ids(1, 300), { mar })
      await partition(sink, 'b', KEYED, ids(200, 500), { mar })
      expect((await complete(sink, KEYED, ['a', 'b'], { after: 500 }, { mar })).error).toBeUndefined()
      const single = await make()
      await sync({ source: steps(KEYED, [op.upsert('t', ids(1, 20)), op.checkpoint({ after: 20 })]), destination: single, connectorId: 'c', mar })
      await sync({ source: steps(KEYED, [op.upsert('t', ids(1, 300)), op.upsert('t', ids(200, 500)), op.checkpoint({ after: 500 })]), destination: single, connectorId: 'c', mar })
      const merged = await marOf(sink, 'c')
      expect(merged).toEqual(await marOf(single, 'c'))
      expect(Math.abs(merged.t! - 500)).toBeLessThan(25) // HyperLogLog p=14: ~1 % error
      expect(await marOf(sink, 'c#a')).toEqual({})
    })

    it('a partition metered in another MAR mode than the connector fails the completion with MAR_MODE_CHANGED, and nothing of it commits', async () => {
      const sink = await make()
      await sync({ source: steps(KEYED, [op.upsert('t', ids(1, 2)), op.checkpoint({ after: 2 })]), destination: sink, connectorId: 'c', mar: { mode: 'exact', clock: DEC } })
      await partition(sink, 'a', KEYED, ids(3, 4), { mar: { mode: 'approximate', clock: DEC } })
      const done = await complete(sink, KEYED, ['a'], { after: 4 })
      expect(done.status).toBe('failed')
      expect(done.error?.code).toBe('MAR_MODE_CHANGED')
      expect(await marOf(sink, 'c#a')).toEqual({ t: 2 })
      expect(await marOf(sink, 'c')).toEqual({ t: 2 })
      expect(await stateOf(sink, 'c#a')).toEqual({ part: 'a' })
      // The completion's state moves with its merge, in one transaction: not at all here.
      expect(await stateOf(sink, 'c')).toEqual({ after: 2 })
    })
  })
}

/** A single-writer destination (no `fence`): `sync({ fleet })` is refused before anything runs, naming it. */
export function describeFleetRefused({ destination, make }: DestinationCase): void {
  describe(`fleet refused (${destination.name})`, () => {
    it('has no fence, and sync({ fleet }) is CONFIG_INVALID naming the destination', async () => {
      const sink = await make()
      expect(sink.fence).toBeUndefined()
      const run = sync({ source: steps(KEYED, [op.upsert('t', ids(1, 1)), op.checkpoint({})]), destination: sink, connectorId: 'c', fleet: { epoch: 1 } })
      await expect(run).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`the ${sink.name} destination`) })
      expect(await sink.describe!()).toEqual([])
    })
  })
}
