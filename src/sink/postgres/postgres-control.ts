import type { ConnectorStore, LeaseResult } from '../../contracts/connector-store.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { hasMeta } from './postgres-meta.js'
import { hasOps, type PostgresAccess } from './postgres-ops-ddl.js'

/**
 * The connector-operation methods of the Postgres sink (see `ConnectorStore`): history from
 * `_sluice_syncs`, leases in `_sluice_leases`, pause flags in `_sluice_connectors`, each on a
 * client of its own (never the sync's, so a lease renewal never waits on the sync's transaction).
 * A lease is taken with one atomic upsert whose WHERE lets only its holder or an expired lease
 * through, so two processes racing for it can't both win.
 */
export function postgresControl(access: PostgresAccess): Required<ConnectorStore> {
  const t = (name: string) => `${quoteIdent(access.schema)}.${quoteIdent(name)}`
  return {
    async history({ connectorId, limit = 20 }) {
      return access.use(
        false,
        async (client) => {
          if (!(await hasMeta(client, access.schema))) return []
          const r = await client.query<{ report: SyncReport }>(
            `SELECT "report" FROM ${t('_sluice_syncs')} WHERE "connector_id" = $1 ORDER BY "started_at" DESC, "ended_at" DESC LIMIT $2`,
            [connectorId, limit],
          )
          return r.rows.map((row) => row.report)
        },
      )
    },
    async acquireLease({ name, holder, ttlMs, now }) {
      return access.use(
        true,
        async (client): Promise<LeaseResult> => {
          const expiresAt = now + ttlMs
          const r = await client.query(
            `INSERT INTO ${t('_sluice_leases')} AS l ("name", "holder", "expires_at", "acquired_at") VALUES ($1, $2, $3, $4)
             ON CONFLICT ("name") DO UPDATE SET "holder" = excluded."holder", "expires_at" = excluded."expires_at",
               "acquired_at" = CASE WHEN l."holder" = excluded."holder" THEN l."acquired_at" ELSE excluded."acquired_at" END
             WHERE l."holder" = excluded."holder" OR l."expires_at" <= excluded."acquired_at"`,
            [name, holder, expiresAt, now],
          )
          if (r.rowCount === 1) return { acquired: true, expiresAt }
          const row = (await client.query<{ holder: string; expires_at: string }>(`SELECT "holder", "expires_at" FROM ${t('_sluice_leases')} WHERE "name" = $1`, [name])).rows[0]
          return { acquired: false, holder: row?.holder ?? '', expiresAt: Number(row?.expires_at ?? 0) }
        },
      )
    },
    async releaseLease({ name, holder }) {
      await access.use(
        false,
        async (client) => {
          if (await hasOps(client, access.schema)) await client.query(`DELETE FROM ${t('_sluice_leases')} WHERE "name" = $1 AND "holder" = $2`, [name, holder])
        },
      )
    },
    async loadConnector({ connectorId }) {
      return access.use(
        false,
        async (client) => {
          if (!(await hasOps(client, access.schema))) return undefined
          const row = (await client.query<{ paused: boolean; updated_at: Date }>(`SELECT "paused", "updated_at" FROM ${t('_sluice_connectors')} WHERE "connector_id" = $1`, [connectorId])).rows[0]
          return row ? { paused: row.paused, updatedAt: row.updated_at.toISOString() } : undefined
        },
      )
    },
    async saveConnector({ connectorId, paused }) {
      await access.use(
        true,
        async (client) => {
          await client.query(
            `INSERT INTO ${t('_sluice_connectors')} ("connector_id", "paused", "updated_at") VALUES ($1, $2, now())
             ON CONFLICT ("connector_id") DO UPDATE SET "paused" = excluded."paused", "updated_at" = excluded."updated_at"`,
            [connectorId, paused],
          )
        },
      )
    },
  }
}
