import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { SluiceError, sqlite, sync } from '../../../../src/index.js'
import { postgresSource } from '../../../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres.js'
import { connect, readRows, warehousePath } from './cdc-helpers.js'

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return (e as SluiceError).code
  }
  return undefined
}

describe('postgres replication refuses what it can not honour, and says what to run', () => {
  let server: PrivatePostgres
  let replica: PrivatePostgres
  let db: pg.Client
  beforeAll(async () => {
    ;[server, replica] = await Promise.all([startPrivatePostgres(), startPrivatePostgres({ wal_level: 'replica' })])
    db = await connect(server.url)
    await db.query(`CREATE TABLE keyed (id int PRIMARY KEY, v text); CREATE TABLE keyless (a int, b text)`)
    await db.query(`CREATE ROLE reader LOGIN PASSWORD 'hunter2secret'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader`)
    await db.query(`CREATE ROLE replicator LOGIN REPLICATION PASSWORD 'hunter2secret'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO replicator`)
  }, 120_000)
  afterAll(async () => {
    await db?.end()
    await Promise.all([server?.stop(), replica?.stop()])
  })
  const as = (user: string, s: PrivatePostgres = server) => s.url.replace('postgres://postgres@', `postgres://${user}:hunter2secret@`)

  it('at construction: a cursor or lookback, an unknown or malformed replication option (CONFIG_INVALID)', () => {
    const base = { connection: 'postgres://u@localhost/db', replication: 'logical' as const }
    expect(codeOf(() => postgresSource({ ...base, tables: [{ table: 't', cursor: 'updated_at' }] }))).toBe('CONFIG_INVALID')
    expect(() => postgresSource({ ...base, tables: [{ table: 't', cursor: 'updated_at' }] })).toThrow(/cursor/)
    expect(() => postgresSource({ ...base, tables: [{ table: 't', lookback: '5m' }] })).toThrow(/lookback/)
    expect(() => postgresSource({ ...base, tables: ['t'], replication: { slots: 'x' } as never })).toThrow(/slots/)
    expect(() => postgresSource({ ...base, tables: ['t'], replication: 'physical' as never })).toThrow(/'logical'/)
    expect(() => postgresSource({ ...base, tables: ['t'], replication: { slot: 'Bad-Name' } })).toThrow(/slot/)
    expect(() => postgresSource({ ...base, tables: ['t'], replication: { onSlotLost: 'ignore' as never } })).toThrow(/onSlotLost/)
    expect(() => postgresSource({ ...base, tables: ['t'], replication: { checkpointEvery: { rows: 0 } } })).toThrow(/rows/)
  })

  it('wal_level = replica: REPLICATION_SETUP naming ALTER SYSTEM SET wal_level = logical; the password never appears', async () => {
    const r = await sync({ source: postgresSource({ connection: as('postgres', replica), tables: ['t'], replication: 'logical' }), destination: sqlite({ path: warehousePath() }) })
    expect(r.error?.code).toBe('REPLICATION_SETUP')
    expect(r.error?.message).toContain('ALTER SYSTEM SET wal_level = logical')
    expect(JSON.stringify(r)).not.toContain('hunter2secret')
  }, 30_000)

  it('a role without REPLICATION: REPLICATION_SETUP with the ALTER ROLE to run', async () => {
    const r = await sync({ source: postgresSource({ connection: as('reader'), tables: ['keyed'], replication: 'logical' }), destination: sqlite({ path: warehousePath() }) })
    expect(r.error?.code).toBe('REPLICATION_SETUP')
    expect(r.error?.message).toContain('ALTER ROLE "reader" REPLICATION;')
    expect(JSON.stringify(r)).not.toContain('hunter2secret')
  }, 30_000)

  it('a role that may not read a table: REPLICATION_SETUP with the GRANT to run', async () => {
    await db.query(`CREATE TABLE hidden (id int PRIMARY KEY)`)
    const r = await sync({ source: postgresSource({ connection: as('replicator'), tables: ['keyed', 'hidden'], id: 'hid', replication: 'logical' }), destination: sqlite({ path: warehousePath() }) })
    expect(r.error?.code).toBe('REPLICATION_SETUP')
    expect(r.error?.message).toContain('GRANT SELECT ON "public"."hidden" TO "replicator";')
  }, 30_000)

  it('a role that may not create the publication, or create: false: REPLICATION_SETUP with CREATE PUBLICATION / pg_create_logical_replication_slot', async () => {
    const notOwner = await sync({ source: postgresSource({ connection: as('replicator'), tables: ['keyed'], id: 'rep', replication: 'logical' }), destination: sqlite({ path: warehousePath() }) })
    expect(notOwner.error?.code).toBe('REPLICATION_SETUP')
    expect(notOwner.error?.message).toContain('CREATE PUBLICATION "sluice_rep" FOR TABLE "public"."keyed" WITH (publish_via_partition_root = true);')

    const noCreate = () => postgresSource({ connection: server.url, tables: ['keyed'], id: 'nc', replication: { create: false } })
    const noPub = await sync({ source: noCreate(), destination: sqlite({ path: warehousePath() }) })
    expect(noPub.error?.code).toBe('REPLICATION_SETUP')
    expect(noPub.error?.message).toContain('CREATE PUBLICATION "sluice_nc" FOR TABLE "public"."keyed" WITH (publish_via_partition_root = true);')
    await db.query(`CREATE PUBLICATION sluice_nc FOR TABLE keyed`)
    const noSlot = await sync({ source: noCreate(), destination: sqlite({ path: warehousePath() }) })
    expect(noSlot.error?.code).toBe('REPLICATION_SETUP')
    expect(noSlot.error?.message).toContain(`SELECT pg_create_logical_replication_slot('sluice_nc', 'pgoutput');`)
    // Made beforehand as the message says: it is used.
    await db.query(`SELECT pg_create_logical_replication_slot('sluice_nc', 'pgoutput')`)
    await db.query(`INSERT INTO keyed VALUES (1, 'one')`)
    const path = warehousePath()
    expect((await sync({ source: noCreate(), destination: sqlite({ path }) })).error).toBeUndefined()
    await db.query(`INSERT INTO keyed VALUES (2, 'two'); DELETE FROM keyed WHERE id = 1`)
    expect((await sync({ source: noCreate(), destination: sqlite({ path }) })).error).toBeUndefined()
    expect(readRows(path, 'keyed').map((r) => [r.id, r._sluice_deleted])).toEqual([[1n, 1n], [2n, 0n]])
  }, 60_000)

  it('a table without a primary key needs primaryKey and REPLICA IDENTITY FULL (CONFIG_INVALID with the SQL); with both it streams', async () => {
    const path = warehousePath()
    const noKey = await sync({ source: postgresSource({ connection: server.url, tables: ['keyless'], id: 'nk', replication: 'logical' }), destination: sqlite({ path }) })
    expect(noKey.error?.code).toBe('CONFIG_INVALID')
    expect(noKey.error?.message).toContain('keyless')
    expect(noKey.error?.message).toContain('ALTER TABLE "public"."keyless" REPLICA IDENTITY FULL;')
    const source = () => postgresSource({ connection: server.url, tables: [{ table: 'keyless', primaryKey: ['a'] }], id: 'nk', replication: 'logical' })
    const noIdentity = await sync({ source: source(), destination: sqlite({ path }) })
    expect(noIdentity.error?.code).toBe('CONFIG_INVALID')
    expect(noIdentity.error?.message).toContain('REPLICA IDENTITY FULL')
    await db.query(`ALTER TABLE keyless REPLICA IDENTITY FULL; INSERT INTO keyless VALUES (1, 'x'), (2, 'y')`)
    expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
    await db.query(`UPDATE keyless SET b = 'z' WHERE a = 1; DELETE FROM keyless WHERE a = 2`)
    expect((await sync({ source: source(), destination: sqlite({ path }) })).error).toBeUndefined()
    expect(readRows(path, 'keyless', 'a').map((r) => [r.a, r.b, r._sluice_deleted])).toEqual([[1n, 'z', 0n], [2n, 'y', 1n]])
  }, 60_000)

  it('a server that can not be reached: SOURCE_FAILED without the password', async () => {
    const r = await sync({ source: postgresSource({ connection: 'postgres://u:hunter2secret@127.0.0.1:1/db', tables: ['t'], replication: 'logical' }), destination: sqlite({ path: warehousePath() }) })
    expect(r.error?.code).toBe('SOURCE_FAILED')
    expect(JSON.stringify(r)).not.toContain('hunter2secret')
  }, 30_000)
})
