/**
 * The connector every fleet proof and the fleet bench run: `idCursor` over the fleet API (fleet-api.ts)
 * through `httpClient`, into `postgres({ schema })` on the machine's Postgres, MAR metered exactly into
 * one fixed month (whenever the proof runs, fleet and single-process counts land in the same month).
 * Built the same way by the worker processes, the test (for `fleet()`) and the single-process reference.
 */
import pg from 'pg'
import { httpClient, idCursor, type Logger, type Source } from '../../../src/index.js'
import { postgres } from '../../../src/postgres.js'
import type { FleetConnector } from '../../../src/bullmq.js'
import type { FleetItem } from './fleet-api.js'

/** The machine's PostgreSQL 15 (trust auth, database `test`). */
export const PG_URL = process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** Every sync meters into this month: 2026-11. */
export const MAR_MONTH_MS = Date.UTC(2026, 10, 15)
export const MAR_MONTH = '2026-11'
export const TABLE = 'items'

export interface FleetConnectorSpec {
  /** Connector id. */
  readonly id: string
  readonly apiUrl: string
  readonly schema: string
  /** Ids per partition (idCursor `span`). */
  readonly span: number
  /** idCursor's own parallel ranges inside one sync. Default 1 (the fleet is the parallelism). */
  readonly concurrency?: number
  /** Rows per request, largest take size. Default 500. */
  readonly page?: number
  /** idCursor `checkpointEvery.rows` (default: idCursor's, 10k rows or 1 s). */
  readonly checkpointRows?: number
  /** Sent as `x-worker` on every request (the API remembers who asked what). */
  readonly worker?: string
  /** `{ every }` in ms: a scheduled connector. */
  readonly everyMs?: number
  readonly logger?: Logger
}

/** The idCursor source over the API (closes nothing: the http client lives as long as the process). */
export function itemsSource(spec: FleetConnectorSpec): Source {
  const page = spec.page ?? 500
  const api = httpClient({ baseUrl: spec.apiUrl, connections: Math.max(2, spec.concurrency ?? 1), ...(spec.worker ? { headers: { 'x-worker': spec.worker } } : {}) })
  return idCursor({
    table: TABLE,
    id: spec.id,
    sizes: [page, Math.max(1, page >> 1), 50, 10, 1].filter((s, i, all) => i === 0 || s < all[i - 1]!),
    span: spec.span,
    concurrency: spec.concurrency ?? 1,
    ...(spec.checkpointRows !== undefined ? { checkpointEvery: { rows: spec.checkpointRows } } : {}),
    maxId: async ({ signal }) => (await api.requestJson<{ max: number }>({ path: '/max', signal })).data.max,
    fetch: async ({ after, before, size, signal }) =>
      (await api.requestJson<FleetItem[]>({ path: '/items', query: { after, before, limit: size }, signal })).data as unknown as Record<string, unknown>[],
  })
}

/** The fleet connector of `spec`. */
export function itemsConnector(spec: FleetConnectorSpec): FleetConnector {
  return {
    id: spec.id,
    source: itemsSource(spec),
    destination: postgres({ connection: PG_URL, schema: spec.schema }),
    mar: { mode: 'exact', clock: { now: () => MAR_MONTH_MS } },
    ...(spec.everyMs !== undefined ? { schedule: { every: spec.everyMs } } : {}),
    ...(spec.logger ? { logger: spec.logger } : {}),
  }
}

/** Drops `schema` and everything in it (test clean-up; never fails the test that calls it). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  try {
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`)
  } catch {
    // best effort: a left-over schema of a crashed run has a unique name and harms nothing
  } finally {
    await client.end().catch(() => {})
  }
}

/** A schema name no other run uses: `fleet_<what>_<random>`. */
export function uniqueSchema(what: string): string {
  return `fleet_${what}_${Math.random().toString(36).slice(2, 10)}`
}
