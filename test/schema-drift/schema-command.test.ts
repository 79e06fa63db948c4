import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { schemaCommand } from '../../src/cli/schema-command.js'
import { schemaDrift } from '../../src/schema-drift/schema-drift.js'
import { sqlite, sync } from '../../src/index.js'
import { page, scripted } from '../support/sources.js'

describe('sluice schema [dir]', () => {
  it('prints each table with its columns and types, then the schema history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-schema-cmd-'))
    mkdirSync(join(dir, 'files'))
    const destination = sqlite({ path: join(dir, 'files', 'warehouse.db') })
    await sync({ destination, connectorId: 'shop', source: scripted(page('Orders', [{ id: 1, total: 5 }], { n: 1 })), stages: [schemaDrift()] })
    await sync({ destination, connectorId: 'shop', source: scripted(page('Orders', [{ id: 2, total: 'n/a', Email: 'e' }], { n: 2 })), stages: [schemaDrift()] })
    const lines: string[] = []
    expect(await schemaCommand(dir, (l) => lines.push(l))).toBe(0)
    const text = lines.join('\n')
    expect(text).toContain('Orders → orders (key: id; mode: upsert)')
    expect(text).toMatch(/Column +\| Destination +\| Type/)
    expect(text).toMatch(/total +\| total +\| STRING/)
    expect(text).toMatch(/Email +\| email +\| STRING/)
    expect(text).toMatch(/shop +\| Orders \| create_table/)
    expect(text).toMatch(/add_column +\| Email +\| +\| STRING/)
    expect(text).toMatch(/change_type +\| total +\| INT +\| STRING/)
  })

  it('leaves the Destination column out of a table whose columns keep their names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-schema-cmd-'))
    mkdirSync(join(dir, 'files'))
    await sync({ destination: sqlite({ path: join(dir, 'files', 'warehouse.db') }), connectorId: 'shop', source: scripted(page('orders', [{ id: 1, total: 5 }], { n: 1 })) })
    const lines: string[] = []
    expect(await schemaCommand(dir, (l) => lines.push(l))).toBe(0)
    const text = lines.join('\n')
    expect(text).toMatch(/^Column +\| Type$/m)
    expect(text).toMatch(/^total +\| INT$/m)
    expect(text).not.toContain('Destination')
  })

  it('says how to create the warehouse when there is none, with exit code 1', async () => {
    const lines: string[] = []
    expect(await schemaCommand(mkdtempSync(join(tmpdir(), 'sluice-schema-none-')), (l) => lines.push(l))).toBe(1)
    expect(lines.join('\n')).toMatch(/No warehouse at .*warehouse\.db yet; run `sluice debug/)
  })
})
