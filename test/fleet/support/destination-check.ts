/**
 * What the fleet proofs read back from a destination schema to compare it with the source: row
 * counts and a content hash of `items`, the saved state of a connector, which connector ids still
 * hold state rows (partitions must be gone once their backfill completed), and MAR.
 */
import pg from 'pg'
import { postgres } from '../../../src/postgres.js'
import { parseState } from '../../../src/core/json-state.js'
import { MAR_MONTH, PG_URL, TABLE } from './fleet-connector.js'

/** `items` as the destination holds it. */
export interface TableSummary {
  readonly count: number
  readonly distinct: number
  readonly minId: number | null
  readonly maxId: number | null
  /** See `expectedContentHash` (fleet-api.ts). */
  readonly hash: string | null
}

async function withClient<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end().catch(() => {})
  }
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Count, distinct ids, id range and content hash of `schema.items`. */
export function tableSummary(schema: string): Promise<TableSummary> {
  return withClient(async (c) => {
    const r = await c.query<{ count: string; distinct: string; min: string | null; max: string | null; hash: string | null }>(
      `SELECT count(*) AS count, count(DISTINCT "id") AS distinct, min("id")::text AS min, max("id")::text AS max,
              md5(string_agg("id"::text || ':' || "name" || ':' || "qty"::text, ',' ORDER BY "id")) AS hash
         FROM ${q(schema)}.${q(TABLE)}`,
    )
    const row = r.rows[0]!
    return { count: Number(row.count), distinct: Number(row.distinct), minId: row.min === null ? null : Number(row.min), maxId: row.max === null ? null : Number(row.max), hash: row.hash }
  })
}

/** Every state row of the schema: connector id → state. */
export function savedStates(schema: string): Promise<Map<string, unknown>> {
  return withClient(async (c) => {
    const r = await c.query<{ connector_id: string; state: unknown }>(`SELECT "connector_id", "state" FROM ${q(schema)}."_sluice_state" ORDER BY "connector_id"`)
    // A row `fence` made before any checkpoint has an empty state: no state yet.
    return new Map(r.rows.map((row) => [row.connector_id, row.state === '' ? undefined : parseState(String(row.state), `${schema}._sluice_state`)]))
  })
}

/** Finished syncs of `connectorId` from `_sluice_syncs`, oldest first: start, end and status. */
export function syncRuns(schema: string, connectorId: string): Promise<{ startedAt: number; endedAt: number; status: string; rows: number }[]> {
  return withClient(async (c) => {
    const r = await c.query<{ started_at: Date; ended_at: Date; status: string; rows: string }>(
      `SELECT "started_at", "ended_at", "status", "rows" FROM ${q(schema)}."_sluice_syncs" WHERE "connector_id" = $1 ORDER BY "started_at"`,
      [connectorId],
    )
    return r.rows.map((row) => ({ startedAt: new Date(row.started_at).getTime(), endedAt: new Date(row.ended_at).getTime(), status: row.status, rows: Number(row.rows) }))
  })
}

/** MAR rows of `connectorId` in the proofs' month, per table, as the sink reads them back. */
export async function marOf(schema: string, connectorId: string): Promise<Record<string, number>> {
  const sink = postgres({ connection: PG_URL, schema })
  const rows = (await sink.readMar?.({ connectorId, month: MAR_MONTH })) ?? []
  return Object.fromEntries(rows.map((r) => [r.table, r.rows]))
}
