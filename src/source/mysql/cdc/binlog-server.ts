import type mysql from 'mysql2/promise'
import { SluiceError } from '../../../core/sluice-error.js'
import { mysqlError } from '../mysql-connection.js'

/** A place in the binlog: a file and a byte offset in it. */
export interface BinlogPosition {
  readonly file: string
  readonly pos: number
}

/** What the server is: its flavour and its own replica id. */
export interface BinlogServer {
  readonly mariadb: boolean
  readonly serverId: number
  readonly user: string
}

/** `file:pos`, as state and reports show it. */
export const positionText = (p: BinlogPosition): string => `${p.file}:${p.pos}`

/** Orders two positions: binlog files share a base name and a zero-padded sequence number, so names sort as text. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1
  return a.pos - b.pos
}

const one = async (conn: mysql.PoolConnection, sql: string): Promise<mysql.RowDataPacket | undefined> =>
  (await conn.query<mysql.RowDataPacket[]>({ sql, rowsAsArray: false }))[0][0]

/** The GRANT a user needs to read the binlog, for this flavour. */
export function replicationGrant(server: Pick<BinlogServer, 'mariadb' | 'user'>): string {
  const [name, host] = splitUser(server.user)
  const privileges = server.mariadb ? 'BINLOG MONITOR, REPLICATION SLAVE' : 'REPLICATION CLIENT, REPLICATION SLAVE'
  return `GRANT ${privileges} ON *.* TO '${name}'@'${host}';`
}

function splitUser(user: string): [string, string] {
  const at = user.lastIndexOf('@')
  return at < 0 ? [user, '%'] : [user.slice(0, at), user.slice(at + 1)]
}

/**
 * Checks the server can feed CDC: the binlog on, ROW format, full row images, full row metadata
 * (column names and types in every table map). Anything else is `REPLICATION_SETUP` naming the
 * settings to change.
 */
export async function checkBinlogServer(conn: mysql.PoolConnection, target: string): Promise<BinlogServer> {
  const v = await one(conn, 'SELECT @@log_bin AS logBin, @@binlog_format AS format, @@binlog_row_image AS image, @@server_id AS serverId, VERSION() AS version, CURRENT_USER() AS user')
  const mariadb = /mariadb/i.test(String(v?.version ?? ''))
  // Without the column names and types in each table map, events written before an ALTER TABLE are decoded against today's columns: wrong values, silently.
  const metadata = await one(conn, 'SELECT @@binlog_row_metadata AS m').then((r) => String(r?.m).toUpperCase(), () => 'unsupported by this server version')
  const wrong: string[] = []
  if (Number(v?.logBin) !== 1) wrong.push(`the binlog is off (log_bin = OFF)`)
  if (String(v?.format).toUpperCase() !== 'ROW') wrong.push(`binlog_format is ${v?.format}, not ROW`)
  if (String(v?.image).toUpperCase() !== 'FULL') wrong.push(`binlog_row_image is ${v?.image}, not FULL`)
  if (metadata !== 'FULL' && Number(v?.logBin) === 1) wrong.push(`binlog_row_metadata is ${metadata}, not FULL (needed to decode changes written before an ALTER TABLE; MySQL 8.0.1+, MariaDB 10.5+)`)
  if (Number(v?.serverId) === 0) wrong.push('server_id is 0 (a server with server_id 0 refuses replicas)')
  if (wrong.length > 0) {
    throw new SluiceError({
      code: 'REPLICATION_SETUP',
      message:
        `mysqlSource.replication: ${target} can't stream changes: ${wrong.join('; ')}. Set in the server's configuration ([mysqld] section of my.cnf) ` +
        '`log_bin = mysql-bin`, `binlog_format = ROW`, `binlog_row_image = FULL`, `binlog_row_metadata = FULL`, `server_id = 1` (any non-zero id), ' +
        'then restart the server (the last three can also be SET GLOBAL); or remove replication to read tables by keyset',
      context: { target, logBin: Number(v?.logBin) === 1, binlogFormat: v?.format, binlogRowImage: v?.image },
    })
  }
  return { mariadb, serverId: Number(v?.serverId), user: String(v?.user ?? '') }
}

/** Whether a driver error is "access denied" for a privilege (1227) or a command (1142/1045). */
export const isPrivilegeError = (e: unknown): boolean => [1227, 1142, 1045].includes(Number((e as { errno?: unknown } | null)?.errno))

/** A privilege error with the GRANT to run. */
export function privilegeError(server: BinlogServer, what: string, cause: unknown): SluiceError {
  return new SluiceError({
    code: 'REPLICATION_SETUP',
    message: `mysqlSource.replication: user ${server.user} may not ${what}; as an administrator run \`${replicationGrant(server)}\``,
    cause,
    context: { user: server.user, grant: replicationGrant(server) },
  })
}

/** The server's current binlog write position (`SHOW MASTER STATUS`; `SHOW BINARY LOG STATUS` on MySQL 8.4). */
export async function serverPosition(conn: mysql.PoolConnection, server: BinlogServer): Promise<BinlogPosition> {
  let row: mysql.RowDataPacket | undefined
  try {
    row = await one(conn, 'SHOW MASTER STATUS').catch(async (e: unknown) => {
      if (Number((e as { errno?: unknown }).errno) === 1064) return one(conn, 'SHOW BINARY LOG STATUS')
      throw e
    })
  } catch (cause) {
    if (isPrivilegeError(cause)) throw privilegeError(server, 'read the binlog position', cause)
    throw mysqlError('SOURCE_FAILED', 'mysqlSource.replication: reading the binlog position failed', cause)
  }
  if (!row?.File) throw new SluiceError({ code: 'REPLICATION_SETUP', message: 'mysqlSource.replication: the server reports no binlog position (is log_bin on?)' })
  return { file: String(row.File), pos: Number(row.Position) }
}

/**
 * Refuses a database the server leaves out of its binlog (`binlog_do_db` / `binlog_ignore_db`):
 * its changes would never arrive.
 */
export async function checkBinlogFilters(conn: mysql.PoolConnection, database: string): Promise<void> {
  const row = await one(conn, 'SHOW MASTER STATUS').catch(() => undefined)
  const list = (v: unknown) => String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean)
  const doDb = list(row?.Binlog_Do_DB)
  const ignoreDb = list(row?.Binlog_Ignore_DB)
  if ((doDb.length > 0 && !doDb.includes(database)) || ignoreDb.includes(database)) {
    throw new SluiceError({
      code: 'REPLICATION_SETUP',
      message: `mysqlSource.replication: the server leaves database ${database} out of its binlog (binlog_do_db = ${doDb.join(',') || '(all)'}, binlog_ignore_db = ${ignoreDb.join(',') || '(none)'}); change the server's configuration so its changes are logged`,
      context: { database },
    })
  }
}

/** The binlog files the server still has. */
export async function binlogFiles(conn: mysql.PoolConnection, server: BinlogServer): Promise<string[]> {
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>({ sql: 'SHOW BINARY LOGS', rowsAsArray: false })
    return rows.map((r) => String(r.Log_name))
  } catch (cause) {
    if (isPrivilegeError(cause)) throw privilegeError(server, 'list the binlog files', cause)
    throw mysqlError('SOURCE_FAILED', 'mysqlSource.replication: listing the binlog files failed', cause)
  }
}

/**
 * The replica id to read as: `configured`, or a stable one from the connector id (FNV-1a into
 * 1_000_000…2^31), never the server's own.
 */
export function readerServerId(configured: number | undefined, connectorId: string, server: BinlogServer): number {
  if (configured !== undefined) {
    if (configured === server.serverId) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `mysqlSource.replication.serverId ${configured} is the server's own server_id; pick another (each replica needs its own)`,
        context: { option: 'mysqlSource.replication.serverId' },
      })
    }
    return configured
  }
  let h = 0x811c9dc5
  for (const ch of connectorId) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
  const id = 1_000_000 + (h % 2_000_000_000)
  return id === server.serverId ? id + 1 : id
}
