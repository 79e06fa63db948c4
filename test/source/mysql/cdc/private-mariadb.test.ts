import { existsSync } from 'node:fs'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPrivateMariadb, type PrivateMariadb } from '../../../support/private-mariadb.js'

// The harness the binlog tests need (issue 13): the machine's MariaDB runs without a binlog, so
// CDC needs a server of its own. This proves the harness: the binlog is on in ROW format with full
// images, a change lands in it, and the server is gone after stop().
describe('a private MariaDB server with the binlog on', () => {
  let server: PrivateMariadb
  beforeAll(async () => {
    server = await startPrivateMariadb()
  }, 120_000)
  afterAll(async () => server?.stop())

  it('runs log_bin = ON, binlog_format = ROW, binlog_row_image = FULL and logs a committed change', async () => {
    const conn = await mysql.createConnection(server.url)
    try {
      const [[vars]] = await conn.query<mysql.RowDataPacket[]>('SELECT @@log_bin AS logBin, @@binlog_format AS format, @@binlog_row_image AS image, @@server_id AS id')
      expect(vars).toMatchObject({ logBin: 1, format: 'ROW', image: 'FULL', id: 1 })
      const [[before]] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS')
      await conn.query('CREATE TABLE t (id INT PRIMARY KEY)')
      await conn.query('INSERT INTO t VALUES (1)')
      const [[after]] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS')
      expect(after!.File).toBe(before!.File)
      expect(after!.Position).toBeGreaterThan(before!.Position)
    } finally {
      await conn.end()
    }
  })

  it('stops, removes its directory and is unreachable afterwards', async () => {
    const other = await startPrivateMariadb()
    await other.stop()
    expect(existsSync(other.dir)).toBe(false)
    await expect(mysql.createConnection({ uri: other.url, connectTimeout: 2000 })).rejects.toThrow()
  }, 120_000)
})
