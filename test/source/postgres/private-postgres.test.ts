import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres.js'

// The harness change-data-capture tests need (issue 13): the shared server runs wal_level = replica,
// so logical decoding needs a server of its own. This proves the harness: logical slots with the
// pgoutput plugin work on it, and it is gone after stop().
describe('a private PostgreSQL server for logical replication', () => {
  let server: PrivatePostgres
  beforeAll(async () => {
    server = await startPrivatePostgres()
  }, 120_000)
  afterAll(async () => server?.stop())

  it('runs wal_level = logical and decodes a committed change through a pgoutput slot', async () => {
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    try {
      expect((await client.query('SHOW wal_level')).rows[0].wal_level).toBe('logical')
      await client.query('CREATE TABLE t (id int PRIMARY KEY, v text)')
      await client.query('CREATE PUBLICATION p FOR TABLE t')
      await client.query(`SELECT pg_create_logical_replication_slot('s', 'pgoutput')`)
      await client.query(`INSERT INTO t VALUES (1, 'a')`)
      const changes = await client.query(
        `SELECT count(*)::int AS n FROM pg_logical_slot_peek_binary_changes('s', NULL, NULL, 'proto_version', '1', 'publication_names', 'p')`,
      )
      // BEGIN, RELATION, INSERT, COMMIT at least.
      expect(changes.rows[0].n).toBeGreaterThanOrEqual(4)
      await client.query(`SELECT pg_drop_replication_slot('s')`)
    } finally {
      await client.end()
    }
  })

  it('stops and is unreachable afterwards', async () => {
    const other = await startPrivatePostgres()
    await other.stop()
    const client = new pg.Client({ connectionString: other.url, connectionTimeoutMillis: 2000 })
    await expect(client.connect()).rejects.toThrow()
  }, 120_000)
})
