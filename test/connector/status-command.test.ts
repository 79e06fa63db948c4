import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { op, sqlite, sync, type Sink } from '../../src/index.js'
import { duckdb } from '../../src/duckdb.js'
import { files } from '../../src/files.js'
import type { ConnectorStore } from '../../src/contracts/connector-store.js'
import { marCommand } from '../../src/cli/mar-command.js'
import { statusCommand } from '../../src/cli/status-command.js'
import { controlled } from './helpers.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-status-cli-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const NOV = Date.UTC(2026, 10, 20)

const SINKS = {
  sqlite: (path: string) => sqlite({ path }),
  duckdb: (path: string) => duckdb({ path }),
} as const

/** A connector folder whose files/warehouse.db (SQLite or DuckDB) holds a good sync of shop, a failed one of crm, crm paused. */
async function warehouse(kind: keyof typeof SINKS = 'sqlite', lease = false): Promise<string> {
  const dir = join(root, `c${Math.random().toString(36).slice(2)}`)
  mkdirSync(join(dir, 'files'), { recursive: true })
  const destination = SINKS[kind](join(dir, 'files', 'warehouse.db')) as Sink & ConnectorStore
  await sync({ connectorId: 'shop', destination, mar: { clock: { now: () => NOV } }, source: controlled(() => [op.upsert('t', [{ id: 1 }, { id: 2 }]), op.checkpoint({ n: 1 })]) })
  await sync({ connectorId: 'crm', destination, mar: { mode: 'approximate', clock: { now: () => NOV } }, source: controlled(() => { throw new Error('crm api down') }) })
  await destination.saveConnector!({ connectorId: 'crm', paused: true })
  if (lease) await destination.acquireLease!({ name: 'connector:shop', holder: 'another-process', ttlMs: 60_000, now: NOV })
  return dir
}

describe('sluice status / sluice mar', () => {
  it('status lists each connector with its state, last sync and this month\'s MAR, and the error of a failed one', async () => {
    const dir = await warehouse()
    let out = ''
    expect(await statusCommand(dir, (t) => (out += t), NOV)).toBe(0)
    expect(out).toMatch(/crm\s+\| paused\s+\|.*\| failed\s+\|\s+0 \|/)
    expect(out).toMatch(/shop\s+\| idle\s+\|.*\| succeeded \|\s+2 \|.*\|\s+2$/m)
    expect(out).toContain('crm: error [SOURCE_FAILED]: crm api down')
    // How long ago the last success ended: crm never succeeded.
    expect(out).toMatch(/\| Last success \|/)
    expect(out).toMatch(/crm\s+\|.*\|\s+never \|/)
    expect(out).toMatch(/shop\s+\|.*\|\s+\d+s ago \|/)
  })

  it('mar prints rows per month, connector and table with totals, filters by month, and rejects a bad month', async () => {
    const dir = await warehouse()
    let out = ''
    expect(await marCommand(dir, {}, (t) => (out += t))).toBe(0)
    expect(out).toMatch(/2026-11 \| shop\s+\| t\s+\|\s+2/)
    expect(out).toMatch(/2026-11 \| shop\s+\| \(total\) \|\s+2/)
    out = ''
    expect(await marCommand(dir, { month: '2026-10' }, (t) => (out += t))).toBe(0)
    expect(out).toContain('No MAR recorded for 2026-10')
    await expect(marCommand(dir, { month: 'Nov' }, () => {})).rejects.toMatchObject({ code: 'USAGE' })
  })

  it('status and mar read a DuckDB warehouse too, told apart by its file header', async () => {
    const dir = await warehouse('duckdb', true)
    let out = ''
    expect(await statusCommand(dir, (t) => (out += t), NOV)).toBe(0)
    expect(out).toMatch(/crm\s+\| paused\s+\|.*\| failed\s+\|\s+0 \|/)
    // A live lease: a sync of shop runs somewhere.
    expect(out).toMatch(/shop\s+\| syncing\s+\|.*\| succeeded \|\s+2 \|.*\|\s+2$/m)
    expect(out).toContain('crm: error [SOURCE_FAILED]: crm api down')
    out = ''
    expect(await marCommand(dir, {}, (t) => (out += t))).toBe(0)
    expect(out).toMatch(/2026-11 \| shop\s+\| t\s+\|\s+2/)
  })

  it('status reports a live lease in a SQLite warehouse as syncing', async () => {
    const dir = await warehouse('sqlite', true)
    let out = ''
    expect(await statusCommand(dir, (t) => (out += t), NOV)).toBe(0)
    expect(out).toMatch(/shop\s+\| syncing\s+\|/)
  })

  it('mar --lake reads the MAR of a files destination', async () => {
    const lake = join(root, 'lake')
    await sync({ connectorId: 'shop', destination: files({ dir: lake, format: 'csv' }), mar: { clock: { now: () => NOV } }, source: controlled(() => [op.upsert('t', [{ id: 1 }, { id: 2 }, { id: 3 }]), op.checkpoint({ n: 1 })]) })
    let out = ''
    expect(await marCommand('.', { lake }, (t) => (out += t))).toBe(0)
    expect(out).toMatch(/2026-11 \| shop\s+\| t\s+\|\s+3/)
    out = ''
    expect(await marCommand('.', { lake: join(root, 'no-lake') }, (t) => (out += t))).toBe(1)
    expect(out).toContain('No files destination at')
  })

  it('without a warehouse both say so and exit 1', async () => {
    let out = ''
    expect(await statusCommand(join(root, 'nothing'), (t) => (out += t))).toBe(1)
    expect(await marCommand(join(root, 'nothing'), {}, (t) => (out += t))).toBe(1)
    expect(out).toContain('run `sluice debug` first')
  })
})
