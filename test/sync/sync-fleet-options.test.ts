import { describe, expect, it } from 'vitest'
import { memory, memoryState, op, sync, type SyncOptions } from '../../src/index.js'
import { scripted } from '../support/sources.js'

const source = () => scripted([op.upsert('t', [{ id: 1 }]), op.checkpoint({ n: 1 })])
const refused = (fleet: unknown, extra: Partial<SyncOptions> = {}) =>
  sync({ source: source(), destination: memory(), connectorId: 'c', fleet: fleet as SyncOptions['fleet'], ...extra })

describe('sync({ fleet }) is checked before anything runs', () => {
  it.each([
    ['a negative epoch', { epoch: -1 }, 'sync.fleet.epoch'],
    ['a fractional epoch', { epoch: 1.5 }, 'sync.fleet.epoch'],
    ['an epoch as text', { epoch: '1' }, 'sync.fleet.epoch'],
    ['no epoch', {}, 'sync.fleet.epoch'],
    ['an empty partitionOf', { epoch: 1, partitionOf: ' ' }, 'sync.fleet.partitionOf'],
    ['completes not an array', { epoch: 1, completes: 'c#a' }, 'sync.fleet.completes'],
    ['completes with a non-string', { epoch: 1, completes: ['c#a', 3] }, 'sync.fleet.completes'],
    ['both partitionOf and completes', { epoch: 1, partitionOf: 'c', completes: ['c#a'] }, 'sync.fleet.completes'],
    ['an unknown field', { epoch: 1, partition: 'c' }, 'sync.fleet.partition'],
    ['not an object', 3, 'sync.fleet'],
  ])('refuses %s (CONFIG_INVALID naming the field)', async (_, fleet, field) => {
    await expect(refused(fleet)).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: field }, message: expect.stringContaining(field) })
  })

  it('refuses a separate state store: a fleet run\'s state commits with the data', async () => {
    await expect(refused({ epoch: 1 }, { state: memoryState() })).rejects.toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'sync.state' } })
  })

  it('refuses a destination without fence, naming it', async () => {
    const sink = memory()
    const single = { ...sink, name: 'custom', fence: undefined }
    await expect(sync({ source: source(), destination: single, fleet: { epoch: 1 } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('the custom destination') })
  })

  it('passes fleet through the MAR wrapper to the destination (a stale epoch is FENCED with mar on)', async () => {
    const sink = memory()
    await sink.fence!({ connectorId: 'c' })
    await sink.fence!({ connectorId: 'c' })
    const report = await sync({ source: source(), destination: sink, connectorId: 'c', fleet: { epoch: 1 }, mar: { mode: 'exact' } })
    expect(report.status).toBe('failed')
    expect(report.error?.code).toBe('FENCED')
  })
})
