import type { OpsReader } from '../../contracts/ops-reader.js'
import type { Database, Statement } from 'better-sqlite3'
import type { ConnectorStore } from '../../contracts/connector-store.js'
import type { MarStore } from '../../contracts/mar-store.js'
import { SluiceError } from '../../core/sluice-error.js'
import { opsDdl } from '../../warehouse/sql/ops-ddl.js'
import type { SqlConnection, SqlDialect, SqlValue } from '../../warehouse/sql/sql-dialect.js'
import { sqlStores } from '../../warehouse/sql-stores.js'
import { quoteIdent } from '../../core/normalize-name.js'

/** SQLite's operations SQL: `?` parameters, no time type (ISO text with ms, as `Date#toISOString`), rowid tie-break. */
export const SQLITE_DIALECT: SqlDialect = {
  placeholder: () => '?',
  table: (name) => quoteIdent(name),
  now: `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  types: { text: 'TEXT', bigint: 'INTEGER', double: 'REAL', boolean: 'INTEGER', blob: 'BLOB', timestamp: 'TEXT' },
  identity: (_table, column) => ({ definition: `${quoteIdent(column)} INTEGER PRIMARY KEY` }),
  keysIndex: true,
  newestFirst: `"started_at" DESC, rowid DESC`,
}

const OPS_DDL = opsDdl(SQLITE_DIALECT)

/**
 * How the stores reach the SQLite sink's connection: `run` is the open sync's transaction
 * (begun if needed) — writes there commit with the data; `use` is a handle outside a sync (the
 * sink's own while one is open, so a lease renewal never waits on its own write lock), kept
 * open until `fn`'s promise settles.
 */
export interface SqliteAccess {
  run(): { readonly db: Database; readonly connectorId: string }
  use<T>(mode: 'read' | 'write', fn: (db: Database) => Promise<T>, missing: () => T): Promise<T>
}

/**
 * Every MAR and connector-store method of the SQLite sink — metering and reports, sync history,
 * leases and pause flags — bound to the sink's connection, to spread into the sink object.
 * A write lock held by another process past the busy timeout reads as a lease held by someone else.
 *
 * @example
 * ```ts
 * import { sqliteStores, type SqliteAccess } from './sqlite-stores.js'
 * declare const access: SqliteAccess
 * const methods = sqliteStores(access)
 * ```
 */
export function sqliteStores(access: SqliteAccess): Required<MarStore> & Required<ConnectorStore> & Required<OpsReader> {
  return sqlStores({
    dialect: SQLITE_DIALECT,
    async run() {
      const { db, connectorId } = access.run()
      ensureOpsTables(db)
      return { connection: connectionOf(db), connectorId }
    },
    read: (table, work, empty) => access.use('read', async (db) => (hasTable(db, table) ? work(connectionOf(db)) : empty), () => empty),
    write: (work) =>
      access.use(
        'write',
        async (db) => {
          ensureOpsTables(db)
          return work(connectionOf(db))
        },
        () => {
          throw new SluiceError({ code: 'DESTINATION_UNAVAILABLE', message: 'sqlite: the database file is missing and could not be created' })
        },
      ),
    lockedBy: (error) =>
      (error as { code?: string } | undefined)?.code === 'SQLITE_BUSY' || /SQLITE_BUSY|database is locked/i.test(String((error as Error | undefined)?.message))
        ? 'another writer (the destination stayed locked past the busy timeout)'
        : undefined,
  })
}

const ready = new WeakSet<Database>()

/**
 * Creates the operations tables on a writable handle if needed. Outside a transaction the result
 * is remembered per handle; inside one it is not, because a rollback would undo the CREATE.
 */
export function ensureOpsTables(db: Database): void {
  if (ready.has(db)) return
  db.exec(OPS_DDL)
  if (!db.inTransaction) ready.add(db)
}

/** True when `name` exists (read paths on a read-only handle can't create tables). */
function hasTable(db: Database, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined
}

const connections = new WeakMap<Database, SqlConnection>()

/** The handle as a {@link SqlConnection}: statements prepared once per handle, blobs as Buffers, booleans as 1/0. */
export function connectionOf(db: Database): SqlConnection {
  let connection = connections.get(db)
  if (connection) return connection
  const statements = new Map<string, Statement>()
  connection = {
    async query(sql, params) {
      let stmt = statements.get(sql)
      if (!stmt) statements.set(sql, (stmt = db.prepare(sql)))
      const bound = params.map(toSqlite)
      if (stmt.reader) return stmt.all(...bound) as Record<string, unknown>[]
      stmt.run(...bound)
      return []
    },
  }
  connections.set(db, connection)
  return connection
}

function toSqlite(value: SqlValue): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return value
}
