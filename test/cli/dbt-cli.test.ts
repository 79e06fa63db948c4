import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../../src/cli/cli-io.js'
import { main } from '../../src/cli/main.js'
import { connector, op, sqlite, sync } from '../../src/index.js'
import { postgres } from '../../src/postgres.js'
import { describeWithService, PG_URL, pgUnavailable, schemas } from '../source/postgres/pg-service.js'
import { tempDir } from './run-cli.js'

const cwd = tempDir('sluice-dbt-cli-')
afterAll(() => rm(cwd, { recursive: true, force: true }))
const unavailable = await pgUnavailable()
const fresh = schemas('sluice_dbt_cli')

function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = ''
  let err = ''
  return { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env: {}, cwd, stdout: () => out, stderr: () => err }
}

const shop = connector({
  id: 'shop',
  schema: () => [{ table: 'orders', primaryKey: ['id'] }],
  update: () => [op.upsert('orders', [{ id: 1, total: 5 }]), op.checkpoint({})],
})

describe('sluice dbt', () => {
  it('writes sources.yml and a staging model per table of a connector folder\'s warehouse', async () => {
    mkdirSync(join(cwd, 'shop', 'files'), { recursive: true })
    await sync({ source: shop, destination: sqlite({ path: join(cwd, 'shop', 'files', 'warehouse.db') }) })
    const io = captureIo()
    expect(await main(['dbt', 'shop', '--out', 'analytics/models/sluice', '--schedule', '30m'], io), io.stderr()).toBe(0)
    expect(io.stdout()).toBe('wrote analytics/models/sluice/sources.yml\nwrote analytics/models/sluice/stg_shop__orders.sql\n1 staging model and sources.yml in analytics/models/sluice\n')
    const yml = readFileSync(join(cwd, 'analytics/models/sluice/sources.yml'), 'utf8')
    expect(yml).toContain('warn_after:\n          count: 1\n          period: hour')
    expect(yml).toContain('schema: main')
    expect(readFileSync(join(cwd, 'analytics/models/sluice/stg_shop__orders.sql'), 'utf8')).toContain("from {{ source('shop', 'orders') }}")
  })

  it('reads --warehouse files, DuckDB or SQLite, by their header', async () => {
    const { duckdb } = await import('../../src/duckdb.js')
    await sync({ source: shop, destination: duckdb({ path: join(cwd, 'w.duckdb') }) })
    const io = captureIo()
    expect(await main(['dbt', '--warehouse', 'w.duckdb', '--out', 'duck'], io), io.stderr()).toBe(0)
    expect(readFileSync(join(cwd, 'duck/sources.yml'), 'utf8')).toContain('data_type: INTEGER')
  })

  it('says so when there is no warehouse yet (exit 1), and refuses ambiguous or incomplete command lines (exit 2)', async () => {
    const none = captureIo()
    expect(await main(['dbt', 'nowhere', '--out', 'x'], none)).toBe(1)
    expect(none.stderr()).toContain('run `sluice debug` first')
    expect(existsSync(join(cwd, 'x'))).toBe(false)
    for (const argv of [['dbt', 'shop'], ['dbt', 'shop', '--warehouse', 'w.db', '--out', 'x'], ['dbt', '--schema', 'raw', '--out', 'x'], ['dbt', '--out', 'x', '--bogus']]) {
      const io = captureIo()
      expect(await main(argv, io), argv.join(' ')).toBe(2)
      expect(io.stderr()).toMatch(/^error \[USAGE\]/)
    }
    // A warehouse without tables (a sqlite file nothing synced into): refused, nothing written.
    await sqlite({ path: join(cwd, 'empty.db') }).saveConnector!({ connectorId: 'c', paused: false })
    const empty = captureIo()
    expect(await main(['dbt', '--warehouse', 'empty.db', '--out', 'e'], empty)).toBe(1)
    expect(empty.stderr()).toBe('No tables in the warehouse yet; run a sync first. Nothing written.\n')
    expect(existsSync(join(cwd, 'e'))).toBe(false)
    const bad = captureIo()
    expect(await main(['dbt', 'shop', '--out', 'x', '--schedule', 'often'], bad)).toBe(1)
    expect(bad.stderr()).toContain('--schedule.every')
  })
})

describeWithService('sluice dbt --postgres', 'PostgreSQL', unavailable, () => {
  it('reads a Postgres destination schema and never prints the connection URL', async () => {
    const schema = fresh.next()
    await sync({ source: shop, destination: postgres({ connection: PG_URL, schema }) })
    const url = PG_URL.replace('postgres@', 'postgres:s3cret-pw@')
    const io = captureIo()
    expect(await main(['dbt', '--postgres', url, '--schema', schema, '--out', 'pg'], io), io.stderr()).toBe(0)
    const yml = readFileSync(join(cwd, 'pg/sources.yml'), 'utf8')
    expect(yml).toContain(`schema: ${schema}`)
    expect(yml).toContain('data_type: integer')
    expect(io.stdout() + io.stderr() + yml).not.toContain('s3cret-pw')
    const missing = captureIo()
    expect(await main(['dbt', '--postgres', url, '--schema', `${schema}_missing`, '--out', 'pg2'], missing)).toBe(1)
    expect(missing.stderr()).toBe(`No tables in schema ${schema}_missing yet; run a sync first (or check --schema). Nothing written.\n`)
  })
})
