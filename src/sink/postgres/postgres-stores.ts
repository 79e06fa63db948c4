import type { OpsReader } from '../../contracts/ops-reader.js'
import type pg from 'pg'
import type { ConnectorStore } from '../../contracts/connector-store.js'
import type { MarStore } from '../../contracts/mar-store.js'
import { opsDdl as sqlOpsDdl } from '../../warehouse/sql/ops-ddl.js'
import type { SqlConnection, SqlDialect, SqlValue } from '../../warehouse/sql/sql-dialect.js'
import { sqlStores } from '../../warehouse/sql-stores.js'
import { quoteIdent } from '../../core/normalize-name.js'

const dialects = new Map<string, SqlDialect>()

/** SQLSTATE of a statement naming a relation that does not exist. */
const UNDEFINED_TABLE = '42P01'

/** Postgres's operations SQL in `schema`: `$1` parameters, `bytea` blobs, identity columns. */
export function postgresDialect(schema: string): SqlDialect {
  let dialect = dialects.get(schema)
  if (!dialect) {
    const s = quoteIdent(schema)
    dialect = {
      placeholder: (index) => `$${index}`,
      table: (name) => `${s}.${quoteIdent(name)}`,
      now: 'now()',
      types: { text: 'text', bigint: 'bigint', double: 'double precision', boolean: 'boolean', blob: 'bytea', timestamp: 'timestamptz' },
      identity: (_table, column) => ({ definition: `${quoteIdent(column)} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY` }),
      keysIndex: true,
      writingWith: true,
      newestFirst: `"started_at" DESC, "ended_at" DESC`,
    }
    dialects.set(schema, dialect)
  }
  return dialect
}

/** The MAR and connector-control tables of `schema` (see `warehouse/sql/ops-ddl.ts`). */
export function opsDdl(schema: string): string {
  return sqlOpsDdl(postgresDialect(schema))
}

/**
 * How the stores reach Postgres: `run` is the open sync's client inside its transaction
 * (begun if needed) — writes there commit with the data; `use` borrows a client outside any sync
 * (`create` true: make the schema and meta tables first; false: the work checks they exist).
 */
export interface PostgresAccess {
  readonly schema: string
  run(): Promise<{ readonly client: pg.ClientBase; readonly connectorId: string }>
  use<T>(create: boolean, work: (client: pg.ClientBase) => Promise<T>): Promise<T>
}

/**
 * Every MAR and connector-store method of the Postgres sink, to spread into the sink object.
 * Control methods run on a client of their own (never the sync's, so a lease renewal never waits
 * on the sync's transaction).
 *
 * @example
 * ```ts
 * import { postgresStores, type PostgresAccess } from './postgres-stores.js'
 * declare const access: PostgresAccess
 * const methods = postgresStores(access)
 * ```
 */
export function postgresStores(access: PostgresAccess): Required<MarStore> & Required<ConnectorStore> & Required<OpsReader> {
  const dialect = postgresDialect(access.schema)
  return sqlStores({
    dialect,
    async run() {
      const { client, connectorId } = await access.run()
      return { connection: connectionOf(client), connectorId }
    },
    // The read first, the table's existence only when it failed for a missing relation (a destination no sync
    // has written yet): one round trip where there is something to read. Outside any transaction, so a failed
    // statement costs nothing else.
    read: (table, work, empty) =>
      access.use(false, async (client) => {
        try {
          return await work(connectionOf(client))
        } catch (error) {
          if ((error as { code?: unknown } | null)?.code === UNDEFINED_TABLE && !(await exists(client, table))) return empty
          throw error
        }
      }),
    write: (work, existing) =>
      existing === undefined
        ? access.use(true, (client) => work(connectionOf(client)))
        : access.use(false, async (client) => ((await exists(client, existing)) ? work(connectionOf(client)) : undefined)),
  })

  async function exists(client: pg.ClientBase, table: string): Promise<boolean> {
    const r = await client.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [dialect.table(table)])
    return r.rows[0]?.ok === true
  }
}

const connections = new WeakMap<pg.ClientBase, SqlConnection>()

/** The client as a {@link SqlConnection} (one per client: the MAR storage memo is kept per connection). */
export function connectionOf(client: pg.ClientBase): SqlConnection {
  let connection = connections.get(client)
  if (!connection) {
    connection = { query: async (sql, params) => (await client.query(sql, params.map(toPg))).rows as Record<string, unknown>[] }
    connections.set(client, connection)
  }
  return connection
}

function toPg(value: SqlValue): unknown {
  if (typeof value === 'bigint') return String(value)
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return value
}
