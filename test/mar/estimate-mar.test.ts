import { describe, expect, it } from 'vitest'
import { fromIterable, op, type Source } from '../../src/index.js'
import { estimateMar, type CountingSource } from '../../src/mar/estimate-mar.js'

/** 10k order rows where every id appears twice in a row (an update right after the insert). */
const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: Math.floor(i / 2), v: i }))

describe('estimateMar', () => {
  it('reads a whole small source: exact per table, nothing written', async () => {
    const e = await estimateMar(fromIterable('orders', rows, { primaryKey: ['id'], batchSize: 1000 }), { sample: 100_000 })
    expect(e).toEqual({ tables: { orders: { sampledRows: 10_000, distinctKeys: 5_000, estimate: 5_000, basis: 'complete' } }, total: 5_000, atLeast: false, sampledRows: 10_000, complete: true })
  })

  it('extrapolates the sample\'s share of distinct keys when the source says its size', async () => {
    const source: CountingSource = { ...fromIterable('orders', rows, { primaryKey: ['id'], batchSize: 1000 }), rowCount: async () => ({ orders: 10_000 }) }
    const e = await estimateMar(source, { sample: 2_500 })
    expect(e.tables.orders).toEqual({ sampledRows: 2_500, distinctKeys: 1_250, sourceRows: 10_000, estimate: 5_000, basis: 'extrapolated' })
    expect(e.atLeast).toBe(false)
    // options.rows wins over the source's own count
    expect((await estimateMar(source, { sample: 2_500, rows: { orders: 1_000_000 } })).tables.orders!.estimate).toBe(500_000)
  })

  it('says "at least" when the source can\'t tell its size, and stops reading at the sample (the source is closed)', async () => {
    let closed = false
    let produced = 0
    const endless: Source = {
      tables: () => [{ table: 'events', primaryKey: ['id'] }],
      async *read() {
        try {
          for (let p = 0; ; p++) {
            produced += 100
            yield op.upsert('events', Array.from({ length: 100 }, (_, i) => ({ id: p * 100 + i })))
          }
        } finally {
          closed = true
        }
      },
    }
    const e = await estimateMar(endless, { sample: 250 })
    expect(e).toMatchObject({ total: 250, atLeast: true, complete: false, sampledRows: 250, tables: { events: { distinctKeys: 250, estimate: 250, basis: 'at-least' } } })
    expect(closed).toBe(true)
    expect(produced).toBe(300)
  })

  it('rejects a bad sample size', async () => {
    await expect(estimateMar(fromIterable('t', []), { sample: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
