import { describe, expect, it } from 'vitest'
import { marReport, op, sync, type Message, type Sink, type Source } from '../../../src/index.js'

const NOV = Date.UTC(2026, 10, 15)
const DEC = Date.UTC(2026, 11, 2)
const at = (ms: number) => ({ now: () => ms })

/** A source of the given messages, with table `t` keyed by id (and `log` keyless). */
export function source(messages: readonly Message[], options: { failAfter?: boolean; onRead?: () => void } = {}): Source {
  return {
    id: 'shop',
    tables: () => [{ table: 't', primaryKey: ['id'] }, { table: 'log' }],
    async *read() {
      options.onRead?.()
      yield* messages
      if (options.failAfter) throw new Error('source broke')
    },
  }
}
const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, v: `r${from + i}` }))
const monthRows = async (sink: Sink, month: string) => Object.fromEntries((await marReport({ destination: sink, month })).map((r) => [`${r.connectorId}/${r.table}`, r.rows]))

/**
 * The MAR behaviour every metering sink must have (`meter`, `readMar`, `recordMarThreshold`); run
 * by mar.test.ts over every destination of test/sink/destinations.ts that declares `mar`.
 */
export function describeMarConformance(name: string, make: () => Sink | Promise<Sink>): void {
  describe(`MAR metering (${name})`, () => {
    it('a key upserted 10 times in a month counts once; report.mar gives only newly active rows', async () => {
      const sink = await make()
      const pages: Message[] = []
      for (let i = 0; i < 10; i++) pages.push(op.upsert('t', ids(1, 3)), op.checkpoint({ p: i }))
      const first = await sync({ source: source(pages), destination: sink, mar: { clock: at(NOV) } })
      expect(first.status).toBe('succeeded')
      expect(first.mar).toEqual({ t: 3 })
      const second = await sync({ source: source([op.upsert('t', ids(1, 4)), op.checkpoint({ p: 11 })]), destination: sink, mar: { clock: at(NOV) } })
      expect(second.mar).toEqual({ t: 1 })
      expect(await monthRows(sink, '2026-11')).toEqual({ 'shop/t': 4 })
    })

    it('counts a key once in each month it is written, also when one sync spans the month boundary', async () => {
      const sink = await make()
      let now = NOV
      const pages: Message[] = [op.upsert('t', ids(1, 2)), op.checkpoint({ p: 1 })]
      const crossing: Source = {
        id: 'shop',
        tables: () => [{ table: 't', primaryKey: ['id'] }],
        async *read() {
          yield* pages
          now = DEC // midnight passes mid-sync
          yield op.upsert('t', ids(1, 3))
          yield op.checkpoint({ p: 2 })
        },
      }
      const report = await sync({ source: crossing, destination: sink, mar: { clock: { now: () => now } } })
      expect(report.mar).toEqual({ t: 5 })
      expect(await monthRows(sink, '2026-11')).toEqual({ 'shop/t': 2 })
      expect(await monthRows(sink, '2026-12')).toEqual({ 'shop/t': 3 })
    })

    it('updates and deletes count as activity: a key only updated or only deleted this month is active', async () => {
      const sink = await make()
      await sync({ source: source([op.upsert('t', ids(1, 5)), op.checkpoint({ p: 1 })]), destination: sink, mar: { clock: at(NOV) } })
      const dec = await sync({
        source: source([op.update('t', [{ id: 1, v: 'changed' }]), op.delete('t', [{ id: 2 }, { id: 3 }]), op.checkpoint({ p: 2 })]),
        destination: sink,
        mar: { clock: at(DEC) },
      })
      expect(dec.mar).toEqual({ t: 3 })
      expect(await monthRows(sink, '2026-12')).toEqual({ 'shop/t': 3 })
    })

    it('tables without a primary key count distinct rows by _sluice_id', async () => {
      const sink = await make()
      const report = await sync({
        source: source([op.upsert('log', [{ e: 'a' }, { e: 'b' }, { e: 'a' }]), op.checkpoint({ p: 1 }), op.upsert('log', [{ e: 'b' }, { e: 'c' }]), op.checkpoint({ p: 2 })]),
        destination: sink,
        mar: { clock: at(NOV) },
      })
      expect(report.mar).toEqual({ log: 3 })
    })

    it('a failed sync keeps only the MAR of what it committed; the retry counts the rest once', async () => {
      const sink = await make()
      const pages = [op.upsert('t', ids(1, 3)), op.checkpoint({ p: 1 }), op.upsert('t', ids(4, 6))]
      const failed = await sync({ source: source(pages, { failAfter: true }), destination: sink, mar: { clock: at(NOV) } })
      expect(failed.status).toBe('failed')
      expect(failed.mar).toEqual({ t: 3 })
      expect(await monthRows(sink, '2026-11')).toEqual({ 'shop/t': 3 })
      const retried = await sync({ source: source([...pages, op.checkpoint({ p: 2 })]), destination: sink, mar: { clock: at(NOV) } })
      expect(retried.mar).toEqual({ t: 3 })
      expect(await monthRows(sink, '2026-11')).toEqual({ 'shop/t': 6 })
    })

    it('approximate mode: a HyperLogLog estimate within 2%, merged at checkpoints, repeats not counted again', async () => {
      const sink = await make()
      const pages: Message[] = []
      for (let p = 0; p < 10; p++) pages.push(op.upsert('t', ids(p * 2000 + 1, p * 2000 + 2000)), op.checkpoint({ p }))
      const first = await sync({ source: source(pages), destination: sink, mar: { mode: 'approximate', clock: at(NOV) } })
      const [row] = await marReport({ destination: sink, month: '2026-11' })
      expect(row).toMatchObject({ table: 't', approximate: true })
      expect(Math.abs(row!.rows - 20_000) / 20_000).toBeLessThan(0.02)
      expect(first.mar!.t).toBe(row!.rows)
      const again = await sync({ source: source(pages), destination: sink, mar: { mode: 'approximate', clock: at(NOV) } })
      expect(again.mar).toEqual({ t: 0 })
    })

    it('switching mode within a month fails the sync with MAR_MODE_CHANGED; the next month may use the other mode', async () => {
      const sink = await make()
      await sync({ source: source([op.upsert('t', ids(1, 2)), op.checkpoint({ p: 1 })]), destination: sink, mar: { clock: at(NOV) } })
      const switched = await sync({ source: source([op.upsert('t', ids(1, 2)), op.checkpoint({ p: 2 })]), destination: sink, mar: { mode: 'approximate', clock: at(NOV) } })
      expect(switched.status).toBe('failed')
      expect(switched.error).toMatchObject({ code: 'MAR_MODE_CHANGED', message: expect.stringContaining('exact mode for 2026-11') })
      const next = await sync({ source: source([op.upsert('t', ids(1, 2)), op.checkpoint({ p: 3 })]), destination: sink, mar: { mode: 'approximate', clock: at(DEC) } })
      expect(next.status).toBe('succeeded')
    })

    it('marReport filters by connector, table and month; a bad month is CONFIG_INVALID', async () => {
      const sink = await make()
      await sync({ source: source([op.upsert('t', ids(1, 2)), op.upsert('log', [{ e: 1 }]), op.checkpoint({ p: 1 })]), destination: sink, mar: { clock: at(NOV) } })
      await sync({ source: source([op.upsert('t', ids(1, 5)), op.checkpoint({ p: 1 })]), connectorId: 'other', destination: sink, mar: { clock: at(DEC) } })
      expect(await marReport({ destination: sink })).toEqual([
        { connectorId: 'shop', table: 'log', month: '2026-11', rows: 1, approximate: false },
        { connectorId: 'shop', table: 't', month: '2026-11', rows: 2, approximate: false },
        { connectorId: 'other', table: 't', month: '2026-12', rows: 5, approximate: false },
      ])
      expect(await marReport({ destination: sink, connector: 'shop', table: 't' })).toHaveLength(1)
      expect(await marReport({ destination: sink, month: '2026-10' })).toEqual([])
      await expect(marReport({ destination: sink, month: '2026-13' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    })
  })
}


/** A destination that declares no MAR store: asking to meter is MAR_UNAVAILABLE before anything runs, never a sync that meters nothing. */
export function describeMarRefused(name: string, make: () => Sink | Promise<Sink>): void {
  describe(`MAR metering (${name}): not declared, so refused`, () => {
    it('sync({ mar }) and marReport() fail with MAR_UNAVAILABLE naming the destination, and nothing is written', async () => {
      const sink = await make()
      let read = false
      await expect(sync({ source: source([op.upsert('t', ids(1, 2)), op.checkpoint({ p: 1 })], { onRead: () => (read = true) }), destination: sink, mar: { clock: at(NOV) } })).rejects.toMatchObject({
        code: 'MAR_UNAVAILABLE',
        message: expect.stringContaining(sink.name),
      })
      expect(read).toBe(false)
      await expect(marReport({ destination: sink })).rejects.toMatchObject({ code: 'MAR_UNAVAILABLE' })
    })
  })
}
