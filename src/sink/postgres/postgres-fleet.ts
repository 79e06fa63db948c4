import type pg from 'pg'
import { quoteIdent } from '../../core/normalize-name.js'
import { quoteLiteral } from '../../db/postgres-connection.js'
import type { TableLayout } from '../layout/table-layout.js'
import type { FleetDriver } from '../../warehouse/driver.js'
import { fencedPending, type FenceArgs } from '../../warehouse/fence-row.js'
import { sqlMarStorage } from '../../warehouse/mar/sql-mar-storage.js'
import { loadState, readStateRow, takenNamesSql } from './postgres-meta.js'
import { connectionOf, postgresDialect } from './postgres-stores.js'

type Queryable = Pick<pg.PoolClient, 'query'>

/**
 * Takes over a connector id (`SinkStateStore.fence`) on a client outside any sync: bumps its
 * epoch (creating its row, with no state, if missing) and, with `truncate`, registers those
 * tables' truncates at the fence, in one transaction committed before it resolves.
 *
 * @example
 * ```ts
 * import type pg from 'pg'
 * import { fencePostgres } from './postgres-fleet.js'
 * declare const client: pg.PoolClient
 * const epoch = await fencePostgres(client, 'raw', { connectorId: 'orders#p3' })
 * ```
 */
export async function fencePostgres(client: Queryable, schema: string, args: FenceArgs): Promise<number> {
  const t = `${quoteIdent(schema)}."_sluice_state"`
  const bump = `INSERT INTO ${t} ("connector_id", "state", "pending_truncates", "updated_at", "epoch") VALUES ($1, '', $2, now(), 1)
    ON CONFLICT ("connector_id") DO UPDATE SET "epoch" = ${t}."epoch" + 1, "pending_truncates" = COALESCE($3, ${t}."pending_truncates"), "updated_at" = now() RETURNING "epoch"`
  if (!args.truncate?.length) return Number((await client.query<{ epoch: string }>(bump, [args.connectorId, '{}', null])).rows[0]!.epoch)
  await client.query('BEGIN')
  try {
    // The row locked while its pending truncates are read and written back (a concurrent fence waits).
    await client.query(`INSERT INTO ${t} ("connector_id", "state", "pending_truncates", "updated_at", "epoch") VALUES ($1, '', '{}', now(), 0) ON CONFLICT DO NOTHING`, [args.connectorId])
    await client.query(`SELECT 1 FROM ${t} WHERE "connector_id" = $1 FOR UPDATE`, [args.connectorId])
    const pending = JSON.stringify(fencedPending(await loadState(client, schema, args.connectorId), args.truncate))
    const r = await client.query<{ epoch: string }>(bump, [args.connectorId, pending, pending])
    await client.query('COMMIT')
    return Number(r.rows[0]!.epoch)
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

/**
 * The Postgres driver's fleet methods (`FleetDriver`) on the sync's client.
 *
 * `holdEpoch` is `SELECT … FOR UPDATE` of the state row in the writer's open transaction, right
 * before its COMMIT. Why no update is lost under READ COMMITTED, whichever comes first:
 * - a fence committed before: the SELECT (a new snapshot per statement) sees the new epoch → FENCED;
 * - a fence running (it holds the row lock, uncommitted): the SELECT waits for it, then reads the
 *   row's latest version (READ COMMITTED re-reads a locked row once its locker commits) → FENCED;
 * - the writer locked first: the fence's UPDATE waits until the writer committed, then bumps the
 *   epoch; the writer still owned the connector when it committed, and the new writer's `open`
 *   (after its fence) loads what it committed.
 * So a writer commits only while its epoch is the row's, and no fence slips in between.
 *
 * @example
 * ```ts
 * import type pg from 'pg'
 * import { postgresFleet } from './postgres-fleet.js'
 * declare const client: pg.PoolClient
 * const fleet = postgresFleet(client, 'raw')
 * ```
 */
export function postgresFleet(client: pg.PoolClient, schema: string): FleetDriver {
  const t = `${quoteIdent(schema)}."_sluice_state"`
  return {
    async stateRow(connectorId) {
      const row = await readStateRow(client, schema, connectorId)
      return row && { pending: row.pending, lastSynced: row.lastSynced, epoch: row.epoch }
    },
    async holdEpoch({ connectorId }) {
      const r = await client.query<{ epoch: string }>(`SELECT "epoch" FROM ${t} WHERE "connector_id" = $1 FOR UPDATE`, [connectorId])
      return r.rows[0] ? Number(r.rows[0].epoch) : undefined
    },
    async committedLayout(table, lock) {
      // One round trip. Under READ COMMITTED each statement reads with a snapshot of its own: the reads' are taken after the lock was granted.
      const results = (await client.query(
        `${lock ? `SELECT pg_advisory_xact_lock(hashtext(${quoteLiteral(`sluice-layouts:${schema}`)}));` : ''}
         SELECT "layout" FROM ${quoteIdent(schema)}."_sluice_tables" WHERE "source_name" = ${quoteLiteral(table)} ORDER BY "name" DESC LIMIT 1;
         ${takenNamesSql(schema)}`,
      )) as unknown as pg.QueryResult[]
      const [found, names] = results.slice(-2) as [pg.QueryResult<{ layout: TableLayout }>, pg.QueryResult<{ name: string }>]
      return { layout: found.rows[0]?.layout, taken: names.rows.map((row) => row.name) }
    },
    async dropStates(connectorIds) {
      if (connectorIds.length === 0) return 0
      const r = await client.query<{ last: Date | null }>(`WITH gone AS (DELETE FROM ${t} WHERE "connector_id" = ANY($1) RETURNING "last_synced") SELECT max("last_synced") AS last FROM gone`, [connectorIds])
      return r.rows[0]?.last?.getTime() ?? 0
    },
    mar: sqlMarStorage(connectionOf(client), postgresDialect(schema)),
  }
}
