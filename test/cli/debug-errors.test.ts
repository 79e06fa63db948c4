import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { oneErrorLine, runCli, tempDir } from './run-cli.js'

const isRoot = process.getuid?.() === 0

describe('sluice debug: user mistakes give one error line and a non-zero exit, no stack', () => {
  const cwd = tempDir()
  const scaffold = async (name: string) => {
    const result = await runCli(['init', name], { cwd })
    expect(result.code).toBe(0)
    return join(cwd, name)
  }
  beforeAll(() => scaffold('base'))
  afterAll(() => rm(cwd, { recursive: true, force: true }))

  it('a non-string configuration value names the key', async () => {
    const dir = await scaffold('non_string')
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ rows: 5, page_size: '10' }))
    const result = await runCli(['debug', 'non_string'], { cwd })
    expect(result.code).toBe(1)
    const line = oneErrorLine(result.stderr)
    expect(line).toMatch(/^error \[CONFIGURATION_KEY\]: /)
    expect(line).toContain('"rows"')
    expect(line).toContain('must be a string')
    expect(result.stdout).toBe('')
  })

  it('a missing required key names the key', async () => {
    const dir = await scaffold('missing_key')
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ page_size: '10' }))
    const result = await runCli(['debug', 'missing_key'], { cwd })
    expect(result.code).toBe(1)
    const line = oneErrorLine(result.stderr)
    expect(line).toMatch(/^error \[CONFIGURATION_KEY\]: .*missing the key "rows"/)
  })

  it('configuration.json that is not JSON names the file', async () => {
    const dir = await scaffold('bad_json')
    writeFileSync(join(dir, 'configuration.json'), '{ rows: 1 ')
    const result = await runCli(['debug', 'bad_json'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toMatch(/^error \[CONFIG_INVALID\]: bad_json\/configuration\.json is not valid JSON/)
  })

  it('a --configuration file that does not exist is an error', async () => {
    const result = await runCli(['debug', 'base', '--configuration', 'nope.json'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toMatch(/^error \[CONFIG_INVALID\]: configuration file nope\.json does not exist/)
  })

  it('a connector file that throws at import is CONNECTOR_LOAD with the file name and the message', async () => {
    const dir = join(cwd, 'throws')
    mkdirSync(dir)
    writeFileSync(join(dir, 'connector.ts'), "import { op } from 'sluice'\nthrow new Error('boom: API_KEY not set')\nexport default op\n")
    const result = await runCli(['debug', 'throws'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toBe('error [CONNECTOR_LOAD]: connector.ts failed to load: boom: API_KEY not set')

    const verbose = await runCli(['debug', 'throws', '--verbose'], { cwd })
    expect(verbose.code).toBe(1)
    expect(verbose.stderr).toMatch(/\n\s+at /)
    expect(verbose.stderr).toContain('caused by: Error: boom: API_KEY not set')
    const env = await runCli(['debug', 'throws'], { cwd, env: { SLUICE_DEBUG: '1' } })
    expect(env.stderr).toMatch(/\n\s+at /)
  })

  it('a connector that does not compile is CONNECTOR_LOAD on one line', async () => {
    const dir = join(cwd, 'syntax')
    mkdirSync(dir)
    writeFileSync(join(dir, 'connector.ts'), 'export default {\n')
    const result = await runCli(['debug', 'syntax'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toMatch(/^error \[CONNECTOR_LOAD\]: connector\.ts failed to load: .*connector\.ts:2/)
  })

  it('a default export that is not a connector is CONNECTOR_LOAD saying what to export', async () => {
    const dir = join(cwd, 'not_a_connector')
    mkdirSync(dir)
    writeFileSync(join(dir, 'connector.mjs'), 'export default { id: "x" }\n')
    const result = await runCli(['debug', 'not_a_connector'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toMatch(/^error \[CONNECTOR_LOAD\]: connector\.mjs must `export default connector\(/)
  })

  it('a missing directory or connector file is CONNECTOR_LOAD', async () => {
    const missing = await runCli(['debug', 'does_not_exist'], { cwd })
    expect(missing.code).toBe(1)
    expect(oneErrorLine(missing.stderr)).toMatch(/^error \[CONNECTOR_LOAD\]: directory .*does_not_exist does not exist/)
    mkdirSync(join(cwd, 'empty'))
    const empty = await runCli(['debug', 'empty'], { cwd })
    expect(oneErrorLine(empty.stderr)).toMatch(/^error \[CONNECTOR_LOAD\]: no connector file in .*empty; expected one of connector\.ts/)
  })

  it('a files/ path that is a regular file gives DESTINATION_UNAVAILABLE', async () => {
    const dir = await scaffold('files_is_a_file')
    writeFileSync(join(dir, 'files'), 'not a folder')
    const result = await runCli(['debug', 'files_is_a_file'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toMatch(/^error \[DESTINATION_UNAVAILABLE\]: can't create .*files: a file with that name is in the way/)
  })

  it('a warehouse path that is a folder gives DESTINATION_UNAVAILABLE', async () => {
    const dir = await scaffold('db_is_a_dir')
    mkdirSync(join(dir, 'files', 'warehouse.db'), { recursive: true })
    const result = await runCli(['debug', 'db_is_a_dir'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toMatch(/^error \[DESTINATION_UNAVAILABLE\]: sqlite: can't open .*warehouse\.db/)
  })

  // root ignores file modes, so a read-only folder blocks nothing there; the ENOTDIR and
  // folder-as-file cases above cover the same error path for root.
  it.skipIf(isRoot)('a read-only files/ folder gives DESTINATION_UNAVAILABLE (skipped as root: chmod does not block root)', async () => {
    const dir = await scaffold('read_only')
    mkdirSync(join(dir, 'files'))
    chmodSync(join(dir, 'files'), 0o555)
    try {
      const result = await runCli(['debug', 'read_only'], { cwd })
      expect(result.code).toBe(1)
      expect(oneErrorLine(result.stderr)).toMatch(/^error \[DESTINATION_UNAVAILABLE\]: /)
    } finally {
      chmodSync(join(dir, 'files'), 0o755)
    }
  })
})
