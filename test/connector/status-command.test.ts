import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { files } from '../../src/files.js'
import { op, sqlite, sync } from '../../src/index.js'
import { marCommand } from '../../src/cli/mar-command.js'
import { statusCommand } from '../../src/cli/status-command.js'
import { controlled } from './helpers.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-status-cli-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const NOV = Date.UTC(2026, 10, 20)

async function warehouse(): Promise<string> {
  const dir = join(root, `c${Math.random().toString(36).slice(2)}`)
  mkdirSync(join(dir, 'files'), { recursive: true })
  const destination = sqlite({ path: join(dir, 'files', 'warehouse.db') })
  await sync({ connectorId: 'shop', destination, mar: { clock: { now: () => NOV } }, source: controlled(() => [op.upsert('t', [{ id: 1 }, { id: 2 }]), op.checkpoint({ n: 1 })]) })
  await sync({ connectorId: 'crm', destination, mar: { mode: 'approximate', clock: { now: () => NOV } }, source: controlled(() => { throw new Error('crm api down') }) })
  await destination.saveConnector!({ connectorId: 'crm', paused: true })
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
