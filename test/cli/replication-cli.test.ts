import { mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { configuredSource, op, sqlite, sync, type ReplicationStatus, type Source } from '../../src/index.js'
import { statusCommand } from '../../src/cli/status-command.js'
import { duckdb } from '../../src/duckdb.js'
import { oneErrorLine, runCli, tempDir } from './run-cli.js'

/**
 * `sluice status` and `sluice reset` for change-data-capture connectors, with sources that report
 * a replication status and drop a slot without a server (the Postgres source itself is exercised
 * against a private server by test/cli/templates/postgres-cdc-template.test.ts).
 */
const cwd = tempDir('sluice-cli-cdc-')
afterAll(() => rm(cwd, { recursive: true, force: true }))

const STATUS: ReplicationStatus = { kind: 'postgres-logical', slot: 'sluice_shop', position: '0/16B3748', serverPosition: '0/16B3780', lagBytes: 56, retainedWalBytes: 1_234_567, walStatus: 'reserved' }

/** A source that upserts one row and reports `status` as a CDC source does after read(). */
const cdcSource = (status: ReplicationStatus | undefined): Source => ({
  id: 'cdc',
  tables: () => [{ table: 't', primaryKey: ['id'] }],
  readAhead: false,
  async *read() {
    yield op.upsert('t', [{ id: 1 }])
    yield op.checkpoint({ cdc: { lsn: '0/16B3748' } })
  },
  replication: () => status,
})

/** A connector folder whose warehouse holds a sync of `shop` (CDC) and one of `files` (not). */
async function folder(name: string, kind: 'sqlite' | 'duckdb' = 'sqlite'): Promise<string> {
  const dir = join(cwd, name)
  mkdirSync(join(dir, 'files'), { recursive: true })
  const path = join(dir, 'files', 'warehouse.db')
  const destination = kind === 'sqlite' ? sqlite({ path }) : duckdb({ path })
  expect((await sync({ connectorId: 'shop', destination, source: cdcSource(STATUS) })).replication).toEqual(STATUS)
  expect((await sync({ connectorId: 'files', destination, source: cdcSource(undefined) })).replication).toBeUndefined()
  return dir
}

describe('sluice status with a change-data-capture connector', () => {
  it('shows the slot, the position, the lag and the retained WAL of the last sync under the table; other connectors as before', async () => {
    const dir = await folder('status')
    let out = ''
    expect(await statusCommand(dir, (t) => (out += t))).toBe(0)
    expect(out).toMatch(/^files\s+\| idle\s+\|.*\| succeeded \|\s+1 \|/m)
    expect(out).toMatch(/^shop\s+\| idle\s+\|.*\| succeeded \|\s+1 \|/m)
    expect(out).toContain('\nshop: slot sluice_shop at 0/16B3748, lag 56 B, retained WAL 1.2 MB (reserved)\n')
    expect(out).not.toMatch(/^files: /m)
  })

  it('reads the same line from a DuckDB warehouse', async () => {
    const dir = await folder('status-duckdb', 'duckdb')
    let out = ''
    expect(await statusCommand(dir, (t) => (out += t))).toBe(0)
    expect(out).toContain('\nshop: slot sluice_shop at 0/16B3748, lag 56 B, retained WAL 1.2 MB (reserved)\n')
  })

  it('a configuredSource passes its built source\'s replication status to the report', async () => {
    const report = await sync({ destination: sqlite({ path: join(cwd, 'configured.db') }), source: configuredSource('shop', () => cdcSource(STATUS)) })
    expect(report.replication).toEqual(STATUS)
  })
})

describe('sluice reset with a change-data-capture connector', () => {
  it('without --drop-slot, removes the local files and says the slot is kept and how to drop it', async () => {
    const dir = await folder('keep')
    const result = await runCli(['reset', 'keep'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Removed keep/files/warehouse.db')
    expect(result.stdout).toContain('Kept replication slot sluice_shop on the server (it retains WAL until read or dropped); drop it with `sluice reset --drop-slot keep`')
    expect(dir).toBeTruthy()
  })

  it('--drop-slot loads the connector with its configuration, drops its slot, then removes the local files', async () => {
    const dir = await folder('drop')
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ slot: 'sluice_from_configuration' }))
    writeFileSync(
      join(dir, 'connector.ts'),
      `import { configuredSource } from 'sluice'
      export default configuredSource('shop', (configuration) => ({
        async *read() {},
        async dropReplication() { return [\`replication slot "\${configuration.slot}"\`, 'publication "p"'] },
      }))\n`,
    )
    const result = await runCli(['reset', '--drop-slot', 'drop'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Dropped replication slot "sluice_from_configuration", publication "p"\n')
    expect(result.stdout).toContain('Removed drop/files/warehouse.db')
    expect(result.stdout).not.toContain('Kept replication slot')
  })

  it('--drop-slot on a connector that keeps nothing on a server is refused, and nothing is removed', async () => {
    const dir = await folder('plain')
    writeFileSync(join(dir, 'connector.ts'), `export default { id: 'plain', async *read() {} }\n`)
    const result = await runCli(['reset', 'plain', '--drop-slot'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toMatch(/^error \[CONFIG_INVALID\]: --drop-slot: .*connector\.ts is not a change-data-capture connector/)
    const again = await runCli(['status', 'plain'], { cwd })
    expect(again.stdout).toMatch(/^shop\s+\| idle/m) // the warehouse is still there
  })

  it('refuses an unknown flag', async () => {
    const result = await runCli(['reset', 'keep', '--drop-slots'], { cwd })
    expect(result.code).toBe(2)
    expect(oneErrorLine(result.stderr)).toBe('error [USAGE]: unknown option --drop-slots (see `sluice reset --help`)')
  })

  it('--help describes --drop-slot', async () => {
    const result = await runCli(['reset', '--help'], { cwd })
    expect(result.stdout).toContain('--drop-slot')
  })
})
