import type { Database } from 'better-sqlite3'
import type { FleetDriver } from '../../warehouse/driver.js'
import type { TableLayout } from '../layout/table-layout.js'
import { fencedPending, type FenceArgs } from '../../warehouse/fence-row.js'
import { sqlMarStorage } from '../../warehouse/mar/sql-mar-storage.js'
import { loadState, takenNames } from './sqlite-meta.js'
import { connectionOf, SQLITE_DIALECT } from './sqlite-stores.js'

/**
 * Takes over a connector id (`SinkStateStore.fence`) on a handle outside any sync: bumps its
 * epoch (creating its row, with no state, if missing) and, with `truncate`, registers those
 * tables' truncates at the fence, in one `BEGIN IMMEDIATE` transaction.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { fenceSqlite } from './sqlite-fleet.js'
 * declare const db: Database.Database
 * const epoch = fenceSqlite(db, { connectorId: 'orders#p3' })
 * ```
 */
export function fenceSqlite(db: Database, args: FenceArgs): number {
  return db.transaction(() => {
    const now = new Date().toISOString()
    db.prepare(`INSERT INTO "_sluice_state" ("connector_id", "state", "pending_truncates", "updated_at", "epoch") VALUES (?, '', '{}', ?, 0) ON CONFLICT DO NOTHING`).run(args.connectorId, now)
    const pending = JSON.stringify(fencedPending(loadState(db, args.connectorId), args.truncate))
    const row = db.prepare(`UPDATE "_sluice_state" SET "epoch" = "epoch" + 1, "pending_truncates" = ?, "updated_at" = ? WHERE "connector_id" = ? RETURNING "epoch"`).get(pending, now, args.connectorId) as { epoch: number }
    return Number(row.epoch)
  }).immediate()
}

/**
 * The SQLite driver's fleet methods (`FleetDriver`) on the sync's handle. SQLite has one writer
 * at a time (`BEGIN IMMEDIATE` takes the write lock), so a fence waits for the writer's commit or
 * comes before its transaction: reading the epoch in the transaction is enough to hold it.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { sqliteFleet } from './sqlite-fleet.js'
 * declare const db: Database.Database
 * const fleet = sqliteFleet(db)
 * ```
 */
export function sqliteFleet(db: Database): FleetDriver {
  return {
    async stateRow(connectorId) {
      if (db.prepare('SELECT 1 FROM "_sluice_state" WHERE "connector_id" = ?').get(connectorId) === undefined) return undefined
      const { pending, lastSynced, epoch } = loadState(db, connectorId)
      return { pending, lastSynced, epoch }
    },
    async holdEpoch({ connectorId }) {
      const row = db.prepare('SELECT "epoch" FROM "_sluice_state" WHERE "connector_id" = ?').get(connectorId) as { epoch: number } | undefined
      return row === undefined ? undefined : Number(row.epoch)
    },
    async committedLayout(table) {
      // Locked or not: the transaction's BEGIN IMMEDIATE holds the one write lock, so no other writer changes a layout before it ends.
      const row = db.prepare('SELECT "layout" FROM "_sluice_tables" WHERE "source_name" = ?').get(table) as { layout: string } | undefined
      return { layout: row ? (JSON.parse(row.layout) as TableLayout) : undefined, taken: takenNames(db) }
    },
    async dropStates(connectorIds) {
      let last = 0
      const drop = db.prepare('DELETE FROM "_sluice_state" WHERE "connector_id" = ? RETURNING "last_synced"')
      for (const id of connectorIds) {
        for (const row of drop.all(id) as { last_synced: string | null }[]) if (row.last_synced) last = Math.max(last, Date.parse(row.last_synced))
      }
      return last
    },
    mar: sqlMarStorage(connectionOf(db), SQLITE_DIALECT),
  }
}
