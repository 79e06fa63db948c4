import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where Debian puts the server's binaries (the machine's own PostgreSQL 15). */
export const PG_BIN = process.env.SLUICE_PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** A PostgreSQL server of a test's own, with settings the shared one lacks (logical replication). */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust auth. */
  readonly url: string
  readonly port: number
  /** Stops the server (immediate shutdown) and deletes its directory. */
  stop(): Promise<void>
}

/**
 * Starts a throwaway server in a temp directory on a free port: `initdb` (as the `postgres` user
 * when we are root, since initdb refuses root), then `pg_ctl start` with `wal_level = logical` and
 * room for replication slots and WAL senders, plus `settings`. fsync is off: a test's server
 * never outlives the test. Typically ready in 2–4 s.
 *
 * @example
 * ```ts
 * const pg = await startPrivatePostgres()
 * try { … pg.url … } finally { await pg.stop() }
 * ```
 */
export async function startPrivatePostgres(settings: Readonly<Record<string, string | number>> = {}): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'))
  const data = join(dir, 'data')
  const asRoot = userInfo().uid === 0
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  // As the postgres user when root; `runuser` keeps the environment out of it.
  const pgRun = (bin: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { cwd: dir }) : run(join(PG_BIN, bin), args, { cwd: dir })
  try {
    await pgRun('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
    const port = await freePort()
    const options = {
      port,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      wal_level: 'logical',
      max_replication_slots: 8,
      max_wal_senders: 8,
      fsync: 'off',
      ...settings,
    }
    const o = Object.entries(options).map(([k, v]) => `-c ${k}=${v}`).join(' ')
    await pgRun('pg_ctl', ['-D', data, '-o', o, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'])
    let stopped = false
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      async stop() {
        if (stopped) return
        stopped = true
        try {
          await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      },
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** A TCP port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
