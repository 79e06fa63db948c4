import type mysql from 'mysql2/promise'
import type { ReplicationStatus } from '../../../contracts/sync-report.js'
import type { Source } from '../../../contracts/source.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { selected } from '../../sql/selected-tables.js'
import { narrowTable } from '../../sql/keyset-table.js'
import type { TablePlan } from '../../sql/table-options.js'
import { discoverMysqlTables, type MysqlTable } from '../mysql-catalog.js'
import { mysqlError, mysqlPoolFor, type MysqlConnection, type MysqlPoolHandle } from '../mysql-connection.js'
import type { BinlogPlan } from './binlog-options.js'
import { readBinlog } from './binlog-read.js'
import { checkBinlogServer, comparePositions, positionText, readerServerId, serverPosition, type BinlogPosition } from './binlog-server.js'

/** What the MySQL source shares with its binlog mode: connecting, discovering, releasing. */
export interface MysqlAccess {
  readonly connection: MysqlConnection
  readonly id: string
  readonly plans: readonly TablePlan[]
  readonly batchSize: number
  connect(handle: MysqlPoolHandle): Promise<mysql.PoolConnection>
  database(conn: mysql.PoolConnection): Promise<string>
  done(handle: MysqlPoolHandle, conn: mysql.PoolConnection, broken: unknown): Promise<void>
}

/**
 * `mysqlSource({ replication })`: snapshot then stream from the binlog (see `readBinlog`).
 * Tables land in upsert mode by key; deletes are soft; the binlog position is committed with the
 * data and `replication()` reports it with the server's position and the lag in bytes.
 */
export function mysqlBinlogSource(access: MysqlAccess, plan: BinlogPlan): Source {
  let committed: BinlogPosition | undefined
  const discover = async (conn: mysql.PoolConnection, database: string, plans: readonly TablePlan[]): Promise<MysqlTable[]> => {
    try {
      // An excluded column may be gone (dropped since): the binlog may still hold it, and it stays excluded.
      const tables = await discoverMysqlTables(conn, database, plans.map((p) => ({ ...p, named: p.named.filter((n) => p.include(n)) })))
      for (const t of tables) {
        const spatial = t.output.find((c) => c.select.startsWith('ST_AsText('))
        if (spatial) {
          // The snapshot reads WKT; the binlog holds the internal format, which zongji decodes to objects: not the same value.
          throw new SluiceError({
            code: 'CONFIG_INVALID',
            message: `mysqlSource.replication: table ${t.table} column ${spatial.name} is spatial, which the binlog reader can't land as the snapshot does (WKT); leave it out with columns: { exclude: [${JSON.stringify(spatial.name)}] }`,
            context: { table: t.table, column: spatial.name },
          })
        }
        if (t.key.length === 0) {
          throw new SluiceError({ code: 'CONFIG_INVALID', message: `mysqlSource.replication: table ${t.table} has no primary key; pass primaryKey so changes can be applied by key`, context: { table: t.table } })
        }
      }
      // Every change is applied by key: never a full refresh, whatever the keyset reader would pick.
      return tables.map((t) => ({ ...t, spec: { ...t.spec, mode: 'upsert' } }))
    } catch (cause) {
      throw cause instanceof SluiceError ? cause : mysqlError('SOURCE_FAILED', 'mysql source: reading information_schema failed', cause)
    }
  }
  return {
    id: access.id,
    readAhead: false,
    async tables() {
      const handle = mysqlPoolFor(access.connection)
      const conn = await access.connect(handle)
      let broken: unknown
      try {
        // A server that can't stream fails here, before anything is planned, with the settings to change.
        await checkBinlogServer(conn, handle.target)
        return (await discover(conn, await access.database(conn), access.plans)).map((t) => t.spec)
      } catch (e) {
        broken = e
        throw e
      } finally {
        await access.done(handle, conn, broken)
      }
    },
    async *read(args) {
      const handle = mysqlPoolFor(access.connection)
      const conn = await access.connect(handle)
      let broken: unknown
      try {
        const server = await checkBinlogServer(conn, handle.target)
        const database = await access.database(conn)
        const tables = selected(await discover(conn, database, access.plans), args)
        const selection = args.selection
        yield* readBinlog(
          {
            conn,
            database,
            tables,
            rediscover: async (name) => {
              const plan = access.plans.find((p) => p.table === name)!
              // A table dropped or renamed away (not found: CONFIG_INVALID) keeps its last columns; other failures fail the read.
              const [fresh] = await discover(conn, database, [plan]).catch((e: unknown) => {
                if (e instanceof SluiceError && e.code === 'CONFIG_INVALID') return [undefined]
                throw e
              })
              return fresh && selection ? narrowTable(fresh, (c) => selection.column(name, c)) : fresh
            },
            includes: (table, column) => (access.plans.find((p) => p.table === table)?.include(column) ?? false) && (selection?.column(table, column) ?? true),
            batchSize: access.batchSize,
            plan,
            server,
            serverId: readerServerId(plan.serverId, access.id, server),
            connection: binlogConnection(handle),
            signal: args.signal,
            onBroken: (e) => (broken = e),
            committed: (s) => (committed = { file: s.file, pos: s.pos }),
          },
          args.state,
        )
      } catch (e) {
        broken ??= e
        throw e
      } finally {
        await access.done(handle, conn, broken)
      }
    },
    async replication(): Promise<ReplicationStatus | undefined> {
      if (!committed) return undefined
      const position = committed
      const handle = mysqlPoolFor(access.connection)
      try {
        const conn = await handle.pool.getConnection()
        try {
          const server = await checkBinlogServer(conn, handle.target)
          const now = await serverPosition(conn, server)
          return {
            kind: 'mysql-binlog',
            position: positionText(position),
            serverPosition: positionText(now),
            ...(now.file === position.file ? { lagBytes: Math.max(0, now.pos - position.pos) } : comparePositions(now, position) <= 0 ? { lagBytes: 0 } : {}),
          }
        } finally {
          conn.release()
        }
      } catch {
        return { kind: 'mysql-binlog', position: positionText(position) }
      } finally {
        if (handle.owned) await handle.pool.end().catch(() => {})
      }
    },
    async dropReplication() {
      // A binlog reader keeps nothing on the server (no slot): the server purges by its own expiry.
      return []
    },
  }
}

/** The binlog connection's options: the URL's parts, or the pool's own connection settings. */
function binlogConnection(handle: MysqlPoolHandle): Record<string, unknown> {
  const c = (handle.pool as unknown as { pool?: { config?: { connectionConfig?: Record<string, unknown> } } }).pool?.config?.connectionConfig ?? {}
  const pick = ['host', 'port', 'user', 'password', 'database', 'ssl', 'socketPath', 'charset', 'connectTimeout', 'authPlugins', 'passwordSha1']
  return Object.fromEntries(pick.filter((k) => c[k] !== undefined).map((k) => [k, c[k]]))
}
