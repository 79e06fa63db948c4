/**
 * The worker processes of a fleet proof: spawns worker-child.ts under names (w1, w2, …), keeps each one's
 * output lines, SIGKILLs / SIGSTOPs / restarts them, and stops every one it started (SIGCONT, SIGTERM,
 * then SIGKILL) — also when the proof failed.
 *
 * The child is bundled once by esbuild (tsx's, present with it) into plain ESM: it starts in about half
 * the time of `--import tsx`, and start-up is paid at every restart. `--import tsx` when esbuild can't load.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const CHILD = 'test/fleet/support/worker-child.ts'

/** One worker process (the current one under its name; earlier incarnations are in `exits`). */
export interface WorkerProcess {
  readonly name: string
  readonly child: ChildProcess
  /** Every stdout and stderr line of every incarnation of this name, in order. */
  readonly lines: string[]
  ready: boolean
  frozen: boolean
}

export interface WorkerPool {
  /** Starts (or restarts) worker `name`; resolves when it printed `ready`. */
  start(name: string, env?: Readonly<Record<string, string>>): Promise<WorkerProcess>
  get(name: string): WorkerProcess | undefined
  /** Names of workers whose process is alive. */
  alive(): string[]
  /** SIGKILL: resolves once the process is gone. */
  kill(name: string): Promise<void>
  freeze(name: string): void
  thaw(name: string): void
  /** SIGTERM (graceful); SIGKILL after `graceMs`. Resolves with the exit code. */
  terminate(name: string, graceMs?: number): Promise<number | null>
  /** Every line of every worker, prefixed by its name. */
  allLines(): string[]
  /** Ends every process this pool started and removes the bundle. */
  close(): Promise<void>
}

/** Command to run the child: the esbuild bundle, or tsx. */
async function childCommand(dir: string): Promise<string[]> {
  const esbuild = await import('esbuild').catch(() => undefined)
  if (!esbuild) return ['--import', 'tsx', join(ROOT, CHILD)]
  await esbuild.build({
    entryPoints: { 'worker-child': join(ROOT, CHILD) },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outdir: dir, logLevel: 'error',
  })
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir') // the bundle's imports resolve from its own directory
  return [join(dir, 'worker-child.js')]
}

const READY_TIMEOUT_MS = 30_000

/** Extra node flags for every worker (the bench's `BENCH_NODE_ARGS`, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)

/**
 * A pool of worker processes sharing `env` (FLEET_API, FLEET_SCHEMA, FLEET_REDIS_PORT, …; see worker-child.ts).
 *
 * @example
 * ```ts
 * const pool = await workerPool({ FLEET_API: api.url, FLEET_SCHEMA: schema, FLEET_REDIS_PORT: String(redis.port) })
 * try { await pool.start('w1'); await pool.kill('w1'); await pool.start('w1') } finally { await pool.close() }
 * ```
 */
export async function workerPool(env: Readonly<Record<string, string>>): Promise<WorkerPool> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fleet-worker-'))
  const command = await childCommand(dir)
  const workers = new Map<string, WorkerProcess>()
  const history = new Map<string, string[]>()
  const gone = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null
  const exited = (c: ChildProcess) => (gone(c) ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())))

  const pool: WorkerPool = {
    async start(name, extra = {}) {
      const previous = workers.get(name)
      if (previous && !gone(previous.child)) throw new Error(`worker ${name} is still running`)
      const lines = history.get(name) ?? []
      history.set(name, lines)
      const child = spawn(process.execPath, [...nodeArgs, ...command], { cwd: ROOT, env: { ...process.env, ...env, ...extra, FLEET_WORKER: name }, stdio: ['ignore', 'pipe', 'pipe'] })
      const w: WorkerProcess = { name, child, lines, ready: false, frozen: false }
      workers.set(name, w)
      const ready = new Promise<void>((resolveReady, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker ${name} not ready after ${READY_TIMEOUT_MS} ms:\n${lines.slice(-20).join('\n')}`)), READY_TIMEOUT_MS)
        const onLine = (line: string) => {
          lines.push(line)
          if (!w.ready && line.includes('"event":"ready"')) {
            w.ready = true
            clearTimeout(timer)
            resolveReady()
          }
        }
        createInterface({ input: child.stdout! }).on('line', onLine)
        createInterface({ input: child.stderr! }).on('line', (line) => lines.push(`stderr: ${line}`))
        child.once('exit', (code, signal) => {
          lines.push(`exit: ${code ?? signal}`)
          if (!w.ready) {
            clearTimeout(timer)
            reject(new Error(`worker ${name} exited (${code ?? signal}) before ready:\n${lines.slice(-20).join('\n')}`))
          }
        })
      })
      await ready
      return w
    },
    get: (name) => workers.get(name),
    alive: () => [...workers.values()].filter((w) => !gone(w.child)).map((w) => w.name),
    async kill(name) {
      const w = workers.get(name)
      if (!w || gone(w.child)) return
      w.child.kill('SIGKILL')
      await exited(w.child)
    },
    freeze(name) {
      const w = workers.get(name)
      if (!w || gone(w.child)) throw new Error(`worker ${name} is not running`)
      w.child.kill('SIGSTOP')
      w.frozen = true
    },
    thaw(name) {
      const w = workers.get(name)
      if (!w || gone(w.child)) return
      w.child.kill('SIGCONT')
      w.frozen = false
    },
    async terminate(name, graceMs = 15_000) {
      const w = workers.get(name)
      if (!w) return null
      if (!gone(w.child)) {
        if (w.frozen) pool.thaw(name)
        w.child.kill('SIGTERM')
        const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs)
        await exited(w.child)
        clearTimeout(timer)
      }
      return w.child.exitCode
    },
    allLines: () => [...history].flatMap(([name, lines]) => lines.map((l) => `${name}: ${l}`)),
    async close() {
      try {
        await Promise.all([...workers.keys()].map((name) => pool.terminate(name, 5_000)))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
  return pool
}
