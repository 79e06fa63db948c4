import { writableCheck } from '../writable-check.js'
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Row } from '../../core/batch.js'
import { SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { keyNames, SYSTEM } from '../layout/table-layout.js'
import type { Sink, TableDescription } from '../../contracts/sink.js'
import { HISTORY } from './duckdb-ddl.js'
import { loadLayouts, META_DDL, selectErrors, selectHistory } from './duckdb-meta.js'
import { duckdbStores, meter, OPS_DDL, recordThreshold, type DuckDbAccess } from './duckdb-stores.js'
import { duckdbDriver } from './duckdb-driver.js'
import { describeLayout, engineWriter } from '../../warehouse/engine-sink.js'
import { duckdbValueView } from './duckdb-values.js'
import { loadDuckDb, type DuckDbModule } from './load-duckdb.js'
import { knownOptions } from '../../core/check-option.js'

/** Options of {@link duckdb}. */
export interface DuckDbOptions {
  /** The database file, e.g. `files/warehouse.duckdb`, or `':memory:'`. Its directory must exist. */
  readonly path: string
}

interface Handle {
  readonly duck: DuckDbModule
  readonly instance: DuckDBInstance
  readonly connection: DuckDBConnection
  /** A second connection of the instance, for writes outside the sync's transaction (leases, pause flags). */
  ops?: DuckDBConnection
}

/**
 * A DuckDB warehouse file (`@duckdb/node-api`, an optional peer dependency loaded on first use).
 * Each batch is bulk-copied into a temp staging table through DuckDB's appender and merged with
 * one `INSERT … ON CONFLICT DO UPDATE`; data and state commit in one transaction at each
 * checkpoint, so a crash at any instant resumes from a state that matches the data exactly.
 * Same layout and semantics as the SQLite sink (upsert, update, soft delete, deferred truncates,
 * replace, append, keyless `_sluice_id`), with native types: DECIMAL(p,s), TIMESTAMPTZ,
 * TIMESTAMP, DATE, JSON, BLOB.
 *
 * @example
 * ```ts
 * import { fromIterable, sync } from 'sluice'
 * import { duckdb } from 'sluice/duckdb'
 * await sync({ source: fromIterable('users', [{ id: 1 }], { primaryKey: ['id'] }), destination: duckdb({ path: 'warehouse.duckdb' }) })
 * ```
 */
export function duckdb(options: DuckDbOptions): Sink {
  knownOptions(options, { path: true }, 'duckdb')
  if (typeof options?.path !== 'string' || options.path.trim() === '') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `duckdb({ path }) needs a file path such as "files/warehouse.duckdb", got ${JSON.stringify(options?.path)}` })
  }
  const path = options.path === ':memory:' ? ':memory:' : resolve(options.path)
  const inMemory = path === ':memory:'
  let handle: Handle | undefined

  const connect = async (readonly: boolean): Promise<Handle> => {
    if (!inMemory) checkDirectory(path)
    const duck = await loadDuckDb()
    let instance: DuckDBInstance | undefined
    try {
      instance = await duck.api.DuckDBInstance.create(path, readonly ? { access_mode: 'READ_ONLY' } : {})
      const connection = await instance.connect()
      if (!readonly) await connection.run(META_DDL + OPS_DDL)
      return { duck, instance, connection }
    } catch (cause) {
      instance?.closeSync()
      throw unavailable(path, cause)
    }
  }
  const release = (h: Handle | undefined) => {
    if (!h || inMemory) return
    h.ops?.closeSync()
    h.connection.closeSync()
    h.instance.closeSync()
  }
  /** Runs `work` on the sync's connection, or on a read-only one opened for it; `empty` when there is no database or no `table` yet. */
  const reading = async <T>(work: (h: Handle) => Promise<T>, empty: T, table = '_sluice_tables'): Promise<T> => {
    if (handle) return (await hasTable(handle.connection, table)) ? work(handle) : empty
    if (!inMemory && !existsSync(path)) return empty
    const h = await connect(true)
    try {
      if (!(await hasTable(h.connection, table))) return empty
      return await work(h)
    } finally {
      release(h)
    }
  }
  /** Runs `work` outside the sync's transaction: on a second connection of the open instance, or a writable one opened for it. */
  const writing = async <T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    if (handle) return work((handle.ops ??= await handle.instance.connect()))
    const h = await connect(false)
    try {
      return await work(h.connection)
    } finally {
      release(h)
    }
  }
  // The warehouse engine runs the sync on a driver over the sync's connection (src/warehouse/).
  const writer = engineWriter('duckdb', async () => {
    const h = (handle ??= await connect(false))
    return {
      driver: duckdbDriver(h.duck, h.connection),
      release: () => {
        release(h)
        if (!inMemory) handle = undefined
      },
    }
  })
  const access: DuckDbAccess = {
    // MAR counts in the sync's transaction (done again if the engine replays it).
    run: () => {
      const run = writer.run()
      const connection = handle!.connection
      return {
        meter: (args) => run.inTransaction(() => meter(connection, run.connectorId, args)),
        recordMarThreshold: (args) => run.inTransaction(() => recordThreshold(connection, run.connectorId, args.month, args.threshold, args.rows)),
      }
    },
    read: (table, work, empty) => reading((h) => work(h.connection), empty, table),
    write: writing,
  }

  return {
    name: 'duckdb',
    check: async () => (inMemory ? [{ name: 'duckdb: file', ok: true, message: 'an in-memory database is always writable' }] : writableCheck({ name: 'duckdb: file', path, kind: 'file' })),
    ...duckdbStores(access),
    ...writer.methods,
    async readErrors() {
      return reading((h) => selectErrors(h.connection), [])
    },
    async read({ table }) {
      return reading(async (h) => {
        const layout = [...(await loadLayouts(h.connection)).values()].find((l) => l.table === table)
        if (!layout) return []
        const types = new Map<string, Parameters<typeof duckdbValueView>[1]>(layout.columns.map((c) => [c.name, c.type]))
        types.set(SYSTEM.synced, 'UTC_DATETIME')
        // History tables by key and version; others in write order.
        const order = layout.mode === 'history' ? [...keyNames(layout), HISTORY.start].map(quoteIdent).join(', ') : 'rowid'
        const reader = await h.connection.runAndReadAll(`SELECT * FROM ${quoteIdent(layout.name)} ORDER BY ${order}`)
        const names = reader.columnNames()
        return reader.getRows().map((values) => {
          const row: Row = {}
          names.forEach((name, i) => (row[name] = duckdbValueView(values[i]!, types.get(name))))
          return row
        })
      }, [] as Row[])
    },
    async describe() {
      return reading(async (h) => [...(await loadLayouts(h.connection)).values()].map(describeLayout), [] as TableDescription[])
    },
    async schemaHistory() {
      return reading((h) => selectHistory(h.connection), [], '_sluice_schema_history')
    },
    async resetState({ connectorId }) {
      const h = handle ?? (await connect(false))
      try {
        await h.connection.run('DELETE FROM "_sluice_state" WHERE "connector_id" = $1', [connectorId])
      } finally {
        if (h !== handle) release(h)
      }
    },
  }
}

async function hasTable(connection: DuckDBConnection, table: string): Promise<boolean> {
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() AND table_name = $1`, [table])
  return Number(reader.getRows()[0]![0]) > 0
}

function checkDirectory(path: string): void {
  const dir = dirname(path)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new SluiceError({
      code: 'DESTINATION_UNAVAILABLE',
      message: `duckdb: directory ${dir} does not exist; create it first or choose another path`,
      context: { path },
    })
  }
}

function unavailable(path: string, cause: unknown): SluiceError {
  if (cause instanceof SluiceError) return cause
  const text = (cause as Error).message
  const hint = /lock/i.test(text)
    ? ' (another process has the database open: DuckDB allows one writer process per file)'
    : /permission|read-only|EACCES/i.test(text) ? ' (is the file or its directory read-only?)' : ''
  return new SluiceError({ code: 'DESTINATION_UNAVAILABLE', message: `duckdb: can't open ${path}: ${text}${hint}`, cause, context: { path } })
}
