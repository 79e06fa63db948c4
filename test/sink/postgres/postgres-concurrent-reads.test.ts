import pg from 'pg'
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

  it('a read takes one statement where its table exists; on a destination no sync wrote it still answers nothing; a failing read still fails; borrowing leaks no listener', async () => {
    const schema = fresh.next()
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 })
    const statements: string[] = []
    const clients: pg.PoolClient[] = []
    pool.on('connect', (client) => {
      clients.push(client as pg.PoolClient)
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const q = args[0] as string | { text?: string }
        statements.push(typeof q === 'string' ? q : (q.text ?? ''))
        return query(...args)
      }
    })
    try {
      const sink = postgres({ connection: pool, schema })
      // Nothing here yet (not even the schema): empty answers, no error.
      expect(await sink.loadConnector!({ connectorId: 'c' })).toBeUndefined()
      expect(await sink.history!({ connectorId: 'c' })).toEqual([])
      expect(await sink.readMar!({ month: '2026-11' })).toEqual([])
      await sink.saveConnector!({ connectorId: 'c', paused: true })
      const report = await sync({ source: fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }), destination: sink, connectorId: 'd' })
      expect(report.status).toBe('succeeded')

      statements.length = 0
      expect(await sink.loadConnector!({ connectorId: 'c' })).toMatchObject({ paused: true })
      expect(statements).toHaveLength(1)
      expect(statements[0]).toMatch(/_sluice_connectors/)
      statements.length = 0
      expect(await sink.history!({ connectorId: 'd' })).toHaveLength(1)
      expect(statements).toHaveLength(1)

      // Borrowing a pooled client again and again adds no listener each time (it used to: a fleet worker's clients grew thousands).
      const before = clients.map((c) => c.listenerCount('error'))
      for (let i = 0; i < 20; i++) await sink.loadConnector!({ connectorId: 'c' })
      expect(clients.map((c) => c.listenerCount('error'))).toEqual(before)

      // A read that fails for another reason (here: the table it names is gone from under it, but
      // the error is checked against the table, which exists) is not taken for "nothing yet".
      await pool.query(`ALTER TABLE "${schema}"."_sluice_syncs" RENAME COLUMN "report" TO "report_moved"`)
      await expect(sink.history!({ connectorId: 'd' })).rejects.toThrow(/report/)
    } finally {
      await pool.end()
    }
  })
})
