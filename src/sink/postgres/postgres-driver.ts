import type pg from 'pg'
import { quoteIdent } from '../../core/normalize-name.js'
import type { TableLayout } from '../layout/table-layout.js'
import type { WarehouseDriver } from '../../warehouse/driver.js'
import { pgError } from '../../db/postgres-connection.js'
import { createTableSql, pgType, qualified } from './postgres-ddl.js'
import { truncateSql } from './postgres-merge.js'
import { insertErrors, insertHistory, loadLayouts, loadState, recordSync, saveLayout, saveStateSql, takenNamesSql } from './postgres-meta.js'
import { migrateColumn } from './postgres-migrate.js'
import { postgresFleet } from './postgres-fleet.js'
import { PostgresTableWriter } from './postgres-writer.js'

/** A Postgres driver, and the staging tables its writers created on the connection (dropped after the sync). */
export interface PostgresDriver extends WarehouseDriver {
  dropStaging(): Promise<void>
}

/**
 * PostgreSQL as a warehouse driver, on one borrowed connection: `BEGIN … COMMIT` spanning one
 * checkpoint, the state row written by the same COMMIT (sent with the next BEGIN in one round
 * trip: a bare BEGIN takes no snapshot and holds no lock until the next write). Batches go
 * through `COPY` into staging tables and one merge statement (`PostgresTableWriter`).
 *
 * @example
 * ```ts
 * import type pg from 'pg'
 * import { postgresDriver } from './postgres-driver.js'
 * declare const client: pg.PoolClient
 * const driver = postgresDriver(client, 'raw')
 * ```
 */
export function postgresDriver(client: pg.PoolClient, schema: string): PostgresDriver {
  const writers = new Map<string, { layout: TableLayout; writer: PostgresTableWriter }>()
  const staged = new Set<string>()
  /** The writer of a layout: a changed layout (a new object) gets a new writer. */
  const writer = (layout: TableLayout): PostgresTableWriter => {
    let w = writers.get(layout.table)
    if (!w || w.layout !== layout) writers.set(layout.table, (w = { layout, writer: new PostgresTableWriter(client, schema, layout, staged) }))
    return w.writer
  }
  const s = quoteIdent(schema)

  return {
    name: 'postgres',
    capabilities: { modes: ['upsert', 'append', 'replace', 'history'] },
    async load({ connectorId }) {
      return { layouts: await loadLayouts(client, schema), ...(await loadState(client, schema, connectorId)) }
    },
    async takenNames() {
      return (await client.query<{ name: string }>(takenNamesSql(schema))).rows.map((row) => row.name)
    },
    async begin() {
      await client.query('BEGIN')
    },
    async commit({ state }) {
      if (!state) {
        await client.query('COMMIT')
        return false
      }
      const save = saveStateSql(schema, state.connectorId, state.state, JSON.stringify(state.pending), state.lastSynced)
      await client.query(`${save}; COMMIT; BEGIN`)
      return true
    },
    async rollback() {
      // Also after a failed checkpoint, whose transaction state is unknown (a ROLLBACK outside one is only a warning).
      await client.query('ROLLBACK')
    },
    async createTable(layout) {
      await client.query(createTableSql(schema, layout))
    },
    async alterTable({ before, after, changes }) {
      const names = new Map(after.columns.map((c) => [c.source, c]))
      const t = qualified(schema, after.name)
      for (const change of changes) {
        const c = names.get(change.type === 'create_table' ? '' : change.column)
        if (!c) continue
        if (change.type === 'add_column') await client.query(`ALTER TABLE ${t} ADD COLUMN ${quoteIdent(c.name)} ${pgType(c.type)}`)
        else if (change.type === 'change_type') await migrateColumn(client, schema, after, c, change.from, before.primaryKey.includes(change.column))
      }
    },
    saveLayout: (layout) => saveLayout(client, schema, layout),
    insertHistory: ({ connectorId, syncId, table, changes }) => insertHistory(client, schema, connectorId, syncId, table, changes),
    write: ({ layout, op, batch, synced }) => writer(layout).write(op, batch, synced),
    deleteMatching: ({ layout, column, batch, synced }) => writer(layout).deleteMatching(column, batch, synced),
    async applyTruncate({ layout, before, now }) {
      await client.query(truncateSql(schema, layout, before, now))
    },
    insertErrors: ({ connectorId, syncId, errors }) => insertErrors(client, schema, connectorId, syncId, errors),
    async finishState({ connectorId, lastSynced }) {
      await client.query(`UPDATE ${s}."_sluice_state" SET "pending_truncates" = '{}', "last_synced" = $1 WHERE "connector_id" = $2`, [lastSynced, connectorId])
    },
    recordSync: (report) => recordSync(client, schema, report),
    fleet: postgresFleet(client, schema),
    failure: (cause, what, context) => pgError('DESTINATION_WRITE', `postgres: ${what} failed`, cause, { ...context, schema }),
    async dropStaging() {
      if (staged.size) await client.query(`DROP TABLE IF EXISTS ${[...staged].join(', ')}`)
    },
  }
}
