import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, describe, expect, it } from 'vitest'
import { calls, oneErrorLine, runCli, tempDir } from './run-cli.js'

/** The first column of each row of `sql`, read from a DuckDB file opened read-only. */
async function duck(path: string, sql: string): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  const connection = await instance.connect()
  try {
    return (await connection.runAndReadAll(sql)).getRows().map((row) => row[0])
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

describe('sluice debug --destination duckdb', () => {
  const cwd = tempDir()
  const dir = join(cwd, 'ducks')
  const warehouse = join(dir, 'files', 'warehouse.db')
  afterAll(() => rm(cwd, { recursive: true, force: true }))

  it('writes files/warehouse.db as a DuckDB database and prints the summary with its row counts', async () => {
    expect((await runCli(['init', 'ducks'], { cwd })).code).toBe(0)
    const result = await runCli(['debug', 'ducks', '--destination', 'duckdb'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(1000)
    expect(calls(result.stdout, 'Checkpoints')).toBe(10)
    expect(result.stdout).toMatch(/^orders\s+\|\s+1,000 \|.*\|\s+1,000 \|\s+0$/m)
    expect(readFileSync(warehouse).subarray(8, 12).toString('latin1')).toBe('DUCK')
    expect(await duck(warehouse, 'SELECT count(*) FROM orders')).toEqual([1000n])
    // Declared types land natively: DECIMAL(12,2) and TIMESTAMPTZ.
    expect(await duck(warehouse, `SELECT data_type FROM duckdb_columns() WHERE table_name = 'orders' AND column_name IN ('amount', 'created_at') ORDER BY column_name`)).toEqual([
      'DECIMAL(12,2)', 'TIMESTAMP WITH TIME ZONE',
    ])
    const [saved] = await duck(warehouse, `SELECT state FROM _sluice_state WHERE connector_id = 'ducks'`)
    expect(JSON.parse(saved as string)).toEqual({ last_id: 1000 })
    expect(JSON.parse(readFileSync(join(dir, 'files', 'state.json'), 'utf8'))).toEqual({ last_id: 1000 })
  })

  it('a second run, without the flag, continues in the DuckDB warehouse from its saved state', async () => {
    const again = await runCli(['debug', 'ducks'], { cwd })
    expect(again.code).toBe(0)
    expect(calls(again.stdout, 'Upserts')).toBe(0)
    expect(again.stdout).toMatch(/^orders\s+\|\s+0 \|.*\|\s+1,000 \|\s+0$/m)

    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ rows: '1250', page_size: '100' }))
    const more = await runCli(['debug', 'ducks', '--destination=duckdb'], { cwd })
    expect(more.code).toBe(0)
    expect(calls(more.stdout, 'Upserts')).toBe(250)
    expect(await duck(warehouse, 'SELECT count(*) FROM orders')).toEqual([1250n])
  })

  it('status, mar and schema read the DuckDB warehouse without being told its format', async () => {
    const status = await runCli(['status', 'ducks'], { cwd })
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/ducks\s+\| idle\s+\|.*\| succeeded \|\s+250 \|/)
    const mar = await runCli(['mar', 'ducks'], { cwd })
    expect(mar.code).toBe(0)
    expect(mar.stdout).toMatch(/\| ducks\s+\| orders\s+\|\s+1,250$/m)
    const schema = await runCli(['schema', 'ducks'], { cwd })
    expect(schema.code).toBe(0)
    expect(schema.stdout).toMatch(/^amount\s+\| DECIMAL\(12,2\)$/m)
  })

  it('asking for SQLite over a DuckDB warehouse, or for an unknown destination, is a USAGE error', async () => {
    const sqlite = await runCli(['debug', 'ducks', '--destination', 'sqlite'], { cwd })
    expect(sqlite.code).toBe(2)
    expect(oneErrorLine(sqlite.stderr)).toMatch(/^error \[USAGE\]: ducks\/files\/warehouse\.db is a DuckDB database; run `sluice reset ducks` first/)
    const unknown = await runCli(['debug', 'ducks', '--destination', 'postgres'], { cwd })
    expect(unknown.code).toBe(2)
    expect(oneErrorLine(unknown.stderr)).toBe('error [USAGE]: option --destination must be one of sqlite, duckdb, got "postgres" (see `sluice debug --help`)')
  })

  it('reset removes the DuckDB warehouse; debug then starts over in SQLite by default', async () => {
    const reset = await runCli(['reset', 'ducks'], { cwd })
    expect(reset.code).toBe(0)
    expect(existsSync(warehouse)).toBe(false)
    const fresh = await runCli(['debug', 'ducks'], { cwd })
    expect(fresh.code).toBe(0)
    expect(calls(fresh.stdout, 'Upserts')).toBe(1250)
    expect(readFileSync(warehouse).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0')
  })
})
