import { spawn } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, runCli, tempDir } from './run-cli.js'
import { dropPrefix, REDIS, testPrefix, until } from '../fleet/fleet-support.js'

const cwd = tempDir()
const prefix = testPrefix()
afterAll(async () => {
  await dropPrefix(prefix)
  await rm(cwd, { recursive: true, force: true })
})

const redis = `redis://${REDIS.host}:${REDIS.port}`

describe('sluice worker / sluice fleet', () => {
  it('a worker process runs what `sluice fleet sync` enqueues; status shows it; SIGTERM stops it gracefully', async () => {
    // A fleet file as a user writes one: connectors over sluice's own API, into a SQLite file shared on this machine.
    await writeFile(
      join(cwd, 'fleet.ts'),
      `import { fromIterable, sqlite, silentLogger } from 'sluice'
export const connectors = [{
  id: 'numbers',
  source: fromIterable('numbers', Array.from({ length: 300 }, (_, i) => ({ id: i + 1, square: (i + 1) ** 2 })), { primaryKey: ['id'] }),
  destination: sqlite({ path: ${JSON.stringify(join(cwd, 'warehouse.db'))} }),
  logger: silentLogger,
}]
`,
    )
    const worker = spawn(process.execPath, [BIN, 'worker', 'fleet.ts', '--redis', redis, '--prefix', prefix, '--name', 'cli-worker-1'], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)))
    try {
      await until('the worker to start', () => stderr.includes('running 1 connector'), 40_000)
      const synced = await runCli(['fleet', 'fleet.ts', 'sync', 'numbers', '--redis', redis, '--prefix', prefix], { cwd })
      expect(synced.stderr).toBe('')
      expect(synced.stdout).toContain('numbers: succeeded, 300 rows')
      expect(synced.code).toBe(0)
      const db = new Database(join(cwd, 'warehouse.db'), { readonly: true })
      expect(db.prepare('SELECT count(*) FROM numbers WHERE NOT _sluice_deleted').pluck().get()).toBe(300)
      db.close()
      const status = await runCli(['status', '--fleet', 'fleet.ts', '--redis', redis], { cwd, env: { SLUICE_REDIS: redis } })
      // Another prefix than the worker's: the default fleet, which has no worker.
      expect(status.stdout).toContain('workers: none')
      const own = await runCli(['fleet', 'fleet.ts', 'status', '--redis', redis, '--prefix', prefix], { cwd })
      expect(own.stdout).toContain('cli-worker-1')
      expect(own.stdout).toMatch(/numbers\s+\|\s+idle/)
      expect(own.stdout).toContain('succeeded')
      // sluice serve --fleet: the page's overview shows this worker and the destination's connector.
      await writeFile(join(cwd, 'fleet-serve.ts'), `export { connectors } from './fleet.ts'\nexport const prefix = ${JSON.stringify(prefix)}\n`)
      const server = spawn(process.execPath, [BIN, 'serve', '--fleet', 'fleet-serve.ts', '--redis', redis, '--port', '0'], { cwd, env: { ...process.env, NO_COLOR: '1', SLUICE_API_KEY: '', SLUICE_API_SECRET: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      server.stdout.on('data', (d: Buffer) => (out += d.toString()))
      const served = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)))
      try {
        await until('the server to start', () => /dashboard at (http:\/\/[^/\s]+)\//.test(out), 40_000)
        const url = /dashboard at (http:\/\/[^/\s]+)\//.exec(out)![1]!
        const overview = (await (await fetch(`${url}/api/overview`)).json()) as { fleet?: { workers: { name: string }[] }; connectors: { id: string; lastSync?: { status: string } }[] }
        expect(overview.fleet?.workers.map((w) => w.name)).toContain('cli-worker-1')
        expect(overview.connectors.find((c) => c.id === 'numbers')?.lastSync?.status).toBe('succeeded')
      } finally {
        server.kill('SIGTERM')
      }
      expect(await served).toBe(0)
    } finally {
      worker.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(stderr).toContain('fleet worker stopped')
  }, 90_000)

  it('refuses a fleet file without connectors, and a worker without Redis', async () => {
    await writeFile(join(cwd, 'empty.ts'), 'export const nothing = 1\n')
    const none = await runCli(['worker', 'empty.ts', '--redis', redis], { cwd })
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('CONNECTOR_LOAD')
    const noRedis = await runCli(['worker', 'fleet.ts'], { cwd, env: { SLUICE_REDIS: '' } })
    expect(noRedis.code).toBe(2)
    expect(noRedis.stderr).toContain('no Redis given')
  })
})
