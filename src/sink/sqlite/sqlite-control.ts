import type { ConnectorStore, LeaseResult } from '../../contracts/connector-store.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { cached, ensureOpsTables, hasTable, type SqliteAccess } from './sqlite-ops-ddl.js'

/**
 * The connector-operation methods of the SQLite sink (see `ConnectorStore`): history from
 * `_sluice_syncs`, leases in `_sluice_leases`, pause flags in `_sluice_connectors`. A lease is
 * taken with one atomic upsert, so two processes racing for it can't both win; a write lock held
 * by another process past the busy timeout reads as "held by someone else".
 */
export function sqliteControl(access: SqliteAccess): Required<ConnectorStore> {
  return {
    async history({ connectorId, limit = 20 }) {
      return access.use(
        'read',
        (db) => {
          if (!hasTable(db, '_sluice_syncs')) return []
          const rows = db
            .prepare(`SELECT "report" FROM "_sluice_syncs" WHERE "connector_id" = ? ORDER BY "started_at" DESC, rowid DESC LIMIT ?`)
            .pluck()
            .all(connectorId, limit) as string[]
          return rows.map((text) => JSON.parse(text) as SyncReport)
        },
        () => [],
      )
    },
    async acquireLease({ name, holder, ttlMs, now }) {
      try {
        return access.use(
          'write',
          (db): LeaseResult => {
            ensureOpsTables(db)
            const expiresAt = now + ttlMs
            const info = cached(
              db,
              `INSERT INTO "_sluice_leases" ("name", "holder", "expires_at", "acquired_at") VALUES (?, ?, ?, ?)
               ON CONFLICT ("name") DO UPDATE SET "holder" = excluded."holder", "expires_at" = excluded."expires_at",
                 "acquired_at" = CASE WHEN "_sluice_leases"."holder" = excluded."holder" THEN "_sluice_leases"."acquired_at" ELSE excluded."acquired_at" END
               WHERE "_sluice_leases"."holder" = excluded."holder" OR "_sluice_leases"."expires_at" <= excluded."acquired_at"`,
            ).run(name, holder, expiresAt, now)
            if (info.changes === 1) return { acquired: true, expiresAt }
            const row = cached(db, `SELECT "holder", "expires_at" FROM "_sluice_leases" WHERE "name" = ?`).get(name) as { holder: string; expires_at: number }
            return { acquired: false, holder: row.holder, expiresAt: Number(row.expires_at) }
          },
          () => ({ acquired: false, holder: '', expiresAt: 0 }),
        )
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' && !/SQLITE_BUSY|database is locked/i.test(String((error as Error).message))) throw error
        return { acquired: false, holder: 'another writer (the destination stayed locked past the busy timeout)', expiresAt: now + ttlMs }
      }
    },
    async releaseLease({ name, holder }) {
      access.use(
        'write',
        (db) => {
          ensureOpsTables(db)
          cached(db, `DELETE FROM "_sluice_leases" WHERE "name" = ? AND "holder" = ?`).run(name, holder)
        },
        () => undefined,
      )
    },
    async loadConnector({ connectorId }) {
      return access.use(
        'read',
        (db) => {
          if (!hasTable(db, '_sluice_connectors')) return undefined
          const row = db.prepare(`SELECT "paused", "updated_at" FROM "_sluice_connectors" WHERE "connector_id" = ?`).get(connectorId) as
            | { paused: number; updated_at: string }
            | undefined
          return row ? { paused: row.paused === 1, updatedAt: row.updated_at } : undefined
        },
        () => undefined,
      )
    },
    async saveConnector({ connectorId, paused }) {
      access.use(
        'write',
        (db) => {
          ensureOpsTables(db)
          cached(
            db,
            `INSERT INTO "_sluice_connectors" ("connector_id", "paused", "updated_at") VALUES (?, ?, ?)
             ON CONFLICT ("connector_id") DO UPDATE SET "paused" = excluded."paused", "updated_at" = excluded."updated_at"`,
          ).run(connectorId, paused ? 1 : 0, new Date().toISOString())
        },
        () => undefined,
      )
    },
  }
}
