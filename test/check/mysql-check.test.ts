import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { check } from '../../src/index.js'
import { mysqlSource } from '../../src/mysql.js'
import { describeWithService } from '../source/postgres/pg-service.js'
import { databases, MYSQL_URL, mysqlUnavailable } from '../source/mysql/mysql-service.js'

const unavailable = await mysqlUnavailable()
const suffix = randomBytes(4).toString('hex')
const USER = `sluice_chk_${suffix}`
const PASSWORD = `pw_${suffix}_Secret`

describeWithService('check() of mysqlSource against the real MariaDB', 'MariaDB', unavailable, () => {
  const dbs = databases('sluice_check')
  let db: string
  const asUser = () => {
    const url = new URL(MYSQL_URL.replace(/\/[^/]*$/, `/${db}`))
    url.username = USER
    url.password = PASSWORD
    return url.href
  }
  beforeAll(async () => {
    db = await dbs.next()
    await dbs.admin.query(`CREATE TABLE \`${db}\`.readable (id INT PRIMARY KEY); CREATE TABLE \`${db}\`.hidden (id INT PRIMARY KEY)`)
    await dbs.admin.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY '${PASSWORD}'; GRANT SELECT ON \`${db}\`.readable TO '${USER}'@'%'`)
  })
  afterAll(async () => {
    await dbs.admin.query(`DROP USER IF EXISTS '${USER}'@'%'`)
  })

  it('passes the connect and a table the user can read; fails one without SELECT with the GRANT, and a missing one', async () => {
    const report = await check({ source: mysqlSource({ connection: asUser(), tables: ['readable', 'hidden', 'absent'] }) })
    expect(report.ok).toBe(false)
    expect(report.results[0]).toMatchObject({ name: 'mysql: connect', ok: true })
    expect(report.results[1]).toMatchObject({ name: `${db}.readable: SELECT`, ok: true })
    expect(report.results[2]).toMatchObject({ ok: false, message: expect.stringMatching(new RegExp(`^user ${USER}@.* has no SELECT on ${db}\\.hidden$`)), hint: expect.stringMatching(new RegExp(`^GRANT SELECT ON \`${db}\`\\.\`hidden\` TO '${USER}'@'.*';$`)) })
    // MariaDB answers "denied" for a table the user can't see at all, so it is reported like a missing grant.
    expect(report.results[3]).toMatchObject({ ok: false, message: expect.stringContaining(`${db}.absent`) })
    expect(JSON.stringify(report)).not.toContain(PASSWORD)
  })

  it('fails a wrong password with what to check, without the password', async () => {
    const url = new URL(asUser())
    url.password = 'not_the_password_42'
    const report = await check({ source: mysqlSource({ connection: url.href, tables: ['readable'] }) })
    expect(report.results).toEqual([expect.objectContaining({ name: 'mysql: connect', ok: false, hint: 'check the user and password of the connection' })])
    expect(JSON.stringify(report)).not.toContain('not_the_password_42')
  })

  it('with replication, reports the binlog settings the server lacks', async () => {
    const report = await check({ source: mysqlSource({ connection: asUser(), tables: [{ table: 'readable' }], replication: 'binlog' }) })
    const binlog = report.results.find((r) => r.name === 'mysql: binlog settings')
    expect(binlog).toBeDefined()
    const [[row]] = (await dbs.admin.query('SELECT @@log_bin AS on_')) as unknown as [[{ on_: number }]]
    // This machine's MariaDB runs without a binlog: the check must say so; on one with it, the grants are checked next.
    if (Number(row.on_) !== 1) expect(binlog).toMatchObject({ ok: false, code: 'REPLICATION_SETUP', message: expect.stringContaining('log_bin = OFF') })
    else expect(report.results.find((r) => r.name === 'mysql: replication grants')).toMatchObject({ ok: false, code: 'REPLICATION_SETUP' })
  })
})
