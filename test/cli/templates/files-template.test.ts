import { readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { calls, runCli, tempDir } from '../run-cli.js'

describe('sluice init --template files → debug over CSV and NDJSON files', () => {
  const cwd = tempDir()
  const dir = join(cwd, 'exports')
  afterAll(() => rm(cwd, { recursive: true, force: true }))
  const rows = () => {
    const db = new Database(join(dir, 'files', 'warehouse.db'), { readonly: true })
    try {
      return db.prepare('SELECT id, status FROM orders ORDER BY id').all()
    } finally {
      db.close()
    }
  }

  it('scaffolds a fileSource() connector with sample data that runs as it is', async () => {
    const result = await runCli(['init', 'exports', '--template', 'files'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('exports/data/orders-2024-01.csv')
    const configuration = JSON.parse(readFileSync(join(dir, 'configuration.json'), 'utf8')) as Record<string, unknown>
    expect(Object.values(configuration).every((v) => typeof v === 'string')).toBe(true)
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    for (const key of Object.keys(configuration)) expect(readme).toContain(`\`${key}\``)

    // Run from the parent folder: the data path is relative to the connector, not to the shell.
    const debug = await runCli(['debug', 'exports'], { cwd })
    expect(debug.stderr).toBe('')
    expect(debug.code).toBe(0)
    expect(calls(debug.stdout, 'Upserts')).toBe(5)
    // Order 2 was updated by the later NDJSON file (primary key id).
    expect(rows()).toEqual([
      { id: 1, status: 'paid' }, { id: 2, status: 'paid' }, { id: 3, status: 'shipped' }, { id: 4, status: 'paid' },
    ])
  })

  it('a second debug reads no file; a new file in a directory of its own is read alone', async () => {
    const again = await runCli(['debug'], { cwd: dir })
    expect(again.code).toBe(0)
    expect(calls(again.stdout, 'Upserts')).toBe(0)

    writeFileSync(join(dir, 'data', 'orders-2024-03.csv'), 'id,customer,status,amount,updated_at\n3,customer_1,delivered,42.50,2024-03-01T00:00:00Z\n5,customer_4,new,7.25,2024-03-02T00:00:00Z\n')
    const more = await runCli(['debug', 'exports'], { cwd })
    expect(more.code).toBe(0)
    expect(calls(more.stdout, 'Upserts')).toBe(2)
    expect(rows()).toEqual([
      { id: 1, status: 'paid' }, { id: 2, status: 'paid' }, { id: 3, status: 'delivered' }, { id: 4, status: 'paid' }, { id: 5, status: 'new' },
    ])
  })

  it('path points the connector at another folder or glob', async () => {
    const elsewhere = join(cwd, 'landing')
    await import('node:fs/promises').then((fs) => fs.mkdir(join(elsewhere, '2025'), { recursive: true }))
    writeFileSync(join(elsewhere, '2025', 'a.ndjson'), '{"id":100,"status":"new"}\n{"id":101,"status":"paid"}\n')
    writeFileSync(join(elsewhere, '2025', 'skip.txt'), 'not data')
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ path: `${elsewhere}/**/*.ndjson`, table: 'orders', primary_key: 'id' }))
    await runCli(['reset', 'exports'], { cwd })
    const result = await runCli(['debug', 'exports'], { cwd })
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(2)
    expect(rows()).toEqual([{ id: 100, status: 'new' }, { id: 101, status: 'paid' }])
  })
})
