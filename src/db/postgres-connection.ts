import pg from 'pg'
import { SluiceError, type SluiceErrorCode } from '../core/sluice-error.js'
import { transientNetworkCode } from '../retry/classify.js'

/**
 * How to reach PostgreSQL: a connection URL (`postgres://user:pass@host:5432/db`), or a
 * `pg.Pool` the application already has (sluice borrows clients and never ends that pool).
 */
export type PostgresConnection = string | pg.Pool

/** A pool to borrow clients from, whether sluice owns it, and a password-free description for messages. */
export interface PoolHandle {
  readonly pool: pg.Pool
  /** True when sluice created the pool from a URL: then it ends it when done. */
  readonly owned: boolean
  /** `host:port/database`, never the password. */
  readonly target: string
}

/** Throws `CONFIG_INVALID` unless `value` is a postgres URL or a pool (checked when a factory is built). */
export function checkConnection(value: unknown, option: string): void {
  if (isPool(value)) return
  if (typeof value === 'string') {
    let url: URL | undefined
    try {
      url = new URL(value)
    } catch {
      url = undefined
    }
    if (url && (url.protocol === 'postgres:' || url.protocol === 'postgresql:')) return
    // Never echo the string itself: it may hold a password.
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${option} must be a URL such as "postgres://user:password@localhost:5432/db" or a pg.Pool; got a string that is not a postgres:// URL`,
      context: { option },
    })
  }
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `${option} must be a postgres:// URL or a pg.Pool, got ${value === null ? 'null' : typeof value}`,
    context: { option },
  })
}

function isPool(value: unknown): value is pg.Pool {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.connect === 'function' && typeof v.query === 'function' && typeof v.end === 'function'
}

/** A pool for `connection`: the user's own, or a new one of at most `max` clients. */
export function poolFor(connection: PostgresConnection, max: number): PoolHandle {
  if (isPool(connection)) {
    const options = (connection as unknown as { options?: { host?: string; port?: number; database?: string } }).options ?? {}
    return { pool: connection, owned: false, target: `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? ''}` }
  }
  const url = new URL(connection)
  const pool = new pg.Pool({
    connectionString: connection,
    max,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: 'sluice',
  })
  // An idle client losing its server (restart, network) emits on the pool; without a listener that crashes the process.
  pool.on('error', () => {})
  return { pool, owned: true, target: `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}` }
}

/** Postgres error classes a new attempt can get past: connection loss, shutdown, serialization failure, deadlock (and a table created concurrently, below). */
const RETRYABLE_SQLSTATE = /^(08|57P0|40001|40P01|53300)/

/** True when a pg error is worth retrying (connection or transient server state). */
export function isRetryablePgError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && RETRYABLE_SQLSTATE.test(code)) return true
  // Two writers (fleet partitions) creating one table at once: the loser's next attempt finds it made.
  if (code === '42P07' || (code === '23505' && (error as { constraint?: unknown }).constraint === 'pg_type_typname_nsp_index')) return true
  if (transientNetworkCode(error) !== undefined) return true
  const message = error instanceof Error ? error.message : ''
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
}

/** A `SluiceError` for a failure talking to Postgres; the message names the target, never the password. */
export function pgError(code: SluiceErrorCode, what: string, cause: unknown, context: Record<string, unknown> = {}): SluiceError {
  const text = cause instanceof Error ? cause.message : String(cause)
  const sqlstate = (cause as { code?: unknown } | null)?.code
  return new SluiceError({
    code,
    message: `${what}: ${text}`,
    retryable: isRetryablePgError(cause),
    cause,
    context: { ...context, ...(typeof sqlstate === 'string' ? { sqlstate } : {}) },
  })
}

/** Clients that already have the listener `connectClient` adds. */
const guarded = new WeakSet<pg.PoolClient>()

/** Borrows a client, turning a failed connect into `DESTINATION_UNAVAILABLE`/`SOURCE_FAILED` naming the target. */
export async function connectClient(handle: PoolHandle, code: SluiceErrorCode, who: string): Promise<pg.PoolClient> {
  try {
    const client = await handle.pool.connect()
    // An error on a borrowed client between queries (server restart) must not crash the process; the next query fails instead.
    // Once per client: a pooled client is borrowed again and again (a fleet worker's, thousands of times).
    if (!guarded.has(client)) {
      guarded.add(client)
      client.on('error', () => {})
    }
    return client
  } catch (cause) {
    throw pgError(code, `${who}: can't connect to postgres at ${handle.target}`, cause, { target: handle.target })
  }
}

/** `'it''s'`: a SQL string literal (standard_conforming_strings), for the few statements sent as simple queries. */
export function quoteLiteral(text: string): string {
  return pg.escapeLiteral(text)
}
