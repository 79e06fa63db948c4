import type mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSluiceError, sync } from '../../../../src/index.js'
import { mysqlSource } from '../../../../src/mysql.js'
import { startPrivateMariadb, type PrivateMariadb } from '../../../support/private-mariadb.js'
import { describeWithService } from '../../postgres/pg-service.js'
import { MYSQL_URL, mysqlUnavailable } from '../mysql-service.js'
import { admin, live, warehouse } from './cdc-helpers.js'

// What mysqlSource({ replication }) refuses, and how it fails: options, server settings, a purged binlog.

function refusal(make: () => unknown): { code: string; message: string } {
  try {
    make()
  } catch (e) {
    if (isSluiceError(e)) return { code: e.code, message: e.message }
    throw e
  }
  throw new Error('not refused')
}

describe('mysqlSource replication options', () => {
  const connection = 'mysql://reader:hunter2@localhost/shop'
  it('refuses cursor and lookback with replication, naming the table entry', () => {
    expect(refusal(() => mysqlSource({ connection, tables: [{ table: 't', cursor: 'updated_at' }], replication: 'binlog' }))).toMatchObject({
      code: 'CONFIG_INVALID', message: expect.stringContaining('mysqlSource.tables[0].cursor'),
    })
    expect(refusal(() => mysqlSource({ connection, tables: ['a', { table: 't', lookback: '5m' }], replication: 'binlog' }))).toMatchObject({
      code: 'CONFIG_INVALID', message: expect.stringContaining('mysqlSource.tables[1].lookback'),
    })
  })

  it('refuses unknown modes and options, and bad values', () => {
    const bad: unknown[] = ['logical', true, { slot: 'x' }, { continuous: 'yes' }, { checkpointEvery: { rows: 0 } }, { checkpointEvery: { every: 1 } }, { onPositionLost: 'ignore' }, { serverId: 0 }, { serverId: 2 ** 32 }]
    for (const replication of bad) {
      const r = refusal(() => mysqlSource({ connection, tables: ['t'], replication: replication as 'binlog' }))
      expect(r.code, JSON.stringify(replication)).toBe('CONFIG_INVALID')
      expect(r.message).toContain('mysqlSource.replication')
      expect(r.message).not.toContain('hunter2')
    }
  })

  it('takes the documented forms', () => {
    for (const replication of ['binlog', {}, { serverId: 4242, continuous: true, checkpointEvery: { rows: 10, ms: 5 }, onPositionLost: 'resnapshot' }] as const) {
      expect(mysqlSource({ connection, tables: ['t'], replication }).readAhead).toBe(false)
    }
  })
})

const unavailable = await mysqlUnavailable()
describeWithService('binlog CDC against a server without the binlog', 'MariaDB/MySQL', unavailable, () => {
  it('fails with REPLICATION_SETUP naming the settings to change (the machine server runs with log_bin = OFF)', async () => {
    const conn = (await import('mysql2/promise')).default
    const c = await conn.createConnection(MYSQL_URL)
    const [[row]] = (await c.query('SELECT @@log_bin AS on_')) as unknown as [[{ on_: number }]]
    await c.end()
    expect(row.on_, 'the shared server is expected to run without a binlog').toBe(0)
    const report = await sync({ source: mysqlSource({ connection: MYSQL_URL, tables: ['t'], replication: 'binlog' }), destination: warehouse().sink() })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'REPLICATION_SETUP' })
    expect(report.error!.message).toContain('log_bin = OFF')
    expect(report.error!.message).toMatch(/log_bin = mysql-bin.*binlog_format = ROW.*binlog_row_image = FULL.*binlog_row_metadata = FULL.*server_id/)
  })
})

describe('binlog CDC on a private server', () => {
  let db: PrivateMariadb
  let sql: mysql.Connection
  beforeAll(async () => {
    db = await startPrivateMariadb()
    sql = await admin(db.url)
  }, 120_000)
  afterAll(async () => {
    await sql?.end()
    await db?.stop()
  })

  it('refuses binlog_format other than ROW, binlog_row_image or binlog_row_metadata other than FULL', async () => {
    await sql.query(`CREATE TABLE fmt (id INT PRIMARY KEY)`)
    for (const [setting, value] of [['binlog_format', 'STATEMENT'], ['binlog_row_image', 'MINIMAL'], ['binlog_row_metadata', 'MINIMAL']] as const) {
      await sql.query(`SET GLOBAL ${setting} = '${value}'`)
      try {
        const report = await sync({ source: mysqlSource({ connection: db.url, tables: ['fmt'], replication: 'binlog' }), destination: warehouse().sink() })
        expect(report.error).toMatchObject({ code: 'REPLICATION_SETUP', message: expect.stringContaining(`${setting} is ${value}`) })
      } finally {
        await sql.query(`SET GLOBAL ${setting} = '${setting === 'binlog_format' ? 'ROW' : 'FULL'}'`)
      }
    }
  })

  it('refuses a database the server leaves out of its binlog (binlog_ignore_db)', async () => {
    const other = await startPrivateMariadb({ 'binlog-ignore-db': 'sluice' })
    try {
      const c = await admin(other.url)
      await c.query('CREATE TABLE t (id INT PRIMARY KEY)')
      await c.end()
      const report = await sync({ source: mysqlSource({ connection: other.url, tables: ['t'], replication: 'binlog' }), destination: warehouse().sink() })
      expect(report.error).toMatchObject({ code: 'REPLICATION_SETUP', message: expect.stringContaining('leaves database sluice out of its binlog') })
    } finally {
      await other.stop()
    }
  }, 60_000)

  it('refuses a spatial column, which the stream could not land as the snapshot does', async () => {
    await sql.query(`CREATE TABLE geo (id INT PRIMARY KEY, at POINT)`)
    const make = (columns?: { exclude: string[] }) => mysqlSource({ connection: db.url, tables: [{ table: 'geo', ...(columns ? { columns } : {}) }], replication: 'binlog' })
    const refused = await sync({ source: make(), destination: warehouse().sink() })
    expect(refused.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('columns: { exclude: ["at"] }') })
    expect((await sync({ source: make({ exclude: ['at'] }), destination: warehouse().sink() })).status).toBe('succeeded')
  }, 60_000)

  it('fails on a partition truncated or dropped: rows gone without row events', async () => {
    await sql.query(`CREATE TABLE parts (id INT PRIMARY KEY) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE);
      INSERT INTO parts VALUES (1), (20)`)
    const w = warehouse()
    const source = mysqlSource({ connection: db.url, tables: ['parts'], id: 'parts', replication: 'binlog' })
    expect((await sync({ source, destination: w.sink() })).status).toBe('succeeded')
    await sql.query(`ALTER TABLE parts TRUNCATE PARTITION p0`)
    const report = await sync({ source, destination: w.sink() })
    expect(report.error).toMatchObject({ code: 'SOURCE_FAILED', message: expect.stringMatching(/TRUNCATE PARTITION p0.*reset the connector/) })
  }, 60_000)

  it('fails with REPLICATION_POSITION_LOST when the saved binlog file was purged, and recovers with onPositionLost: "resnapshot"', async () => {
    await sql.query(`CREATE TABLE p (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO p VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
    const w = warehouse()
    const source = (onPositionLost: 'fail' | 'resnapshot') => mysqlSource({ connection: db.url, tables: ['p'], id: 'purged', replication: { onPositionLost } })
    expect((await sync({ source: source('fail'), destination: w.sink() })).status).toBe('succeeded')
    // Changes in the file about to go, then the server moves on and purges it.
    const [[first]] = (await sql.query('SHOW MASTER STATUS')) as unknown as [[{ File: string }]]
    await sql.query(`DELETE FROM p WHERE id = 2; UPDATE p SET v = 'A' WHERE id = 1; FLUSH BINARY LOGS; INSERT INTO p VALUES (4, 'd')`)
    // MariaDB keeps a file until InnoDB has flushed past it (its binlog checkpoint): purge until it is gone.
    for (let i = 0; ; i++) {
      const [[status]] = (await sql.query('SHOW MASTER STATUS')) as unknown as [[{ File: string }]]
      await sql.query(`PURGE BINARY LOGS TO '${status.File}'`)
      const [logs] = (await sql.query('SHOW BINARY LOGS')) as unknown as [{ Log_name: string }[]]
      if (!logs.some((l) => l.Log_name === first.File)) break
      if (i > 100) throw new Error(`${first.File} is still not purged`)
      await sql.query('FLUSH BINARY LOGS')
      await new Promise((r) => setTimeout(r, 50))
    }

    const lost = await sync({ source: source('fail'), destination: w.sink() })
    expect(lost.status).toBe('failed')
    expect(lost.error).toMatchObject({ code: 'REPLICATION_POSITION_LOST', message: expect.stringContaining("onPositionLost: 'resnapshot'") })
    expect(live(w.rows('p'))).toEqual([{ id: '1', v: 'a' }, { id: '2', v: 'b' }, { id: '3', v: 'c' }])

    const again = await sync({ source: source('resnapshot'), destination: w.sink() })
    expect(again.status, JSON.stringify(again.error)).toBe('succeeded')
    // A fresh copy; the row deleted while the position was lost is soft-deleted by the truncate before it.
    expect(live(w.rows('p'))).toEqual([{ id: '1', v: 'A' }, { id: '3', v: 'c' }, { id: '4', v: 'd' }])
    expect(w.rows('p').find((r) => r.id === '2')?._sluice_deleted).toBe('1')
    await sql.query(`INSERT INTO p VALUES (5, 'e')`)
    expect((await sync({ source: source('fail'), destination: w.sink() })).status).toBe('succeeded')
    expect(live(w.rows('p')).map((r) => r.id)).toEqual(['1', '3', '4', '5'])
  }, 60_000)
})
