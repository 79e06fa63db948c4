import { describe, expect, it } from 'vitest'
import { fromIterable, memory, type Sink } from '../../src/index.js'
import { createConnector } from '../../src/connector/create-connector.js'

/** A destination with every writer method but no lease methods (a user's own sink, say). */
function leaselessSink(): Sink {
  const { acquireLease: _a, releaseLease: _r, ...rest } = memory()
  void _a
  void _r
  return { ...rest, name: 'leaseless' } as Sink
}

describe('createConnector({ lease }) on a destination without leases', () => {
  it('is refused with CONFIG_INVALID naming the option and the destination, not granted forever', () => {
    const source = fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] })
    let error: unknown
    try {
      createConnector({ id: 'c', source, destination: leaselessSink(), lease: { ttl: '30s' } })
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', context: { option: 'createConnector.lease', destination: 'leaseless' } })
    expect(String((error as Error).message)).toMatch(/keeps no leases/)
  })

  it('runs without the option (only in-process overlap is guarded, as documented)', async () => {
    const c = createConnector({ id: 'c', source: fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }), destination: leaselessSink() })
    expect((await c.sync()).status).toBe('succeeded')
  })
})
