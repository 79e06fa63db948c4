import { describe, expect, it } from 'vitest'
import { configuredSource, fromIterable, memory, op, sync, type Configuration, type Source } from '../../src/index.js'

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
})
