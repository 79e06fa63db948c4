import type { ReplicationStatus } from '../../../contracts/sync-report.js'
import { pgError, type PostgresConnection } from '../../../db/postgres-connection.js'
import { dropSlot } from './server-setup.js'
import { openSessionClient } from './session-client.js'

/**
 * Where the slot stands: the position committed with the data (`position`, else the slot's
 * confirmed flush), the server's current WAL position, the lag between them, and the WAL the slot
 * retains (`pg_current_wal_lsn() − restart_lsn`). Undefined when the server can't be asked.
 */
export async function slotStatus(connection: PostgresConnection, target: string, slot: string, position: string | undefined): Promise<ReplicationStatus | undefined> {
  let client
  try {
    client = await openSessionClient(connection, target, false)
  } catch {
    return undefined
  }
  try {
    const r = await client.query<{ server: string; confirmed: string | null; retained: string | null; lag: string | null; status: string | null }>(
      `SELECT pg_current_wal_lsn()::text AS server, s.confirmed_flush_lsn::text AS confirmed, s.wal_status AS status,
         pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::int8::text AS retained,
         pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce($2::pg_lsn, s.confirmed_flush_lsn))::int8::text AS lag
       FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s ON s.slot_name = $1`,
      [slot, position ?? null],
    )
    const row = r.rows[0]!
    const at = position ?? row.confirmed
    // No slot and nothing streamed (a sync that failed in its setup): nothing to report.
    if (!at) return undefined
    return {
      kind: 'postgres-logical',
      slot,
      position: at,
      serverPosition: row.server,
      ...(row.lag !== null ? { lagBytes: Math.max(0, Number(row.lag)) } : {}),
      ...(row.retained !== null ? { retainedWalBytes: Number(row.retained) } : {}),
      ...(row.status !== null ? { walStatus: row.status } : {}),
    }
  } catch {
    return undefined
  } finally {
    await client.end().catch(() => {})
  }
}

/** Drops the slot (it stops retaining WAL); the publication stays, it retains nothing. */
export async function dropReplicationSlot(connection: PostgresConnection, target: string, slot: string): Promise<string[]> {
  const client = await openSessionClient(connection, target, false)
  try {
    return (await dropSlot(client, slot)) ? [`replication slot "${slot}"`] : []
  } catch (cause) {
    // Active: a sync streams from it right now (55006).
    throw pgError('SOURCE_FAILED', `postgres replication: dropping slot "${slot}" failed`, cause, { slot })
  } finally {
    await client.end().catch(() => {})
  }
}
