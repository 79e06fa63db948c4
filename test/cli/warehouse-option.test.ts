import { mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../../src/cli/cli-io.js'
import { main } from '../../src/cli/main.js'
import { duckdb } from '../../src/duckdb.js'
import { sqlite, sync, type Sink } from '../../src/index.js'
import { page, scripted } from '../support/sources.js'
import { runCli, tempDir } from './run-cli.js'

const cwd = tempDir()
afterAll(() => rm(cwd, { recursive: true, force: true }))
const NOV = Date.UTC(2026, 10, 20)

/** Runs `sluice …argv` in this process, in `cwd`, capturing what it prints. */
async function sluice(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false, env: {}, cwd }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}

const WAREHOUSES = {
  sqlite: { file: 'shop.sqlite', sink: (path: string): Sink => sqlite({ path }) },
  duckdb: { file: 'lake/shop.duckdb', sink: (path: string): Sink => duckdb({ path }) },
} as const

describe('status, mar and schema --warehouse <file written by sync()>', () => {
  beforeAll(async () => {
    mkdirSync(join(cwd, 'lake'))
    for (const { file, sink } of Object.values(WAREHOUSES)) {
      // Written by the library directly, not by `sluice debug`: any name, anywhere.
      await sync({
        connectorId: 'shop',
        destination: sink(join(cwd, file)),
        mar: { mode: 'exact', clock: { now: () => NOV } },
        source: scripted(page('orders', [{ id: 1, total: 5 }, { id: 2, total: 7 }], { n: 1 })),
      })
    }
  })

  for (const [format, { file }] of Object.entries(WAREHOUSES)) {
    it(`reads a ${format} file: status lists the connector, mar its rows, schema its tables`, async () => {
      const status = await sluice('status', '--warehouse', file)
      expect(status.stderr).toBe('')
      expect(status.code).toBe(0)
      expect(status.stdout).toMatch(/^shop\s+\| idle\s+\|.*\| succeeded \|\s+2 \|/m)

      const mar = await sluice('mar', '--warehouse', file, '--month', '2026-11')
      expect(mar.code).toBe(0)
      expect(mar.stdout).toMatch(/^2026-11 \| shop\s+\| orders\s+\|\s+2$/m)
      expect(mar.stdout).toMatch(/^Month +\| Connector \| Table +\| MAR in month$/m)

      const schema = await sluice('schema', `--warehouse=${file}`)
      expect(schema.code).toBe(0)
      expect(schema.stdout).toContain('orders (key: id; mode: upsert)')
      expect(schema.stdout).toMatch(/^total +\| INT$/m)
    })
  }

  it('works from the command line as well', async () => {
    const result = await runCli(['status', '--warehouse', WAREHOUSES.sqlite.file], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^shop\s+\| idle /m)
  })

  it('a missing file exits 1 and says what to pass', async () => {
    for (const command of ['status', 'mar', 'schema']) {
      const result = await sluice(command, '--warehouse', 'nope.db')
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('No warehouse file at nope.db; pass the path of a SQLite or DuckDB file a sync wrote')
    }
  })

  it('refuses a folder, a file of another kind, a folder and --warehouse together, and --lake with --warehouse', async () => {
    const folder = await sluice('status', '--warehouse', 'lake')
    expect(folder.code).toBe(2)
    expect(folder.stderr).toBe('error [USAGE]: --warehouse lake is a folder; pass the database file itself, or the connector folder without --warehouse\n')

    writeFileSync(join(cwd, 'notes.txt'), 'not a database at all')
    const other = await sluice('schema', '--warehouse', 'notes.txt')
    expect(other.code).toBe(1)
    expect(other.stderr).toMatch(/^error \[WAREHOUSE_FORMAT\]: --warehouse notes.txt is neither a SQLite nor a DuckDB database/)

    const both = await sluice('schema', 'my_connector', '--warehouse', WAREHOUSES.sqlite.file)
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/^error \[USAGE\]: give the connector folder "my_connector" or --warehouse shop.sqlite, not both/)

    const lake = await sluice('mar', '--lake', 'lake', '--warehouse', WAREHOUSES.sqlite.file)
    expect(lake.code).toBe(2)
    expect(lake.stderr).toMatch(/^error \[USAGE\]: --lake reads a files destination: give it alone, without --warehouse/)
  })
})
