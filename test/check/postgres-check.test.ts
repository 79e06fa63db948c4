import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { check } from '../../src/index.js'
import { postgres, postgresSource } from '../../src/postgres.js'
import { describeWithService, PG_URL, pgUnavailable } from '../source/postgres/pg-service.js'

const unavailable = await pgUnavailable()
const suffix = randomBytes(4).toString('hex')
const ROLE = `sluice_check_${suffix}`
const SCHEMA = `check_${suffix}`
const PASSWORD = `pw_${suffix}_s3cret`

function asRole(): string {
  const url = new URL(PG_URL)
  url.username = ROLE
  url.password = PASSWORD
  return url.href
}

describeWithService('check() of postgresSource against the real Postgres', 'PostgreSQL', unavailable, () => {
  const admin = new pg.Client({ connectionString: PG_URL })
  beforeAll(async () => {
    await admin.connect()
    await admin.query(`CREATE ROLE ${ROLE} LOGIN NOREPLICATION PASSWORD '${PASSWORD}'`)
    await admin.query(`CREATE SCHEMA ${SCHEMA}`)
    await admin.query(`CREATE TABLE ${SCHEMA}.readable (id int primary key)`)
    await admin.query(`CREATE TABLE ${SCHEMA}.hidden (id int primary key)`)
    await admin.query(`GRANT USAGE ON SCHEMA ${SCHEMA} TO ${ROLE}`)
    await admin.query(`GRANT SELECT ON ${SCHEMA}.readable TO ${ROLE}`)
  })
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`)
    await admin.query(`DROP ROLE IF EXISTS ${ROLE}`)
    await admin.end()
  })

  it('passes the connect and each table the role can read', async () => {
    const report = await check({ source: postgresSource({ connection: asRole(), schema: SCHEMA, tables: ['readable'] }) })
    expect(report.ok).toBe(true)
    expect(report.results.map((r) => r.name)).toEqual(['postgres: connect', `${SCHEMA}.readable: SELECT`])
    expect(report.results[0]?.message).toContain(`as ${ROLE}`)
  })

  it('fails a table without SELECT for the role, giving the GRANT that fixes it, and a missing table', async () => {
    const report = await check({ source: postgresSource({ connection: asRole(), schema: SCHEMA, tables: ['readable', 'hidden', 'absent'] }) })
    expect(report.ok).toBe(false)
    expect(report.results[1]).toMatchObject({ ok: true })
    expect(report.results[2]).toMatchObject({
      name: `${SCHEMA}.hidden: SELECT`,
      ok: false,
      message: `role ${ROLE} has no SELECT on ${SCHEMA}.hidden`,
      hint: `GRANT SELECT ON "${SCHEMA}"."hidden" TO "${ROLE}";`,
    })
    expect(report.results[3]).toMatchObject({ ok: false, message: expect.stringContaining(`table ${SCHEMA}.absent does not exist`) })
    expect(JSON.stringify(report)).not.toContain(PASSWORD)
  })

  it('fails a role without REPLICATION when logical replication is asked for', async () => {
    const source = postgresSource({ connection: asRole(), schema: SCHEMA, tables: [{ table: 'readable' }], replication: 'logical', id: `check_${suffix}` })
    const report = await check({ source })
    const replication = report.results.find((r) => r.name === 'postgres: REPLICATION')
    expect(replication).toMatchObject({ ok: false, code: 'REPLICATION_SETUP', hint: `ALTER ROLE "${ROLE}" REPLICATION;` })
    expect(report.results.find((r) => r.name === 'postgres: wal_level')).toBeDefined()
  })

  it('says a refused connection is a firewall or server problem, without the password', async () => {
    const url = new URL(asRole())
    url.port = '1'
    const report = await check({ source: postgresSource({ connection: url.href, schema: SCHEMA, tables: ['readable'] }), configuration: {} })
    expect(report.results).toHaveLength(1)
    expect(report.results[0]).toMatchObject({ name: 'postgres: connect', ok: false, code: 'SOURCE_FAILED' })
    expect(report.results[0]?.hint).toContain('firewall')
    expect(JSON.stringify(report)).not.toContain(PASSWORD)
  })

  it('checks the destination: a schema the role may not write, one it may not create, and one it may', async () => {
    const locked = await check({ destination: postgres({ connection: asRole(), schema: SCHEMA }) })
    expect(locked.ok).toBe(false)
    expect(locked.results[0]).toMatchObject({ name: 'postgres: connect', ok: true })
    expect(locked.results[1]).toMatchObject({ ok: false, message: `role ${ROLE} can't create tables in schema ${SCHEMA}`, hint: `GRANT USAGE, CREATE ON SCHEMA "${SCHEMA}" TO "${ROLE}";` })
    const missing = await check({ destination: postgres({ connection: asRole(), schema: `${SCHEMA}_new` }) })
    expect(missing.results[1]).toMatchObject({ ok: false, message: `schema ${SCHEMA}_new does not exist and role ${ROLE} can't create it` })
    const admin = await check({ destination: postgres({ connection: PG_URL, schema: SCHEMA }) })
    expect(admin).toMatchObject({ ok: true })
    expect(JSON.stringify([locked, missing])).not.toContain(PASSWORD)
  })
})
