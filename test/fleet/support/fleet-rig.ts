/**
 * Everything a fleet proof stands on, started together and torn down together even when the proof
 * fails: a private Redis, the items API, a unique destination schema, the worker processes, and a
 * `fleet()` handle in the test process (to trigger runs and read status). `expectExact` holds the
 * comparison every proof ends with: the destination equals the source row for row, the state is
 * `{ after: maxId }` with no partition rows left, and MAR equals a single-process sync's.
 */
import { expect } from 'vitest'
import { sync } from '../../../src/index.js'
import { postgres } from '../../../src/postgres.js'
import { fleet, type Fleet } from '../../../src/bullmq.js'
import { startPrivateRedis, type PrivateRedis } from '../../support/private-redis.js'
import { expectedContentHash, fleetApi, type FleetApi } from './fleet-api.js'
import { dropSchema, itemsConnector, itemsSource, MAR_MONTH_MS, PG_URL, uniqueSchema } from './fleet-connector.js'
import { marOf, savedStates, tableSummary } from './destination-check.js'
import { workerPool, type WorkerPool } from './worker-pool.js'

export const CONNECTOR = 'items'

export interface RigOptions {
  /** Part of the schema name. */
  readonly name: string
  readonly rows: number
  /** Ids per partition. */
  readonly span: number
  readonly latencyMs?: number
  /** Extra env of every worker (FLEET_LOCK_MS, FLEET_STALLED_MS, FLEET_EVERY_MS, …). */
  readonly workerEnv?: Readonly<Record<string, string>>
  /** Fleet options of the test's handle. */
  readonly attempts?: number
  readonly everyMs?: number
}

export interface Rig {
  readonly redis: PrivateRedis
  readonly api: FleetApi
  readonly schema: string
  readonly pool: WorkerPool
  readonly fleet: Fleet
  readonly connection: { readonly host: string; readonly port: number }
  /** Starts workers w1…wN. */
  startWorkers(n: number): Promise<void>
  /** Tears everything down; safe to call twice. */
  close(): Promise<void>
}

/** Starts the rig; on a failure half-way, stops what it started. */
export async function startRig(o: RigOptions): Promise<Rig> {
  const cleanups: (() => Promise<unknown>)[] = []
  const close = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
  }
  try {
    const redis = await startPrivateRedis()
    cleanups.push(() => redis.stop())
    const api = await fleetApi({ rows: o.rows, ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}) })
    cleanups.push(() => api.close())
    const schema = uniqueSchema(o.name)
    cleanups.push(() => dropSchema(schema))
    const pool = await workerPool({
      FLEET_API: api.url,
      FLEET_SCHEMA: schema,
      FLEET_REDIS_PORT: String(redis.port),
      FLEET_CONNECTOR: CONNECTOR,
      FLEET_SPAN: String(o.span),
      ...(o.everyMs !== undefined ? { FLEET_EVERY_MS: String(o.everyMs) } : {}),
      ...o.workerEnv,
    })
    cleanups.push(() => pool.close())
    const connection = { host: '127.0.0.1', port: redis.port }
    const f = await fleet({
      connection,
      connectors: [itemsConnector({ id: CONNECTOR, apiUrl: api.url, schema, span: o.span, worker: 'test', ...(o.everyMs !== undefined ? { everyMs: o.everyMs } : {}) })],
      ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
    })
    cleanups.push(() => f.close())
    return {
      redis, api, schema, pool, fleet: f, connection,
      async startWorkers(n) {
        await Promise.all(Array.from({ length: n }, (_, i) => pool.start(`w${i + 1}`)))
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** MAR of one uninterrupted single-process `sync()` of the same API (own schema, dropped after). */
export async function singleProcessMar(apiUrl: string, span: number): Promise<Record<string, number>> {
  const schema = uniqueSchema('reference')
  try {
    const report = await sync({
      source: itemsSource({ id: CONNECTOR, apiUrl, schema, span, concurrency: 4 }),
      destination: postgres({ connection: PG_URL, schema }),
      connectorId: CONNECTOR,
      mar: { mode: 'exact', clock: { now: () => MAR_MONTH_MS } },
    })
    expect(report.status, JSON.stringify(report.error)).toBe('succeeded')
    return await marOf(schema, CONNECTOR)
  } finally {
    await dropSchema(schema)
  }
}

/** The destination equals the source row for row; state `{ after: rows }`, no partition state left; MAR as `reference`. */
export async function expectExact(schema: string, rows: number, reference: Record<string, number>): Promise<void> {
  const summary = await tableSummary(schema)
  expect(summary).toEqual({ count: rows, distinct: rows, minId: 1, maxId: rows, hash: expectedContentHash(rows) })
  const states = await savedStates(schema)
  expect(states.get(CONNECTOR)).toEqual({ after: rows })
  expect([...states.keys()].filter((id) => id.startsWith(`${CONNECTOR}#`)), 'partition state rows left behind').toEqual([])
  expect(await marOf(schema, CONNECTOR)).toEqual(reference)
  expect(reference).toEqual({ items: rows })
}

/** What a proof prints when the fleet did not finish: counts, the fleet's status and each worker's last lines. */
export async function diagnose(rig: Rig, lines = 15): Promise<string> {
  const status = await Promise.race([rig.fleet.status().catch((e: unknown) => String(e)), sleep(5_000).then(() => 'status timed out')])
  const workers = ['test', ...rig.pool.alive(), ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `w${i}`)].filter((n, i, all) => all.indexOf(n) === i)
  const tails = workers.flatMap((n) => {
    const w = rig.pool.get(n)
    return w ? [`--- ${n} (pid ${w.child.pid}):`, ...w.lines.slice(-lines)] : []
  })
  return [`api requests: ${rig.api.requests()}`, `status: ${JSON.stringify(status)}`, ...tails].join('\n')
}

/** A promise's outcome without awaiting it (to poll whether a run finished). */
export function settled<T>(p: Promise<T>): { readonly done: boolean; readonly value: T | undefined; readonly error: unknown } {
  const s = { done: false, value: undefined as T | undefined, error: undefined as unknown }
  p.then((v) => Object.assign(s, { done: true, value: v }), (e: unknown) => Object.assign(s, { done: true, error: e }))
  return s
}

/** Waits `ms` (between kills: the proofs pace by progress, this only spaces polls). */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
