import type mysql from 'mysql2/promise'
import { checkFailed, checkPassed, type CheckResult } from '../../contracts/check.js'
import { checkBinlogServer, isPrivilegeError, privilegeError, replicationGrant, serverPosition } from './cdc/binlog-server.js'
import { mysqlPoolFor, type MysqlConnection } from './mysql-connection.js'

/**
 * The checks of `mysqlSource`: connect and `select 1`; for each table, a `SELECT … LIMIT 0` (the
 * server itself decides whether the user may read it, whatever level the grant is at); with
 * `replication`, the binlog settings, the binlog position (REPLICATION CLIENT / BINLOG MONITOR)
 * and REPLICATION SLAVE in the user's grants.
 *
 * @example
 * ```ts
 * import { mysqlCheck } from './mysql-check.js'
 * const results = await mysqlCheck({ connection: 'mysql://reader@127.0.0.1:3306/shop', database: undefined, tables: ['orders'], replication: false })
 * console.log(results.every((r) => r.ok))
 * ```
 */
export async function mysqlCheck(args: {
  readonly connection: MysqlConnection
  readonly database: string | undefined
  readonly tables: readonly string[]
  readonly replication: boolean
}): Promise<CheckResult[]> {
  const handle = mysqlPoolFor(args.connection)
  let conn: mysql.PoolConnection
  try {
    conn = await handle.pool.getConnection()
  } catch (error) {
    if (handle.owned) await handle.pool.end().catch(() => {})
    return [connectFailure(handle.target, error)]
  }
  const results: CheckResult[] = []
  try {
    const [[who]] = await conn.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS user, DATABASE() AS db, 1 AS one')
    const user = String(who?.user ?? '')
    const database = args.database ?? (who?.db as string | null) ?? undefined
    results.push(checkPassed('mysql: connect', `connected to ${handle.target} as ${user}; select 1 answered`))
    for (const table of args.tables) {
      const name = `${database ?? '?'}.${table}: SELECT`
      if (database === undefined) {
        results.push({ name, ok: false, message: 'no database: the connection names none and `database` is not set', hint: 'add the database to the connection URL or set mysqlSource({ database })', code: 'CONFIG_INVALID' })
        continue
      }
      try {
        await conn.query(`SELECT 1 FROM ${ident(database)}.${ident(table)} LIMIT 0`)
        results.push(checkPassed(name, `${user} can read ${database}.${table}`))
      } catch (error) {
        const errno = Number((error as { errno?: unknown }).errno)
        if (errno === 1146) results.push({ name, ok: false, message: `table ${database}.${table} does not exist`, hint: 'check the table name and the database', code: 'SOURCE_FAILED' })
        else if (errno === 1142 || errno === 1044) results.push({ name, ok: false, message: `user ${user} has no SELECT on ${database}.${table}`, hint: `GRANT SELECT ON ${ident(database)}.${ident(table)} TO ${account(user)};`, code: 'SOURCE_FAILED' })
        else results.push(checkFailed(name, error, 'see the server\'s message'))
      }
    }
    if (args.replication) results.push(...(await binlogChecks(conn, handle.target)))
  } catch (error) {
    results.push(checkFailed('mysql: query', error))
  } finally {
    conn.release()
    if (handle.owned) await handle.pool.end().catch(() => {})
  }
  return results
}

async function binlogChecks(conn: mysql.PoolConnection, target: string): Promise<CheckResult[]> {
  let server: Awaited<ReturnType<typeof checkBinlogServer>>
  try {
    server = await checkBinlogServer(conn, target)
  } catch (error) {
    return [checkFailed('mysql: binlog settings', error, 'set them in my.cnf and restart the server')]
  }
  const results = [checkPassed('mysql: binlog settings', 'binlog on, ROW format, full row images and metadata')]
  try {
    await serverPosition(conn, server)
    const grants = (await conn.query<mysql.RowDataPacket[]>({ sql: 'SHOW GRANTS', rowsAsArray: true }))[0].map((row) => String((row as unknown as unknown[])[0]))
    const slave = grants.some((g) => /\bREPLICATION SLAVE\b|\bALL PRIVILEGES ON \*\.\*/i.test(g))
    if (slave) results.push(checkPassed('mysql: replication grants', `${server.user} may read the binlog`))
    else results.push({ name: 'mysql: replication grants', ok: false, message: `user ${server.user} lacks REPLICATION SLAVE`, hint: replicationGrant(server), code: 'REPLICATION_SETUP' })
  } catch (error) {
    if (isPrivilegeError(error)) {
      const refused = privilegeError(server, 'read the binlog position', error)
      results.push({ name: 'mysql: replication grants', ok: false, message: refused.message, hint: replicationGrant(server), code: 'REPLICATION_SETUP' })
    } else results.push(checkFailed('mysql: replication grants', error))
  }
  return results
}

function connectFailure(target: string, error: unknown): CheckResult {
  const code = (error as { code?: unknown } | null)?.code
  const errno = Number((error as { errno?: unknown } | null)?.errno)
  const hint =
    errno === 1045
      ? 'check the user and password of the connection'
      : errno === 1049
        ? 'check the database name of the connection'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'DNS: check the host of the connection'
          : code === 'ECONNREFUSED'
            ? 'nothing accepts connections there: is the server running on that host and port? check firewall rules and bind-address'
            : 'check the connection'
  return { name: 'mysql: connect', ok: false, message: `can't connect to ${target}: ${error instanceof Error ? error.message : String(error)}`, hint, code: 'SOURCE_FAILED' }
}

function ident(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``
}

/** `'name'@'host'` from CURRENT_USER()'s `name@host`. */
function account(user: string): string {
  const at = user.lastIndexOf('@')
  return at < 0 ? `'${user}'@'%'` : `'${user.slice(0, at)}'@'${user.slice(at + 1)}'`
}
