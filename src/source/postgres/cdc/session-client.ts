import pg from 'pg'
import { pgError, type PostgresConnection } from '../../../db/postgres-connection.js'

/**
 * Session settings of every CDC connection, the walsender's included, so pgoutput's text values
 * are exactly the text the keyset reader gets (it sets the same ones LOCAL in its transactions):
 * ISO dates, UTC, exact floats, hex bytea, Postgres interval style.
 */
const SESSION_OPTIONS = '-c DateStyle=ISO,YMD -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex -c IntervalStyle=postgres'

/**
 * A connection of sluice's own to the source (not borrowed from a user's pool, whose settings it
 * must not change): a normal session, or a `replication=database` one for the walsender.
 * Fails as `SOURCE_FAILED` naming the target, never the password.
 */
export async function openSessionClient(connection: PostgresConnection, target: string, replication: boolean): Promise<pg.Client> {
  const base = typeof connection === 'string' ? { connectionString: connection } : poolConfig(connection)
  const client = new pg.Client({ ...base, options: SESSION_OPTIONS, application_name: 'sluice', ...(replication ? { replication: 'database' } : {}) } as pg.ClientConfig)
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (cause) {
    await client.end().catch(() => {})
    const what = replication ? 'a replication connection' : 'a connection'
    throw pgError('SOURCE_FAILED', `postgres replication: can't open ${what} to ${target}`, cause, { target })
  }
  return client
}

/** Connection settings of a user's pool, for connections of our own. */
function poolConfig(pool: pg.Pool): pg.ClientConfig {
  const o = (pool as unknown as { options: pg.PoolConfig }).options
  return { host: o.host, port: o.port, user: o.user, password: o.password, database: o.database, ssl: o.ssl, connectionString: o.connectionString }
}
