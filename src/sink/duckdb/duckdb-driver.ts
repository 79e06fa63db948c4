import type { DuckDBConnection } from '@duckdb/node-api'
import type { MeterArgs, MeterResult } from '../../contracts/mar-store.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { SYSTEM, type TableLayout } from '../layout/table-layout.js'
import type { WarehouseDriver } from '../../warehouse/driver.js'
import { createTableSql, duckdbType, HISTORY } from './duckdb-ddl.js'
import { insertErrors, insertHistory, loadLayouts, loadState, recordSync, saveLayout, saveStateSql } from './duckdb-meta.js'
import { migrateColumn, registerWiden } from './duckdb-migrate.js'
import { DuckDbTableWriter } from './duckdb-table-writer.js'
import type { DuckDbModule } from './load-duckdb.js'

/** The open sync as DuckDB's MAR operations reach it: metering in its transaction (replayed with it). */
export interface DuckDbRun {
  meter(args: MeterArgs): Promise<MeterResult>
  recordMarThreshold(args: { readonly month: string; readonly threshold: number; readonly rows: number }): Promise<boolean>
}

/**
 * DuckDB as a warehouse driver, on one connection. Batches go through the appender into temp
 * staging tables and one merge statement (`DuckDbTableWriter`). DuckDB can't commit a
 * transaction that updated rows of a table and then altered it ("another transaction has altered
 * this table"): the driver declares `replayOnAlter`, and its writes tell the engine whether they
 * may have changed existing rows.
 *
 * @example
 * ```ts
 * import type { DuckDBConnection } from '@duckdb/node-api'
 * import { duckdbDriver } from './duckdb-driver.js'
 * import type { DuckDbModule } from './load-duckdb.js'
 * declare const duck: DuckDbModule
 * declare const connection: DuckDBConnection
 * const driver = duckdbDriver(duck, connection)
 * ```
 */
export function duckdbDriver(duck: DuckDbModule, connection: DuckDBConnection): WarehouseDriver {
  const writers = new Map<string, DuckDbTableWriter>()
  const layouts = new Map<string, TableLayout>()
  /** Whether `_sluice_state` has this connector's row (committed): then a checkpoint updates it. */
  let stateSaved = false
  const q = quoteIdent

  /** The writer of a layout: a changed layout (a new object) gets a new writer. */
  const writer = async (layout: TableLayout): Promise<DuckDbTableWriter> => {
    let w = writers.get(layout.table)
    if (!w || layouts.get(layout.table) !== layout) {
      await dropWriter(layout.table)
      w = new DuckDbTableWriter(duck, connection, layout)
      writers.set(layout.table, w)
      layouts.set(layout.table, layout)
    }
    return w
  }
  /** Before a schema change: the writer's statements and direct-append column order name the old columns. */
  const dropWriter = async (table: string) => {
    const w = writers.get(table)
    if (!w) return
    writers.delete(table)
    layouts.delete(table)
    await w.dispose()
  }

  return {
    name: 'duckdb',
    capabilities: { modes: ['upsert', 'append', 'replace', 'history'], replayOnAlter: true },
    async load({ connectorId }) {
      registerWiden(duck, connection)
      const saved = await loadState(connection, connectorId)
      stateSaved = saved.state !== undefined
      return { layouts: await loadLayouts(connection), ...saved }
    },
    async takenNames() {
      const reader = await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`)
      return reader.getRows().map((r) => r[0] as string)
    },
    async begin() {
      await connection.run('BEGIN TRANSACTION')
    },
    async commit({ state }) {
      if (!state) {
        await connection.run('COMMIT')
        return false
      }
      // Save, commit and begin in one call: each call is a round trip to DuckDB's threads, which on a busy machine cost more than the statements.
      await connection.run(`${saveStateSql(state.connectorId, state.state, { ...state.pending }, state.lastSynced, stateSaved)}; COMMIT; BEGIN TRANSACTION`)
      stateSaved = true
      return true
    },
    async rollback() {
      // DuckDB ends a transaction itself after some errors: nothing is left to roll back then.
      await connection.run('ROLLBACK').catch(() => undefined)
    },
    async createTable(layout) {
      await dropWriter(layout.table)
      await connection.run(createTableSql(layout))
    },
    async alterTable({ before, after, changes }) {
      await dropWriter(after.table)
      const names = new Map(after.columns.map((c) => [c.source, c]))
      for (const change of changes) {
        if (change.type === 'add_column') {
          const c = names.get(change.column)!
          await connection.run(`ALTER TABLE ${q(after.name)} ADD COLUMN ${q(c.name)} ${duckdbType(c.type)}`)
        } else if (change.type === 'change_type') {
          await migrateColumn(connection, after, names.get(change.column)!, change.from, before.primaryKey.includes(change.column))
        }
      }
    },
    saveLayout: (layout) => saveLayout(connection, layout),
    insertHistory: ({ connectorId, syncId, table, changes }) => insertHistory(connection, connectorId, syncId, table, [...changes]),
    write: async ({ layout, op, batch, synced }) => (await writer(layout)).write(op, batch, synced),
    deleteMatching: async ({ layout, column, batch, synced }) => (await writer(layout)).deleteMatching(column, batch, synced),
    async applyTruncate({ layout, before, now }) {
      // History tables: the active versions written before the truncate are closed too.
      const history = layout.mode === 'history'
      const closing = history ? `, ${q(HISTORY.active)} = false, ${q(HISTORY.end)} = CAST($1 AS TIMESTAMPTZ)` : ''
      const which = history ? q(HISTORY.active) : `NOT ${q(SYSTEM.deleted)}`
      await connection.run(
        `UPDATE ${q(layout.name)} SET ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = CAST($1 AS TIMESTAMPTZ)${closing} WHERE ${q(SYSTEM.synced)} < CAST($2 AS TIMESTAMPTZ) AND ${which}`,
        [now, before],
      )
    },
    insertErrors: ({ connectorId, syncId, errors }) => insertErrors(connection, connectorId, syncId, errors),
    async finishState({ connectorId, lastSynced }) {
      await connection.run('UPDATE "_sluice_state" SET "pending_truncates" = $1, "last_synced" = $2 WHERE "connector_id" = $3', ['{}', lastSynced, connectorId])
    },
    recordSync: (report) => recordSync(connection, report),
    async endWrites() {
      for (const w of writers.values()) await w.dispose().catch(() => undefined)
      writers.clear()
      layouts.clear()
    },
  }
}
