import { readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres.js'
import { runCli, tempDir, warehouseValue } from '../run-cli.js'

/** The `Table | Upserts | …` row of a debug summary: its upserts. */
function tableUpserts(stdout: string, table: string): number {
  const match = new RegExp(`^${table}\\s*\\|\\s*([\\d,]+) \\|`, 'm').exec(stdout)
  if (!match) throw new Error(`no ${table} row in:\n${stdout}`)
  return Number(match[1]!.replaceAll(',', ''))
}

describe('sluice init --template postgres-cdc → debug → status → reset --drop-slot, against a private server (wal_level = logical)', () => {
  const cwd = tempDir()
  const dir = join(cwd, 'shop_cdc')
  let server: PrivatePostgres
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    try {
      return (await client.query(text)).rows as Record<string, unknown>[]
    } finally {
      await client.end()
    }
  }
  beforeAll(async () => {
    server = await startPrivatePostgres()
    await sql(`
      CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL, amount numeric(10,2));
      INSERT INTO orders SELECT i, 'new', i * 1.5 FROM generate_series(1, 40) i;
      CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
      INSERT INTO countries VALUES ('fr', 'France'), ('de', 'Germany'), ('jp', 'Japan');`)
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    await rm(cwd, { recursive: true, force: true })
  })
  const query = (text: string) => warehouseValue(dir, text)

  it('scaffolds a replication: logical connector whose README lists every key, the server settings and the grants', async () => {
    const result = await runCli(['init', 'shop_cdc', '--template', 'postgres-cdc'], { cwd })
    expect(result.code).toBe(0)
    const source = readFileSync(join(dir, 'connector.ts'), 'utf8')
    expect(source).toContain("from 'sluice/postgres'")
    expect(source).toContain("'logical'")
    const configuration = JSON.parse(readFileSync(join(dir, 'configuration.json'), 'utf8')) as Record<string, unknown>
    expect(Object.values(configuration).every((v) => typeof v === 'string')).toBe(true)
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    for (const key of Object.keys(configuration)) expect(readme).toContain(`\`${key}\``)
    for (const text of ['wal_level = logical', 'max_replication_slots', 'max_wal_senders', 'restart', 'REPLICATION', 'GRANT SELECT', 'CREATE PUBLICATION', 'REPLICA IDENTITY FULL', 'sluice status', '--drop-slot']) {
      expect(readme).toContain(text)
    }
  })

  it('debug copies the tables from the slot snapshot, then a second debug reads inserts, updates and deletes from the slot', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ connection_url: server.url, schema: 'public', tables: 'orders, countries', batch_size: '15', slot: '' }))
    const first = await runCli(['debug', 'shop_cdc'], { cwd })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(tableUpserts(first.stdout, 'orders')).toBe(40)
    expect(tableUpserts(first.stdout, 'countries')).toBe(3)
    expect(query('SELECT amount FROM orders WHERE id = 3')).toBe('4.50') // numeric exact, as text
    expect(await sql(`SELECT slot_name FROM pg_replication_slots`)).toEqual([{ slot_name: 'sluice_shop_cdc' }])

    await sql(`
      UPDATE orders SET status = 'paid' WHERE id IN (4, 9);
      INSERT INTO orders VALUES (41, 'new', 1);
      DELETE FROM countries WHERE code = 'jp';`)
    const changed = await runCli(['debug', 'shop_cdc'], { cwd })
    expect(changed.stderr).toBe('')
    expect(changed.code).toBe(0)
    expect(tableUpserts(changed.stdout, 'orders')).toBe(3)
    expect(query(`SELECT COUNT(*) FROM orders WHERE status = 'paid'`)).toBe(2)
    expect(query('SELECT COUNT(*) FROM orders')).toBe(41)
    expect(query(`SELECT _sluice_deleted FROM countries WHERE code = 'jp'`)).toBe(1)
  })

  it('status shows the slot with its lag and retained WAL', async () => {
    const result = await runCli(['status', 'shop_cdc'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^shop_cdc: slot sluice_shop_cdc at [0-9A-F]+\/[0-9A-F]+, lag \d.*retained WAL/m)
  })

  it('reset keeps the slot and says how to drop it; reset --drop-slot drops it on the server', async () => {
    const kept = await runCli(['reset', 'shop_cdc'], { cwd })
    expect(kept.code).toBe(0)
    expect(kept.stdout).toContain('Kept replication slot sluice_shop_cdc')
    expect(await sql(`SELECT slot_name FROM pg_replication_slots`)).toHaveLength(1)

    const dropped = await runCli(['reset', 'shop_cdc', '--drop-slot'], { cwd })
    expect(dropped.stderr).toBe('')
    expect(dropped.code).toBe(0)
    expect(dropped.stdout).toMatch(/^Dropped .*sluice_shop_cdc/m)
    expect(await sql(`SELECT slot_name FROM pg_replication_slots`)).toEqual([])
  })
})
