import { mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { CliIo } from '../../src/cli/cli-io.js'
import { main } from '../../src/cli/main.js'
import { faultApi, type FaultApi } from '../support/fault-api.js'
import { tempDir } from './run-cli.js'

// The connector imports the repository's sources by path: 'sluice' would need a built dist/.
const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url))
const TOKEN = 'tok_CLI_CHECK_5d2b9e'

const CONNECTOR = `import { configuredSource, offset, rest } from ${JSON.stringify(SRC)}
export default configuredSource('shop', (configuration) => rest({
  baseUrl: configuration.base_url,
  auth: { bearer: configuration.api_token },
  streams: [{ table: 'orders', path: '/offset/orders', records: 'data', primaryKey: ['id'], paginate: offset({ limit: 50 }) }],
}))
`

const cwd = tempDir()
afterAll(() => rm(cwd, { recursive: true, force: true }))
let api: FaultApi | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
})

function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = ''
  let err = ''
  return { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env: {}, cwd, stdout: () => out, stderr: () => err }
}

function connectorDir(name: string, configuration: Record<string, string>): string {
  mkdirSync(join(cwd, name), { recursive: true })
  writeFileSync(join(cwd, name, 'connector.ts'), CONNECTOR)
  writeFileSync(join(cwd, name, 'configuration.json'), JSON.stringify(configuration))
  return name
}

describe('sluice check [dir]', () => {
  it('prints a ✓ line per check and exits 0 for a connector that can run', async () => {
    api = await faultApi({ rows: 10, auth: { bearer: TOKEN } })
    const dir = connectorDir('good', { base_url: api.url, api_token: TOKEN })
    const io = captureIo()
    expect(await main(['check', dir], io)).toBe(0)
    const host = new URL(api.url).host
    expect(io.stdout()).toBe(
      [
        `✓ orders: first request: ${host} answered /offset/orders with 1 record`,
        `✓ warehouse good/files/warehouse.db: ${join(cwd, 'good', 'files')} will be created in ${join(cwd, 'good')}, which is writable`,
        '',
        '2 passed, 0 failed',
        '',
      ].join('\n'),
    )
    expect(io.stderr()).toBe('')
  })

  it('prints ✗ with what to change, exits 1, and never prints the token', async () => {
    api = await faultApi({ rows: 10, auth: { bearer: 'tok_the_right_one_77' } })
    const dir = connectorDir('bad', { base_url: api.url, api_token: TOKEN })
    const io = captureIo()
    expect(await main(['check', dir], io)).toBe(1)
    const out = io.stdout()
    expect(out).toContain(`✗ orders: first request: 401 from ${new URL(api.url).host}: the credentials were rejected\n    check \`api_token\` in configuration.json`)
    expect(out).toContain('1 passed, 1 failed')
    expect(out + io.stderr()).not.toContain(TOKEN)
  })

  it('--json prints the report as JSON with the same exit code', async () => {
    const dir = connectorDir('down', { base_url: 'http://no-such-host.invalid', api_token: TOKEN })
    mkdirSync(join(cwd, dir, 'files'))
    const io = captureIo()
    expect(await main(['check', dir, '--json'], io)).toBe(1)
    const report = JSON.parse(io.stdout()) as { ok: boolean; results: { name: string; ok: boolean; message: string; code?: string }[] }
    expect(report.ok).toBe(false)
    expect(report.results).toEqual([
      expect.objectContaining({ name: 'orders: first request', ok: false, code: 'HTTP_NETWORK', message: 'DNS: no-such-host.invalid was not found' }),
      expect.objectContaining({ name: 'warehouse down/files/warehouse.db', ok: true }),
    ])
    expect(io.stdout()).not.toContain(TOKEN)
  })
})
