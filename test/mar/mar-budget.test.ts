import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { files } from '../../src/files.js'
import { memory, op, sqlite, sync, type Sink, type Source } from '../../src/index.js'
import type { MarThresholdEvent } from '../../src/mar/metered-sink.js'
import { marReport } from '../../src/mar/mar-report.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-mar-budget-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const NOV = { now: () => Date.UTC(2026, 10, 15) }
const DEC = { now: () => Date.UTC(2026, 11, 15) }

/** `pages` pages of `size` new ids each (ids continue from `from`), a checkpoint after each. */
function pages(from: number, count: number, size: number, read?: { pages: number }): Source {
  return {
    id: 'shop',
    tables: () => [{ table: 't', primaryKey: ['id'] }],
    async *read() {
      for (let p = 0; p < count; p++) {
        if (read) read.pages++
        yield op.upsert('t', Array.from({ length: size }, (_, i) => ({ id: from + p * size + i })))
        yield op.checkpoint({ p })
      }
    },
  }
}

async function run(sink: Sink, source: Source, mar: Parameters<typeof sync>[0]['mar']) {
  const events: MarThresholdEvent[] = []
  const report = await sync({ source, destination: sink, mar, on: { marThreshold: (e) => events.push(e) } })
  return { report, events: events.map((e) => `${e.month}@${e.threshold}:${e.rows}`) }
}

describe('MAR budget', () => {
  for (const [name, make, reopen] of [
    ['sqlite', () => sqlite({ path: join(dir, 'thresholds.db') }), () => sqlite({ path: join(dir, 'thresholds.db') })],
    ['files', () => files({ dir: join(dir, 'thresholds-lake'), format: 'ndjson' }), () => files({ dir: join(dir, 'thresholds-lake'), format: 'ndjson' })],
    ['memory', () => memory(), undefined],
  ] as const) {
    it(`thresholds fire exactly once per month, after the commit, and not again after a restart (${name})`, async () => {
      const sink = make()
      const budget = { monthly: 10, warnAt: [0.5, 1.0] }
      const a = await run(sink, pages(1, 3, 2), { budget, clock: NOV }) // 6 keys over 3 checkpoints
      expect(a.events).toEqual(['2026-11@0.5:6'])
      const b = await run(sink, pages(1, 3, 2), { budget, clock: NOV }) // the same 6 keys: nothing new
      expect(b.events).toEqual([])
      const c = await run(sink, pages(7, 2, 3), { budget, clock: NOV }) // 12 keys
      expect(c.events).toEqual(['2026-11@1:12'])
      const restarted = reopen ? reopen() : sink
      const d = await run(restarted, pages(100, 2, 3), { budget, clock: NOV })
      expect(d.events).toEqual([])
      expect(d.report.status).toBe('succeeded') // onExceed: 'warn' (default) keeps going
      const e = await run(restarted, pages(1, 3, 2), { budget, clock: DEC }) // a new month starts over
      expect(e.events).toEqual(['2026-12@0.5:6'])
    })
  }

  it("onExceed 'stop' ends the sync at the checkpoint after the budget is crossed, status stopped, stopReason mar_budget", async () => {
    const sink = memory()
    const { report, events } = await run(sink, pages(1, 5, 4), { budget: { monthly: 10 }, onExceed: 'stop', clock: NOV })
    expect(report).toMatchObject({ status: 'stopped', stopReason: 'mar_budget', checkpoints: 3, rows: 12, mar: { t: 12 } })
    expect(events).toEqual(['2026-11@0.5:8', '2026-11@0.8:8', '2026-11@1:12'])
    expect(sink.rows('t')).toHaveLength(12) // what was written before the stop is committed, nothing after
    const read = { pages: 0 }
    const next = await run(sink, pages(1000, 5, 4, read), { budget: { monthly: 10 }, onExceed: 'stop', clock: NOV })
    expect(next.report).toMatchObject({ status: 'stopped', stopReason: 'mar_budget', rows: 0, mar: {} })
    expect(read.pages).toBe(0) // budget used up before the first row: the source is not read at all
    const december = await run(sink, pages(1000, 2, 4), { budget: { monthly: 10 }, onExceed: 'stop', clock: DEC })
    expect(december.report.status).toBe('succeeded')
  })

  for (const [name, make] of [
    ['sqlite', () => sqlite({ path: join(dir, 'approx.db') })],
    ['files', () => files({ dir: join(dir, 'approx-lake'), format: 'ndjson' })],
  ] as const) {
    it(`approximate mode stops on the budget too, at the checkpoint where the merged sketch crosses it (${name})`, async () => {
      const sink = make()
      const { report } = await run(sink, pages(1, 10, 500), { mode: 'approximate', budget: { monthly: 2000 }, onExceed: 'stop', clock: NOV })
      expect(report).toMatchObject({ status: 'stopped', stopReason: 'mar_budget' })
      expect(report.checkpoints).toBeGreaterThanOrEqual(4)
      expect(report.checkpoints).toBeLessThanOrEqual(5)
      const [row] = await marReport({ destination: sink })
      expect(row!.rows).toBeGreaterThanOrEqual(2000)
    })
  }
})

