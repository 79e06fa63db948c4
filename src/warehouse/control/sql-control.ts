import type { ConnectorStore, LeaseResult } from '../../contracts/connector-store.js'
import type { OpsReader } from '../../contracts/ops-reader.js'
import type { SyncReport } from '../../contracts/sync-report.js'
import { sqlOpsReader } from './sql-ops-reader.js'
import { withPlaceholders, type SqlConnection, type SqlDialect } from '../sql/sql-dialect.js'

/**
 * How the control methods reach a SQL destination without beginning a sync's transaction (they
 * work with no sync open; Postgres and DuckDB use a connection of their own so a lease renewal
 * never waits on the sync, SQLite the sink's own handle so it never waits on its own write
 * lock): `read` runs `work` where
 * `table` exists (else answers `empty`); `write` runs it with the operations tables created —
 * unless `existing` names the one table the work needs: then a destination may skip the work
 * (answering undefined) where that table is missing rather than create anything (Postgres:
 * releasing a lease on a schema never synced to creates no schema).
 */
export interface SqlControlAccess {
  readonly dialect: SqlDialect
  read<T>(table: string, work: (connection: SqlConnection) => Promise<T>, empty: T): Promise<T>
  write<T>(work: (connection: SqlConnection) => Promise<T>, existing?: string): Promise<T | undefined>
  /**
   * Who holds the destination when `error` says another process keeps it locked (SQLite's write
   * lock past the busy timeout, DuckDB's file lock): that process is the one running, so the
   * lease is not ours. Undefined for any other error, which is thrown.
   */
  lockedBy?(error: unknown): string | undefined
}

/**
 * The `ConnectorStore` methods of a SQL destination: history from `_sluice_syncs`, leases in
 * `_sluice_leases`, pause flags in `_sluice_connectors`. A lease is taken with one atomic upsert
 * whose WHERE lets only its holder or an expired lease through (the rule of `lease-rule.ts`), so
 * two processes racing for it can't both win.
 *
 * @example
 * ```ts
 * import { sqlControl, type SqlControlAccess } from './sql-control.js'
 * declare const access: SqlControlAccess
 * const { acquireLease, history } = sqlControl(access)
 * ```
 */
export function sqlControl(access: SqlControlAccess): Required<ConnectorStore> & Required<OpsReader> {
  const d = access.dialect
  const p = (text: string) => withPlaceholders(d, text)
  const leases = d.table('_sluice_leases')
  const connectors = d.table('_sluice_connectors')
  const sql = {
    take: p(`INSERT INTO ${leases} ("name", "holder", "expires_at", "acquired_at") VALUES (?, ?, ?, ?)
     ON CONFLICT ("name") DO UPDATE SET "holder" = excluded."holder", "expires_at" = excluded."expires_at",
       "acquired_at" = CASE WHEN "_sluice_leases"."holder" = excluded."holder" THEN "_sluice_leases"."acquired_at" ELSE excluded."acquired_at" END
     WHERE "_sluice_leases"."holder" = excluded."holder" OR "_sluice_leases"."expires_at" <= excluded."acquired_at"
     RETURNING "holder"`),
    held: p(`SELECT "holder", "expires_at" FROM ${leases} WHERE "name" = ?`),
    release: p(`DELETE FROM ${leases} WHERE "name" = ? AND "holder" = ?`),
    load: p(`SELECT "paused", "updated_at" FROM ${connectors} WHERE "connector_id" = ?`),
    save: p(`INSERT INTO ${connectors} ("connector_id", "paused", "updated_at") VALUES (?, ?, ${d.now})
     ON CONFLICT ("connector_id") DO UPDATE SET "paused" = excluded."paused", "updated_at" = excluded."updated_at"`),
  }
  return {
    ...sqlOpsReader(access),
    async history({ connectorId, limit = 20 }) {
      const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 20
      return access.read(
        '_sluice_syncs',
        async (c) => {
          const rows = await c.query(p(`SELECT CAST("report" AS TEXT) AS "report" FROM ${d.table('_sluice_syncs')} WHERE "connector_id" = ? ORDER BY ${d.newestFirst} LIMIT ${count}`), [connectorId])
          return rows.map((row) => JSON.parse(row.report as string) as SyncReport)
        },
        [],
      )
    },
    async acquireLease({ name, holder, ttlMs, now }) {
      const expiresAt = now + ttlMs
      try {
        return (await access.write(async (c): Promise<LeaseResult> => {
          if ((await c.query(sql.take, [name, holder, expiresAt, now])).length === 1) return { acquired: true, expiresAt }
          const [row] = await c.query(sql.held, [name])
          return { acquired: false, holder: (row?.holder as string | undefined) ?? '', expiresAt: Number(row?.expires_at ?? 0) }
        }))! // no `existing`: the work always runs
      } catch (error) {
        const lockedBy = access.lockedBy?.(error)
        if (lockedBy === undefined) throw error
        return { acquired: false, holder: lockedBy, expiresAt }
      }
    },
    async releaseLease({ name, holder }) {
      await access.write((c) => c.query(sql.release, [name, holder]), '_sluice_leases')
    },
    async loadConnector({ connectorId }) {
      return access.read(
        '_sluice_connectors',
        async (c) => {
          const [row] = await c.query(sql.load, [connectorId])
          return row ? { paused: row.paused === true || row.paused === 1, updatedAt: isoText(row.updated_at) } : undefined
        },
        undefined,
      )
    },
    async saveConnector({ connectorId, paused }) {
      await access.write((c) => c.query(sql.save, [connectorId, paused]))
    },
  }
}

/** A timestamp column as ISO-8601 text: a `Date` (Postgres, DuckDB) or the text SQLite stores. */
function isoText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value)
}
