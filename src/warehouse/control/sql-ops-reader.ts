import type { MarThresholdFired, OpsReader, SyncErrorRow } from '../../contracts/ops-reader.js'
import type { ErrorRecord } from '../../core/error-record.js'
import { withPlaceholders, type SqlConnection, type SqlDialect } from '../sql/sql-dialect.js'

/** The read half of the control access (`SqlControlAccess` of sql-control.ts): `work` runs where `table` exists, else `empty` is the answer. */
export interface OpsReadAccess {
  readonly dialect: SqlDialect
  read<T>(table: string, work: (connection: SqlConnection) => Promise<T>, empty: T): Promise<T>
}

const ID_TABLES = ['_sluice_state', '_sluice_syncs', '_sluice_mar', '_sluice_connectors'] as const

/**
 * The {@link OpsReader} of a SQL destination (SQLite, DuckDB, Postgres), through the same access
 * as its control methods: reads only, and a table not created yet reads as empty.
 *
 * @example
 * ```ts
 * import { sqlOpsReader } from './sql-ops-reader.js'
 * import type { OpsReadAccess } from './sql-ops-reader.js'
 * declare const access: OpsReadAccess
 * const { leases } = sqlOpsReader(access)
 * ```
 */
export function sqlOpsReader(access: OpsReadAccess): Required<OpsReader> {
  const d = access.dialect
  const p = (text: string) => withPlaceholders(d, text)
  return {
    async connectors() {
      const ids = new Set<string>()
      for (const table of ID_TABLES) {
        const rows = await access.read(table, (c) => c.query(`SELECT DISTINCT "connector_id" FROM ${d.table(table)}`, []), [] as Record<string, unknown>[])
        for (const row of rows) ids.add(String(row.connector_id))
      }
      return [...ids].sort()
    },
    async leases({ now }) {
      const rows = await access.read(
        '_sluice_leases',
        (c) => c.query(p(`SELECT "name", "holder", "expires_at" FROM ${d.table('_sluice_leases')} WHERE "expires_at" > ? ORDER BY "name"`), [Math.floor(now)]),
        [] as Record<string, unknown>[],
      )
      return rows.map((r) => ({ name: String(r.name), holder: String(r.holder), expiresAt: new Date(Number(r.expires_at)).toISOString() }))
    },
    async syncErrors({ connectorId, syncId, limit = 1000 }) {
      const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 1000
      const rows = await access.read(
        '_sluice_errors',
        (c: SqlConnection) =>
          c.query(
            p(`SELECT "connector_id", "sync_id", "table_name", "kind", "code", "message", CAST("context" AS TEXT) AS "context", CAST("record" AS TEXT) AS "record", CAST("created_at" AS TEXT) AS "created_at"
               FROM ${d.table('_sluice_errors')} WHERE "connector_id" = ? AND "sync_id" = ? ORDER BY "id" LIMIT ${count}`),
            [connectorId, syncId],
          ),
        [] as Record<string, unknown>[],
      )
      return rows.map((r): SyncErrorRow => ({
        connectorId: String(r.connector_id),
        syncId: String(r.sync_id),
        kind: String(r.kind) as ErrorRecord['kind'],
        ...(r.table_name != null ? { table: String(r.table_name) } : {}),
        code: String(r.code),
        message: String(r.message),
        ...(r.context != null ? { context: parsed(r.context) as Record<string, unknown> } : {}),
        ...(r.record != null ? { record: parsed(r.record) as Record<string, unknown> } : {}),
        createdAt: isoTime(r.created_at),
      }))
    },
    async marThresholds({ connectorId, month }) {
      const where: string[] = []
      const params: string[] = []
      if (connectorId !== undefined) params.push(connectorId), where.push(`"connector_id" = ${d.placeholder(params.length)}`)
      if (month !== undefined) params.push(month), where.push(`"month" = ${d.placeholder(params.length)}`)
      const rows = await access.read(
        '_sluice_mar_thresholds',
        (c) =>
          c.query(
            `SELECT "connector_id", "month", "threshold", "rows", CAST("fired_at" AS TEXT) AS "fired_at" FROM ${d.table('_sluice_mar_thresholds')} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "month", "threshold"`,
            params,
          ),
        [] as Record<string, unknown>[],
      )
      return rows.map((r): MarThresholdFired => ({ connectorId: String(r.connector_id), month: String(r.month), threshold: Number(r.threshold), rows: Number(r.rows), firedAt: isoTime(r.fired_at) }))
    },
  }
}

/** A timestamp read back as text (SQLite's ISO text, Postgres' and DuckDB's `2026-12-06 03:05:00.1+00`) as ISO-8601 UTC. */
function isoTime(value: unknown): string {
  let text = String(value).replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')
  // A timestamp without a zone was written as UTC (`now()` of a UTC session, or ISO text): don't let Date.parse read it as local time.
  if (/T[\d:.]+$/.test(text)) text += 'Z'
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(value)
}

/** A JSON column read back as text (SQLite stores text, Postgres `json`, cast to text above). */
function parsed(value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}
