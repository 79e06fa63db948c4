import { expect, it } from 'vitest'
import { fromIterable, sync } from '../../../src/index.js'
import { postgres } from '../../../src/postgres.js'
import { describeWithService, pgUnavailable, PG_URL, schemas } from '../../source/postgres/pg-service.js'

const down = await pgUnavailable()

describeWithService('postgres sink: reads and fences outside a sync, many at once', 'PostgreSQL', down, () => {
  const fresh = schemas('sluice_reads')

  // Regression: each read outside a sync ended the pool sluice owns when it finished, under the
  // reads still waiting for one of its two clients: those never resolved (a fleet worker's jobs
  // hung before their sync started).
  it('all resolve, more of them than the pool has clients, before and after a sync', async () => {
    const schema = fresh.next()
    const sink = postgres({ connection: PG_URL, schema })
    const burst = () =>
      Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 3 === 0 ? sink.loadState!({ connectorId: 'c' }) : i % 3 === 1 ? sink.history!({ connectorId: 'c' }) : sink.fence!({ connectorId: `c#${i}` }),
        ),
      )
    const settle = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a read never resolved')), 20_000))])
    await settle(burst())
    const report = await sync({ source: fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }), destination: sink, connectorId: 'c' })
    expect(report.status).toBe('succeeded')
    const [, , , , history] = await settle(Promise.all([burst(), sink.loadState!({ connectorId: 'c' }), burst(), burst(), sink.history!({ connectorId: 'c' })]))
    expect(history).toHaveLength(1)
  })
})
