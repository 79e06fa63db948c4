import pg from 'pg'
import { afterEach, expect, it } from 'vitest'
import { batchFromRows } from '../../../src/core/batch-from-rows.js'
import type { SyncReport } from '../../../src/contracts/sync-report.js'
import { postgresDriver } from '../../../src/sink/postgres/postgres-driver.js'
import { loadLayouts, prepareSchema } from '../../../src/sink/postgres/postgres-meta.js'
import { fencePostgres } from '../../../src/sink/postgres/postgres-fleet.js'
import { WarehouseRun } from '../../../src/warehouse/engine.js'
import { describeWithService, pgUnavailable, PG_URL, schemas } from '../../source/postgres/pg-service.js'

const down = await pgUnavailable()
const report: SyncReport = { status: 'succeeded', connectorId: 'c', syncId: 's', startedAt: '2026-12-06T00:00:00.000Z', endedAt: '2026-12-06T00:00:01.000Z', durationMs: 0, rows: 0, checkpoints: 0, schemaChanges: 0, tables: {} }
const rows = (list: Record<string, unknown>[]) => ({ kind: 'records' as const, table: 't', op: 'upsert' as const, batch: batchFromRows(list) })

/**
 * A backfill's partitions are syncs of their own (connector ids `c#<key>`) writing one table from
 * many connections: each loaded the layouts when it opened, before the others created or changed
 * the table. The engine plans each schema change again under the destination's layout lock.
 */
describeWithService('postgres: writers sharing a table layout', 'PostgreSQL', down, () => {
  const fresh = schemas('sluice_layout')
  // Each writer on a client of its own, outside the pool (which the test's own reads use).
  const clients: pg.Client[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end()))
  })
  const connect = async () => {
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    clients.push(client)
    return client
  }
  /** A partition run `c#<key>` on a connection of its own, fenced at its epoch and opened now. */
  const partition = async (schema: string, key: string, epoch?: number) => {
    const client = await connect()
    await prepareSchema(client, schema)
    const fenced = await fencePostgres(client, schema, { connectorId: `c#${key}` })
    const { run } = await WarehouseRun.open(postgresDriver(client as pg.PoolClient, schema), { connectorId: `c#${key}`, syncId: key, tables: [{ table: 't', primaryKey: ['id'] }], fleet: { epoch: epoch ?? fenced, partitionOf: 'c' } })
    return run
  }
  /** Table t with layout [id] and row 1, committed by an earlier partition run. */
  const seeded = async (schema: string) => {
    const first = await partition(schema, 'a')
    await first.write(rows([{ id: 1 }]))
    await first.checkpoint('{}')
    await first.close(true, report)
  }
  const table = async (schema: string) => (await fresh.pool.query(`SELECT "id", "x", "y" FROM "${schema}"."t" ORDER BY "id"`)).rows.map((r) => [Number(r.id), r.x, r.y])
  const history = async (schema: string) =>
    (await fresh.pool.query(`SELECT "change", "column_name", "sync_id" FROM "${schema}"."_sluice_schema_history" ORDER BY "id"`)).rows.map((r) => [r.change, r.column_name, r.sync_id])
  const columns = async (schema: string) => {
    const client = await fresh.pool.connect()
    try {
      return (await loadLayouts(client, schema)).get('t')!.columns.map((c) => c.source)
    } finally {
      client.release()
    }
  }
  const seen = (schema: string) => fresh.pool.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`"${schema}"."t"`]).then((r) => r.rows[0].ok as boolean)

  it('partitions opened before the table existed: the first creates it (committed alone, at once), the others write into it without waiting or failing', async () => {
    const schema = fresh.next()
    const runs = [await partition(schema, 'a'), await partition(schema, 'b'), await partition(schema, 'c')]
    await runs[0]!.write(rows([{ id: 1, x: 'a' }]))
    // The CREATE TABLE is committed (another connection sees the table), a's row is not.
    expect(await seen(schema)).toBe(true)
    expect((await fresh.pool.query(`SELECT count(*)::int AS n FROM "${schema}"."t"`)).rows).toEqual([{ n: 0 }])
    // b writes while a's transaction is open: before the change it blocked on a's uncommitted table, then failed "already exists".
    expect(await runs[1]!.write(rows([{ id: 2, x: 'b' }]))).toEqual([])
    // c's rows bring a column: its ALTER TABLE waits for a's and b's open transactions (Postgres's table lock), then goes through.
    const cWrite = runs[2]!.write(rows([{ id: 3, x: 'c', y: 2 }]))
    await waitForLockWait(fresh.pool)
    for (const [i, run] of runs.slice(0, 2).entries()) await run.checkpoint(`{"n":${i}}`)
    expect(await cWrite).toEqual([{ table: 't', change: { type: 'add_column', column: 'y', columnType: 'INT' } }])
    await runs[2]!.checkpoint('{"n":2}')
    for (const run of runs) await run.close(true, report)
    expect(await table(schema)).toEqual([[1, 'a', null], [2, 'b', null], [3, 'c', 2]])
    expect(await history(schema)).toEqual([['create_table', null, 'a'], ['add_column', 'y', 'c']])
    expect(await columns(schema)).toEqual(['id', 'x', 'y'])
  })

  it('two writers add different columns: the saved layout keeps both (neither overwrites the other\'s), and a later run adds neither again', async () => {
    const schema = fresh.next()
    await seeded(schema)
    const [a, b] = [await partition(schema, 'a'), await partition(schema, 'b')]
    // Both opened with layout [id]. a adds x (committed alone, then a's row is written); b's ALTER for y waits for a's row to commit.
    await a.write(rows([{ id: 2, x: 'a' }]))
    const bWrite = b.write(rows([{ id: 3, y: 3 }]))
    await waitForLockWait(fresh.pool)
    await a.checkpoint('{}')
    expect(await bWrite).toEqual([{ table: 't', change: { type: 'add_column', column: 'y', columnType: 'INT' } }])
    await b.checkpoint('{}')
    await a.close(true, report)
    await b.close(true, report)
    expect(await columns(schema)).toEqual(['id', 'x', 'y'])
    const later = await partition(schema, 'c')
    expect(await later.write(rows([{ id: 4, x: 'c', y: 4 }]))).toEqual([])
    await later.checkpoint('{}')
    await later.close(true, report)
    expect(await table(schema)).toEqual([[1, null, null], [2, 'a', null], [3, null, 3], [4, 'c', 4]])
  })

  it('a column added mid-transaction holds the layout lock until that checkpoint: the other writer then finds it added and adds nothing', async () => {
    const schema = fresh.next()
    await seeded(schema)
    const [a, b] = [await partition(schema, 'a'), await partition(schema, 'b')]
    await a.write(rows([{ id: 2 }]))
    // a's transaction holds a row: its ALTER TABLE commits with that row, at a's checkpoint.
    expect(await a.write(rows([{ id: 3, x: 'a' }]))).toHaveLength(1)
    const order: string[] = []
    const bWrite = b.write(rows([{ id: 4, x: 'b' }])).then((changes) => (order.push('b wrote'), changes))
    await waitForLockWait(fresh.pool)
    await a.checkpoint('{}')
    order.push('a committed')
    expect(await bWrite).toEqual([])
    expect(order).toEqual(['a committed', 'b wrote'])
    await b.checkpoint('{}')
    await a.close(true, report)
    await b.close(true, report)
    expect(await history(schema)).toEqual([['create_table', null, 'a'], ['add_column', 'x', 'a']])
    expect((await fresh.pool.query(`SELECT "id", "x" FROM "${schema}"."t" ORDER BY "id"`)).rows.map((r) => [Number(r.id), r.x])).toEqual([[1, null], [2, null], [3, 'a'], [4, 'b']])
  })

  it('a stale writer\'s schema change is fenced like its rows: FENCED, and the table is not created', async () => {
    const schema = fresh.next()
    const stale = await partition(schema, 'a')
    await fencePostgres(await connect(), schema, { connectorId: 'c#a' })
    await expect(stale.write(rows([{ id: 1 }]))).rejects.toMatchObject({ code: 'FENCED' })
    expect(await seen(schema)).toBe(false)
  })
})

/** Resolves once some backend of the test database waits for a lock (polled). */
async function waitForLockWait(pool: pg.Pool): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)
    if (r.rows[0].n > 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('no backend waited for a lock within 5 s')
}

