import type { DuckDBConnection } from '@duckdb/node-api'
import type { ConnectorSettings, LeaseArgs, LeaseResult } from '../../contracts/connector-store.js'
import type { SyncReport } from '../../contracts/sync-report.js'

/** Finished syncs of a connector from `_sluice_syncs`, newest first. */
export async function selectHistory(connection: DuckDBConnection, connectorId: string, limit: number): Promise<SyncReport[]> {
  const reader = await connection.runAndReadAll(
    `SELECT CAST("report" AS VARCHAR) FROM "_sluice_syncs" WHERE "connector_id" = $1 ORDER BY "started_at" DESC, "ended_at" DESC LIMIT ${Math.max(0, Math.floor(limit))}`,
    [connectorId],
  )
  return reader.getRows().map(([text]) => JSON.parse(text as string) as SyncReport)
}

/**
 * Takes or renews a lease with one statement (its own transaction): the row is written only if
 * it is free, expired, or already this holder's, so two holders racing can't both win.
 */
export async function acquireLease(connection: DuckDBConnection, { name, holder, ttlMs, now }: LeaseArgs): Promise<LeaseResult> {
  const expiresAt = now + ttlMs
  const won = await connection.runAndReadAll(
    `INSERT INTO "_sluice_leases" ("name", "holder", "expires_at", "acquired_at") VALUES ($1, $2, $3::BIGINT, $4::BIGINT)
     ON CONFLICT ("name") DO UPDATE SET "holder" = excluded."holder", "expires_at" = excluded."expires_at",
       "acquired_at" = CASE WHEN "_sluice_leases"."holder" = excluded."holder" THEN "_sluice_leases"."acquired_at" ELSE excluded."acquired_at" END
     WHERE "_sluice_leases"."holder" = excluded."holder" OR "_sluice_leases"."expires_at" <= excluded."acquired_at"
     RETURNING "holder"`,
    [name, holder, String(expiresAt), String(now)],
  )
  if (won.getRows().length === 1) return { acquired: true, expiresAt }
  const reader = await connection.runAndReadAll(`SELECT "holder", "expires_at" FROM "_sluice_leases" WHERE "name" = $1`, [name])
  const [row] = reader.getRows()
  return { acquired: false, holder: (row?.[0] as string) ?? '', expiresAt: Number(row?.[1] ?? 0) }
}

/** Gives a lease up, if `holder` still holds it. */
export async function releaseLease(connection: DuckDBConnection, name: string, holder: string): Promise<void> {
  await connection.run(`DELETE FROM "_sluice_leases" WHERE "name" = $1 AND "holder" = $2`, [name, holder])
}

export async function loadConnector(connection: DuckDBConnection, connectorId: string): Promise<ConnectorSettings | undefined> {
  const reader = await connection.runAndReadAll(
    `SELECT "paused", strftime("updated_at" AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') FROM "_sluice_connectors" WHERE "connector_id" = $1`,
    [connectorId],
  )
  const [row] = reader.getRows()
  return row ? { paused: row[0] === true, updatedAt: row[1] as string } : undefined
}

export async function saveConnector(connection: DuckDBConnection, connectorId: string, paused: boolean): Promise<void> {
  await connection.run(
    `INSERT INTO "_sluice_connectors" ("connector_id", "paused", "updated_at") VALUES ($1, $2, now())
     ON CONFLICT ("connector_id") DO UPDATE SET "paused" = excluded."paused", "updated_at" = excluded."updated_at"`,
    [connectorId, paused],
  )
}
