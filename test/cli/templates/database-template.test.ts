import { readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithService, PG_URL, pgUnavailable, schemas } from '../../source/postgres/pg-service.js'
import { calls, runCli, tempDir, warehouseValue } from '../run-cli.js'

const unavailable = await pgUnavailable()
const fresh = schemas('sluice_cli_tpl')

/** The `Table | Upserts | …` row of a debug summary: its upserts. */
function tableUpserts(stdout: string, table: string): number {
  const match = new RegExp(`^${table}\\s*\\|\\s*([\\d,]+) \\|`, 'm').exec(stdout)
  if (!match) throw new Error(`no ${table} row in:\n${stdout}`)
  return Number(match[1]!.replaceAll(',', ''))
}

describeWithService('sluice init --template database → debug against the local Postgres', 'PostgreSQL', unavailable, () => {
  const cwd = tempDir()
  const dir = join(cwd, 'shop_db')
  let schema: string
  beforeAll(async () => {
    schema = fresh.next()
    await fresh.pool.query(`
      CREATE SCHEMA "${schema}";
      CREATE TABLE "${schema}".orders (id integer PRIMARY KEY, status text NOT NULL, amount numeric(10,2), updated_at timestamptz NOT NULL);
      INSERT INTO "${schema}".orders SELECT i, 'new', i * 1.5, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute' FROM generate_series(1, 40) i;
      CREATE TABLE "${schema}".countries (code text PRIMARY KEY, name text NOT NULL);
      INSERT INTO "${schema}".countries VALUES ('fr', 'France'), ('de', 'Germany'), ('jp', 'Japan');`)
  })
  afterAll(() => rm(cwd, { recursive: true, force: true }))
  const query = (sql: string) => warehouseValue(dir, sql)

  it('scaffolds a postgresSource() connector with string configuration values, each explained in the README', async () => {
    const result = await runCli(['init', 'shop_db', '--template', 'database'], { cwd })
    expect(result.code).toBe(0)
    const source = readFileSync(join(dir, 'connector.ts'), 'utf8')
    expect(source).toContain("from 'sluice/postgres'")
    const configuration = JSON.parse(readFileSync(join(dir, 'configuration.json'), 'utf8')) as Record<string, unknown>
    expect(Object.values(configuration).every((v) => typeof v === 'string')).toBe(true)
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    for (const key of Object.keys(configuration)) expect(readme).toContain(`\`${key}\``)
    expect(readme).toContain('sluice/mysql')
  })

  it('debug reads the incremental table in keyset pages and the full table, with the catalog’s types', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ connection_url: PG_URL, schema, tables: 'orders:updated_at, countries', batch_size: '15' }))
    const result = await runCli(['debug', 'shop_db'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(tableUpserts(result.stdout, 'orders')).toBe(40)
    expect(tableUpserts(result.stdout, 'countries')).toBe(3)
    // Pages of 15: 3 for orders, 1 for countries, at least one checkpoint each.
    expect(calls(result.stdout, 'Checkpoints')).toBeGreaterThanOrEqual(4)
    expect(query('SELECT COUNT(*) FROM orders')).toBe(40)
    // DECIMAL kept exact (as text in SQLite)
    expect(query('SELECT amount FROM orders WHERE id = 3')).toBe('4.50')
  })

  it('a second debug reads no order again (only the full table), then picks up changed and new orders', async () => {
    const again = await runCli(['debug', 'shop_db'], { cwd })
    expect(again.code).toBe(0)
    expect(tableUpserts(again.stdout, 'orders')).toBe(0)
    expect(tableUpserts(again.stdout, 'countries')).toBe(3)

    await fresh.pool.query(`
      UPDATE "${schema}".orders SET status = 'paid', updated_at = timestamptz '2026-02-01 00:00:00+00' WHERE id IN (4, 9);
      INSERT INTO "${schema}".orders VALUES (41, 'new', 1, timestamptz '2026-02-02 00:00:00+00');
      DELETE FROM "${schema}".countries WHERE code = 'jp';`)
    const changed = await runCli(['debug', 'shop_db'], { cwd })
    expect(changed.code).toBe(0)
    expect(tableUpserts(changed.stdout, 'orders')).toBe(3)
    expect(query(`SELECT COUNT(*) FROM orders WHERE status = 'paid'`)).toBe(2)
    expect(query('SELECT COUNT(*) FROM orders')).toBe(41)
    // The full table is replaced: the row gone from the source is soft-deleted.
    expect(query(`SELECT _sluice_deleted FROM countries WHERE code = 'jp'`)).toBe(1)
  })

  it('a malformed tables entry names the key and the expected form', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ connection_url: PG_URL, schema, tables: 'orders:, countries' }))
    const result = await runCli(['debug', 'shop_db'], { cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/error \[CONFIGURATION_KEY\]: configuration key "tables" must list tables as/)
  })
})
