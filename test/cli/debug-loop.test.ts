import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { calls, runCli, tempDir } from './run-cli.js'

describe('sluice init → debug → debug → reset (in a temp dir outside the repo)', () => {
  const cwd = tempDir()
  const dir = join(cwd, 'my_orders')
  afterAll(() => rm(cwd, { recursive: true, force: true }))

  it('init scaffolds connector.ts, configuration.json (string values) and README.md', async () => {
    const result = await runCli(['init', 'my_orders'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('npx sluice debug my_orders')
    const source = readFileSync(join(dir, 'connector.ts'), 'utf8')
    expect(source).toContain("from 'sluice'")
    expect(source).toContain("id: 'my_orders'")
    const configuration = JSON.parse(readFileSync(join(dir, 'configuration.json'), 'utf8')) as Record<string, unknown>
    expect(Object.values(configuration).every((v) => typeof v === 'string')).toBe(true)
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('npx sluice debug my_orders')
    expect(existsSync(join(dir, '.gitignore'))).toBe(true)
  })

  it('debug syncs every row into files/warehouse.db and prints the summary', async () => {
    const result = await runCli(['debug', 'my_orders'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Operation\s+\|\s+Calls$/m)
    expect(calls(result.stdout, 'Upserts')).toBe(1000)
    expect(calls(result.stdout, 'Updates')).toBe(0)
    expect(calls(result.stdout, 'Deletes')).toBe(0)
    expect(calls(result.stdout, 'Truncates')).toBe(0)
    expect(calls(result.stdout, 'SchemaChanges')).toBeGreaterThanOrEqual(1)
    expect(calls(result.stdout, 'Checkpoints')).toBe(10)
    expect(result.stdout).toMatch(/^orders\s+\|\s+1,000 \|.*\|\s+1,000 \|\s+0$/m)
    expect(result.stdout).toContain('Status: succeeded')

    const db = new Database(join(dir, 'files', 'warehouse.db'), { readonly: true })
    try {
      expect(db.prepare('SELECT COUNT(*) FROM orders').pluck().get()).toBe(1000)
      const saved = db.prepare(`SELECT state FROM _sluice_state WHERE connector_id = 'my_orders'`).pluck().get() as string
      // state.json mirrors the state kept in the warehouse
      expect(JSON.parse(readFileSync(join(dir, 'files', 'state.json'), 'utf8'))).toEqual(JSON.parse(saved))
      expect(JSON.parse(saved)).toEqual({ last_id: 1000 })
    } finally {
      db.close()
    }
  })

  it('a second debug continues from the saved state and reads nothing new', async () => {
    const result = await runCli(['debug'], { cwd: dir })
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(0)
    expect(result.stdout).toMatch(/^orders\s+\|\s+0 \|.*\|\s+1,000 \|\s+0$/m)
  })

  it('after the data set grows, debug reads only the new rows', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ rows: '1250', page_size: '100' }))
    const result = await runCli(['debug', 'my_orders'], { cwd })
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(250)
    expect(result.stdout).toMatch(/^orders\s+\|\s+250 \|.*\|\s+1,250 \|\s+0$/m)
  })

  it('--configuration reads another file', async () => {
    const other = join(cwd, 'bigger.json')
    writeFileSync(other, JSON.stringify({ rows: '1300' }))
    const result = await runCli(['debug', 'my_orders', '--configuration', other], { cwd })
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(50)
  })

  it('reset removes the warehouse and the state, and says what it removed', async () => {
    const result = await runCli(['reset', 'my_orders'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('my_orders/files/warehouse.db')
    expect(result.stdout).toContain('my_orders/files/state.json')
    expect(existsSync(join(dir, 'files', 'warehouse.db'))).toBe(false)
    expect(existsSync(join(dir, 'files', 'state.json'))).toBe(false)
    const again = await runCli(['reset', 'my_orders'], { cwd })
    expect(again.stdout).toContain('Nothing to reset')
  })

  it('after a reset, debug starts over from the beginning', async () => {
    const result = await runCli(['debug', 'my_orders'], { cwd })
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(1250)
  })
})
