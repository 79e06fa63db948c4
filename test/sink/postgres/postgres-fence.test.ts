import { expect, it } from 'vitest'
import { batchFromRows } from '../../../src/core/batch-from-rows.js'
import { isSluiceError } from '../../../src/core/sluice-error.js'
import { op, sync, type Source } from '../../../src/index.js'
import { postgres } from '../../../src/postgres.js'
import { postgresDriver } from '../../../src/sink/postgres/postgres-driver.js'
import { prepareSchema } from '../../../src/sink/postgres/postgres-meta.js'
import { WarehouseRun } from '../../../src/warehouse/engine.js'
import { describeWithService, pgUnavailable, PG_URL, schemas } from '../../source/postgres/pg-service.js'

const down = await pgUnavailable()
const TABLES = [{ table: 't', primaryKey: ['id'] }]

describeWithService('postgres fencing across connections', 'PostgreSQL', down, () => {
  const fresh = schemas('sluice_fence')
  const ids = async (schema: string) =>
    (await fresh.pool.query<{ id: number }>(`SELECT "id" FROM "${schema}"."t" WHERE NOT "_sluice_deleted" ORDER BY "id"`)).rows.map((r) => Number(r.id))
  const savedState = async (schema: string, connectorId: string) =>
    (await fresh.pool.query<{ state: string; epoch: string }>(`SELECT "state", "epoch" FROM "${schema}"."_sluice_state" WHERE "connector_id" = $1`, [connectorId])).rows[0]

  it('writer A (epoch 1) is mid-transaction when B fences (2): A fails FENCED at its checkpoint, its rows roll back, B then commits', async () => {
    const schema = fresh.next()
    const a = postgres({ connection: PG_URL, schema })
    const b = postgres({ connection: PG_URL, schema })
    const epochA = await a.fence!({ connectorId: 'c' })
    let epochB = 0
    const writerA: Source = {
      id: 'c',
      tables: () => TABLES,
      async *read() {
        yield op.upsert('t', [{ id: 1 }])
        yield op.checkpoint({ by: 'A', n: 1 })
        yield op.upsert('t', [{ id: 2 }])
        // A's transaction is open with row 2 written when B takes over.
        epochB = await b.fence!({ connectorId: 'c' })
        yield op.upsert('t', [{ id: 3 }])
        yield op.checkpoint({ by: 'A', n: 2 })
      },
    }
    const reportA = await sync({ source: writerA, destination: a, connectorId: 'c', fleet: { epoch: epochA } })
    expect(epochB).toBe(epochA + 1)
    expect(reportA.status).toBe('failed')
    expect(reportA.error).toMatchObject({ code: 'FENCED', retryable: false })
    expect(reportA.error!.message).toContain(`epoch ${epochA} but its epoch is now ${epochB}`)
    const bReport = await sync({ source: { id: 'c', tables: () => TABLES, async *read() { yield op.upsert('t', [{ id: 10 }]); yield op.checkpoint({ by: 'B' }) } }, destination: b, connectorId: 'c', fleet: { epoch: epochB } })
    expect(bReport.error).toBeUndefined()
    expect(await ids(schema)).toEqual([1, 10])
    expect(await savedState(schema, 'c')).toEqual({ state: '{"by":"B"}', epoch: String(epochB) })
    // The fenced sync is still recorded, as failed.
    const recorded = await fresh.pool.query(`SELECT "status", "error_code" FROM "${schema}"."_sluice_syncs" WHERE "sync_id" = $1`, [reportA.syncId])
    expect(recorded.rows).toEqual([{ status: 'failed', error_code: 'FENCED' }])
  })

  it('a fence waits for a writer that holds the state row (its commit goes first, with its epoch); the writer\'s next commit is then FENCED', async () => {
    const schema = fresh.next()
    const sink = postgres({ connection: PG_URL, schema })
    const epoch = await sink.fence!({ connectorId: 'c' })
    const client = await fresh.pool.connect()
    try {
      await prepareSchema(client, schema)
      const driver = postgresDriver(client, schema)
      const { run } = await WarehouseRun.open(driver, { connectorId: 'c', syncId: 's1', tables: TABLES, fleet: { epoch } })
      await run.write({ kind: 'records', table: 't', op: 'upsert', batch: batchFromRows([{ id: 1 }]) })
      // What the checkpoint does first: the row is locked in the writer's transaction, at its epoch.
      expect(await driver.fleet!.holdEpoch({ connectorId: 'c', epoch })).toBe(epoch)
      const order: string[] = []
      const fencing = sink.fence!({ connectorId: 'c' }).then((e) => (order.push('fenced'), e))
      // The fence is blocked on the row lock: its backend waits for a lock (polled, no sleep assertion).
      for (;;) {
        const waiting = await fresh.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'`, [schema])
        if (waiting.rows[0].n > 0) break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      // Still waiting when the writer commits; the commit then succeeds at the writer's epoch (had the fence gone
      // first, it would fail FENCED). Which of the two replies this process reads first after the commit is a race.
      expect(order).toEqual([])
      await run.checkpoint('{"n":1}')
      const next = await fencing
      expect(order).toEqual(['fenced'])
      expect(next).toBe(epoch + 1)
      expect(await ids(schema)).toEqual([1])
      await run.write({ kind: 'records', table: 't', op: 'upsert', batch: batchFromRows([{ id: 2 }]) })
      const error = await run.checkpoint('{"n":2}').then(() => undefined, (e: unknown) => e)
      expect(isSluiceError(error) && error.code).toBe('FENCED')
      expect(await ids(schema)).toEqual([1])
      expect(await savedState(schema, 'c')).toEqual({ state: '{"n":1}', epoch: String(epoch + 1) })
    } finally {
      await client.query('ROLLBACK').catch(() => {})
      client.release()
    }
  })

  it('adds the epoch column to a schema made before it, without losing the saved state', async () => {
    const schema = fresh.next()
    const sink = postgres({ connection: PG_URL, schema })
    const first = await sync({ source: { id: 'c', tables: () => TABLES, async *read() { yield op.upsert('t', [{ id: 1 }]); yield op.checkpoint({ n: 1 }) } }, destination: sink, connectorId: 'c' })
    expect(first.error).toBeUndefined()
    await fresh.pool.query(`ALTER TABLE "${schema}"."_sluice_state" DROP COLUMN "epoch"`)
    const again = postgres({ connection: PG_URL, schema })
    expect(await again.fence!({ connectorId: 'c' })).toBe(1)
    expect(await savedState(schema, 'c')).toEqual({ state: '{"n":1}', epoch: '1' })
  })
})
