import mysql from 'mysql2/promise'
import { SluiceError, type SluiceErrorCode } from '../../core/sluice-error.js'
import { transientNetworkCode } from '../../retry/classify.js'

/**
 * How to reach MySQL or MariaDB: a URL (`mysql://user:pass@host:3306/db`, `mariadb://` works
 * too), or a `mysql2/promise` pool the application already has (sluice borrows one connection
 * per read and never ends that pool).
 */
export type MysqlConnection = string | mysql.Pool

/** A pool, whether sluice owns it, and a password-free description for messages. */
export interface MysqlPoolHandle {
  readonly pool: mysql.Pool
  readonly owned: boolean
  readonly target: string
}

function isPool(value: unknown): value is mysql.Pool {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.getConnection === 'function' && typeof v.query === 'function' && typeof v.end === 'function'
}

/** Throws `CONFIG_INVALID` unless `value` is a mysql:// (or mariadb://) URL or a mysql2 promise pool. */
export function checkMysqlConnection(value: unknown, option: string): void {
  if (isPool(value)) return
  if (typeof value === 'string') {
    let protocol: string | undefined
    try {
      protocol = new URL(value).protocol
    } catch {
      protocol = undefined
    }
    if (protocol === 'mysql:' || protocol === 'mariadb:') return
    // Never echo the string itself: it may hold a password.
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${option} must be a URL such as "mysql://user:password@localhost:3306/db" or a mysql2/promise pool; got a string that is not a mysql:// URL`,
      context: { option },
    })
  }
  throw new SluiceError({ code: 'CONFIG_INVALID', message: `${option} must be a mysql:// URL or a mysql2/promise pool, got ${value === null ? 'null' : typeof value}`, context: { option } })
}

/**
 * A pool for `connection`. One sluice creates reads exact values: DECIMAL and BIGINT as strings,
 * dates as text, JSON as text; queries also ask for these per query, so a user's pool is read
 * the same way (except `decimalNumbers`/`jsonStrings`, which mysql2 only takes per pool: the
 * source selects DECIMAL and JSON columns as text itself).
 */
export function mysqlPoolFor(connection: MysqlConnection): MysqlPoolHandle {
  if (isPool(connection)) {
    const config = (connection as unknown as { pool?: { config?: { connectionConfig?: { host?: string; port?: number; database?: string } } } }).pool?.config?.connectionConfig ?? {}
    return { pool: connection, owned: false, target: `${config.host ?? 'localhost'}:${config.port ?? 3306}/${config.database ?? ''}` }
  }
  const url = new URL(connection)
  if (url.protocol === 'mariadb:') url.protocol = 'mysql:'
  const pool = mysql.createPool({
    uri: url.toString(),
    connectionLimit: 1,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    jsonStrings: true,
    timezone: 'Z',
  })
  return { pool, owned: true, target: `${url.hostname || 'localhost'}:${url.port || '3306'}${url.pathname}` }
}

/** MySQL error codes a new attempt can get past: lost connection, lock wait, deadlock, too many connections. */
const RETRYABLE = new Set(['PROTOCOL_CONNECTION_LOST', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ETIMEDOUT'])

/** A `SluiceError` for a failure talking to MySQL; the message names the target, never the password. */
export function mysqlError(code: SluiceErrorCode, what: string, cause: unknown, context: Record<string, unknown> = {}): SluiceError {
  const text = cause instanceof Error ? cause.message : String(cause)
  const driverCode = (cause as { code?: unknown } | null)?.code
  return new SluiceError({
    code,
    message: `${what}: ${text}`,
    retryable: (typeof driverCode === 'string' && RETRYABLE.has(driverCode)) || transientNetworkCode(cause) !== undefined,
    cause,
    context: { ...context, ...(typeof driverCode === 'string' ? { driverCode } : {}) },
  })
}
