import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../../src/cli/cli-io.js'
import { main } from '../../src/cli/main.js'
import { serveCommand } from '../../src/cli/serve-command.js'
import { until } from '../connector/helpers.js'
import { makeWarehouse } from '../serve/dashboard-warehouse.js'
import { call, ordersFolder } from '../serve/serve-fixture.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-serve-cli-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function io(env: Record<string, string> = {}): CliIo & { text: () => string } {
  let out = ''
  return { out: (t) => void (out += t), err: (t) => void (out += t), isTTY: false, env, cwd: root, text: () => out }
}

describe('sluice serve', () => {
  it('serves connector folders and a warehouse file until stopped, with the key from SLUICE_API_KEY / SLUICE_API_SECRET', async () => {
    await makeWarehouse(join(root, 'shop'), Date.now())
    ordersFolder(root)
    const cli = io({ SLUICE_API_KEY: 'cli-key', SLUICE_API_SECRET: 'cli-secret-123' })
    let stop!: () => void
    const stopped = new Promise<void>((r) => (stop = r))
    const running = serveCommand(['orders', '--warehouse', 'shop/files/warehouse.db', '--port', '0'], cli, stopped)
    await until(() => cli.text().includes('dashboard at'), 'the server to listen', 100_000)
    const base = /dashboard at (http:\/\/127\.0\.0\.1:\d+)\//.exec(cli.text())![1]!
    expect(cli.text()).not.toContain('read only')
    const list = await call(`${base}/v1/connectors`, { key: 'cli-key', secret: 'cli-secret-123' })
    expect(list.body.data.items.map((c: { id: string }) => c.id)).toEqual(['crm', 'orders', 'shop'])
    expect((await call(`${base}/v1/connectors`, { key: 'cli-key', secret: 'nope' })).status).toBe(401)
    expect((await fetch(`${base}/`)).headers.get('content-type')).toMatch(/^text\/html/)
    stop()
    expect(await running).toBe(0)
    await expect(fetch(`${base}/api/overview`)).rejects.toThrow()
  })

  it('refuses a non-loopback host without a key, half a key, and a bad port', async () => {
    const refused = io()
    expect(await main(['serve', '--warehouse', 'shop/files/warehouse.db', '--host', '0.0.0.0'], refused)).toBe(1)
    expect(refused.text()).toMatch(/error \[CONFIG_INVALID\]: serve `host` 0\.0\.0\.0 is not loopback/)
    const half = io({ SLUICE_API_KEY: 'k' })
    expect(await main(['serve', '--warehouse', 'shop/files/warehouse.db'], half)).toBe(1)
    expect(half.text()).toContain('SLUICE_API_SECRET is empty')
    const port = io()
    expect(await main(['serve', '--port', 'http'], port)).toBe(2)
    expect(port.text()).toContain('--port must be a whole number')
  })
})
