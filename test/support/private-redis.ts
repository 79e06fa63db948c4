import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './private-postgres.js'

/** Where Debian puts the server (the machine's own Redis 7). */
export const REDIS_SERVER = process.env.SLUICE_REDIS_SERVER ?? '/usr/bin/redis-server'

/** A Redis server of a test's own: its jobs survive `restart()` (append-only file, fsync always). */
export interface PrivateRedis {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); the data stays until `stop()`. */
  halt(): Promise<void>
  /** Stops the server and starts it again on the same port and directory: data kept, clients must reconnect. */
  restart(): Promise<void>
  /** Stops the server and deletes its directory. Safe to call twice. */
  stop(): Promise<void>
}

/** How long a start may take before it counts as failed, ms. */
const READY_TIMEOUT_MS = 15_000
/** How long a graceful stop may take before SIGKILL, ms. */
const STOP_TIMEOUT_MS = 5_000

/**
 * Starts a throwaway `redis-server` in a temp directory on a free port, with every write fsynced to
 * the append-only file (`--appendonly yes --appendfsync always`, no RDB snapshots) so queued jobs
 * survive a restart, and `noeviction` (BullMQ refuses to run on an evicting Redis). Resolves once the
 * server answers PING, or rejects after 15 s with its log.
 *
 * @example
 * ```ts
 * const redis = await startPrivateRedis()
 * try { … { host: redis.host, port: redis.port } … await redis.restart() … } finally { await redis.stop() }
 * ```
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'))
  const port = await freePort()
  let server: ChildProcess | undefined
  let log = ''
  let stopped = false

  const start = async () => {
    log = ''
    const child = spawn(REDIS_SERVER, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
      '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    server = child
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (log += c))
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (log += c))
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (!(await pong(port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}):\n${log}`)
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms:\n${log}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  const halt = async () => {
    const child = server
    server = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }

  try {
    await start()
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    halt,
    async restart() {
      if (stopped) throw new Error('private redis was stopped')
      await halt()
      await start()
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await halt()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

/** True when a server on `port` answers PING with PONG (and has loaded its data: LOADING answers an error). */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let text = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.setEncoding('utf8').on('data', (c: string) => {
      text += c
      if (text.includes('\r\n')) done(text.startsWith('+PONG'))
    })
  })
}
