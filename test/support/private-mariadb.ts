import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import { freePort } from './private-postgres.js'

const run = promisify(execFile)

/** Where Debian puts MariaDB's binaries (the machine's own MariaDB 10.11). */
export const MARIADB_BIN = process.env.SLUICE_MARIADB_BIN ?? '/usr/sbin/mariadbd'
export const MARIADB_INSTALL_DB = process.env.SLUICE_MARIADB_INSTALL_DB ?? '/usr/bin/mariadb-install-db'

/** A MariaDB server of a test's own, with settings the shared one lacks (the binlog on). */
export interface PrivateMariadb {
  /** `mysql://root@127.0.0.1:<port>/sluice` (root, empty password; the database `sluice` exists). */
  readonly url: string
  readonly port: number
  /** The server's directory (data, socket, binlog files `binlog.000001` …). */
  readonly dir: string
  /** The mariadbd process id (a test may SIGSTOP it to play a dead connection). */
  readonly pid: number
  /** Kills the server (SIGKILL: a test's server keeps nothing) and deletes its directory. */
  stop(): Promise<void>
}

/**
 * Starts a throwaway `mariadbd` in a temp directory on a free port, with the binlog on in ROW
 * format with full row images and metadata, plus `settings` (`{ 'log-bin': false }` leaves the
 * binlog off). `mariadb-install-db` and the server run as the `mysql` user when we are root.
 * Typically ready in about 1.5 s.
 *
 * @example
 * ```ts
 * const db = await startPrivateMariadb()
 * try { … db.url … } finally { await db.stop() }
 * ```
 */
export async function startPrivateMariadb(settings: Readonly<Record<string, string | number | false>> = {}): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-mariadb-'))
  const data = join(dir, 'data')
  const asRoot = userInfo().uid === 0
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'mysql'])
    const { stdout: gid } = await run('id', ['-g', 'mysql'])
    chownSync(dir, Number(uid.trim()), Number(gid.trim()))
  }
  const user = asRoot ? ['--user=mysql'] : []
  let child: ChildProcess | undefined
  try {
    await run(MARIADB_INSTALL_DB, ['--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${data}`, '--skip-test-db', ...user], { cwd: dir })
    const port = await freePort()
    const options: Record<string, string | number | false> = {
      datadir: data,
      socket: join(dir, 'mysqld.sock'),
      'pid-file': join(dir, 'mysqld.pid'),
      port,
      'bind-address': '127.0.0.1',
      'log-bin': join(dir, 'binlog'),
      'binlog-format': 'ROW',
      'binlog-row-image': 'FULL',
      'binlog-row-metadata': 'FULL',
      'server-id': 1,
      'log-error': join(dir, 'error.log'),
      'innodb-buffer-pool-size': '64M',
      'innodb-log-file-size': '16M',
      'innodb-flush-log-at-trx-commit': 2,
      'sync-binlog': 0,
      'skip-name-resolve': 1,
      ...settings,
    }
    const args = ['--no-defaults', ...user, ...Object.entries(options).filter(([, v]) => v !== false).map(([k, v]) => `--${k}=${v}`)]
    child = spawn(MARIADB_BIN, args, { cwd: dir, stdio: 'ignore' })
    const exited = new Promise<never>((_, reject) => {
      child!.once('exit', (code, signal) => reject(new Error(`mariadbd exited (${code ?? signal}) before accepting connections: ${errorLog(dir)}`)))
      child!.once('error', reject)
    })
    exited.catch(() => {})
    const url = `mysql://root@127.0.0.1:${port}/sluice`
    await Promise.race([ready(port), exited])
    const server = child
    let stopped = false
    return {
      url,
      port,
      dir,
      pid: server.pid!,
      async stop() {
        if (stopped) return
        stopped = true
        await new Promise<void>((resolve) => {
          if (server.exitCode !== null || server.signalCode !== null) return resolve()
          server.once('exit', () => resolve())
          server.kill('SIGKILL')
        })
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    child?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** Polls until the server takes a connection (up to 60 s), then creates the database `sluice`. */
async function ready(port: number): Promise<void> {
  const until = Date.now() + 60_000
  for (;;) {
    try {
      const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' })
      await conn.query('CREATE DATABASE IF NOT EXISTS sluice')
      await conn.end()
      return
    } catch (error) {
      if (Date.now() > until) throw error
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

function errorLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'error.log'), 'utf8').split('\n').filter((l) => /ERROR/.test(l)).slice(-5).join(' | ')
  } catch {
    return '(no error log)'
  }
}
