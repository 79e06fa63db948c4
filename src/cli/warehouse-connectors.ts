import Database from 'better-sqlite3'
import { resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import { loadDuckDb } from '../sink/duckdb/load-duckdb.js'
import type { WarehouseFormat } from './warehouse-format.js'

/** What `sluice status` lists from a warehouse: every connector it knows, and those a sync holds now. */
export interface WarehouseConnectors {
  /** Connector ids found in state, sync history, MAR and pause flags, sorted (without a fleet backfill's partition ids). */
  readonly ids: string[]
  /** Connector ids whose lease is unexpired: a sync of them runs somewhere. */
  readonly leased: Set<string>
}

const ID_TABLES = ['_sluice_state', '_sluice_syncs', '_sluice_mar', '_sluice_connectors']

/**
 * Reads the connector ids and the live leases (`expires_at > now`) of a SQLite or DuckDB
 * warehouse file, opened read-only; tables not created yet count as empty.
 *
 * @example
 * ```ts
 * import { warehouseConnectors } from './warehouse-connectors.js'
 * const { ids, leased } = await warehouseConnectors('files/warehouse.db', 'sqlite', Date.now())
 * ```
 */
export async function warehouseConnectors(path: string, format: WarehouseFormat, now: number): Promise<WarehouseConnectors> {
  const query = format === 'sqlite' ? sqliteQuery(path) : await duckdbQuery(path)
  try {
    const tables = new Set((await query.column<string>(`SELECT name FROM ${format === 'sqlite' ? `sqlite_master WHERE type = 'table'` : `(SELECT table_name AS name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database())`}`)))
    const ids = new Set<string>()
    for (const t of ID_TABLES) if (tables.has(t)) for (const id of await query.column<string>(`SELECT DISTINCT "connector_id" FROM "${t}"`)) ids.add(id)
    const leased = new Set<string>()
    if (tables.has('_sluice_leases')) {
      for (const name of await query.column<string>(`SELECT "name" FROM "_sluice_leases" WHERE "expires_at" > ${Math.floor(now)}`)) {
        if (name.startsWith('connector:')) leased.add(name.slice('connector:'.length))
      }
    }
    // A fleet backfill's partitions (`<connector>#<key>`) keep history of their own: they are the connector's work, not connectors.
    const listed = [...ids].filter((id) => {
      const hash = id.indexOf('#')
      return hash < 0 || !ids.has(id.slice(0, hash))
    })
    return { ids: listed.sort(), leased }
  } finally {
    query.close()
  }
}

/** One read-only connection: the first column of a query's rows. */
interface ColumnQuery {
  column<T>(sql: string): Promise<T[]>
  close(): void
}

function sqliteQuery(path: string): ColumnQuery {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  return {
    column: async <T>(sql: string) => db.prepare(sql).pluck().all() as T[],
    close: () => db.close(),
  }
}

async function duckdbQuery(path: string): Promise<ColumnQuery> {
  const { api } = await loadDuckDb()
  let instance: Awaited<ReturnType<typeof api.DuckDBInstance.create>>
  try {
    instance = await api.DuckDBInstance.create(resolve(path), { access_mode: 'READ_ONLY' })
  } catch (cause) {
    const locked = /lock/i.test((cause as Error).message)
    throw new SluiceError({
      code: 'DESTINATION_UNAVAILABLE',
      message: `can't open the DuckDB warehouse ${path}${locked ? ': a sync is running (DuckDB lets one process open the file); try again when it is done' : `: ${(cause as Error).message}`}`,
      context: { path },
      cause,
    })
  }
  const connection = await instance.connect()
  return {
    column: async <T>(sql: string) => (await connection.runAndReadAll(sql)).getRows().map((row) => row[0] as T),
    close: () => {
      connection.closeSync()
      instance.closeSync()
    },
  }
}
