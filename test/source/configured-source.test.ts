import { describe, expect, it } from 'vitest'
import { configuredSource, fromIterable, idCursor, memory, op, sync, type Configuration, type Source } from '../../src/index.js'

describe('configuredSource', () => {
  it('builds the source once per configuration, shared by tables() and read(), and syncs its rows', async () => {
    const built: Configuration[] = []
    const source = configuredSource('shop', (configuration) => {
      built.push(configuration)
      return fromIterable('orders', [{ id: 1, region: configuration.region }], { primaryKey: ['id'] })
    })
    const sink = memory()
    const configuration = { region: 'eu' }
    const report = await sync({ source, destination: sink, configuration })
    expect(report).toMatchObject({ status: 'succeeded', connectorId: 'shop', rows: 1 })
    expect(built).toEqual([configuration])
    expect(await sink.read!({ table: 'orders' })).toMatchObject([{ id: 1, region: 'eu' }])
  })

  it("keeps the built source's readAhead: a built-in source reads past a checkpoint, a user source does not", async () => {
    const reading = configuredSource('a', () => fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }))
    const acking = configuredSource('b', (): Source => ({ async *read() { yield op.upsert('t', [{ id: 1 }]); yield op.checkpoint({ n: 1 }) } }))
    expect(reading.readAhead).toBe(false) // unknown until built
    await sync({ source: reading, destination: memory() })
    await sync({ source: acking, destination: memory() })
    expect(reading.readAhead).toBe(true)
    expect(acking.readAhead).toBe(false)
  })

  it("keeps the built source's partitions: planned and read with the connector's configuration", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: i + 1 }))
    const source = configuredSource('ids', (configuration) =>
      idCursor({
        table: 'ids', span: Number(configuration.span), maxId: () => 300,
        fetch: async ({ after, before, size }) => rows.filter((r) => r.id > after && (before === undefined || r.id < before)).slice(0, size),
      }),
    )
    const configuration = { span: '100' }
    const plan = (await source.partitions!({ state: undefined, configuration, signal: new AbortController().signal, max: 8 }))!
    expect(plan.partitions.map((p) => p.key)).toEqual(['id.0-100', 'id.100-200', 'id.200-300'])
    const sink = memory()
    for (const p of plan.partitions) {
      const part = source.partition!(p)
      expect(part.id).toBe(`ids#${p.key}`)
      const report = await sync({ source: part, destination: sink, configuration, connectorId: part.id })
      expect(report.status).toBe('succeeded')
    }
    expect(sink.rows('ids')).toHaveLength(300)
    // A built source that can't split: no plan, and a partition of it is refused when read.
    const plain = configuredSource('plain', () => fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }))
    expect(await plain.partitions!({ state: undefined, configuration: {}, signal: new AbortController().signal, max: 8 })).toBeUndefined()
    const report = await sync({ source: plain.partition!({ key: 'x', bounds: {} }), destination: memory(), configuration: {} })
    expect(report.error).toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
