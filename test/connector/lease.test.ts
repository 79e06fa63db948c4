import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { files } from '../../src/files.js'
import { fakeClock, op, sqlite, type Sink } from '../../src/index.js'
import { createConnector } from '../../src/connector/create-connector.js'
import { jsonLogger } from '../../src/log/json-logger.js'
import { silentLogger } from '../../src/log/logger.js'
import { controlled, gate, until } from './helpers.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const dir = mkdtempSync(join(tmpdir(), 'sluice-lease-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Child {
  readonly process: ChildProcess
  readonly lines: string[]
  readonly exited: Promise<number | null>
}

type Kind = 'sqlite' | 'files'
/** A handle on the shared destination: a SQLite file, or a files directory (leases as files). */
const destination = (kind: Kind, at: string): Sink => (kind === 'files' ? files({ dir: at, format: 'ndjson' }) : sqlite({ path: at }))

function child(kind: Kind, db: string, mode: 'hold' | 'once'): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/connector/lease-child.ts', db, mode, kind], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
  const lines: string[] = []
  createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(l))
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)))
  return { process: proc, lines, exited }
}

/** Waits for a child's output without timers: polls its lines on each event-loop turn, bounded by its exit. */
async function line(c: Child, prefix: string): Promise<string> {
  let gone = false
  void c.exited.then(() => (gone = true))
  for (;;) {
    const found = c.lines.find((l) => l.startsWith(prefix))
    if (found) return found
    if (gone) throw new Error(`child exited without printing "${prefix}": ${c.lines.join(' | ')}`)
    await new Promise((r) => setImmediate(r))
  }
}

const syncsOf = async (kind: Kind, db: string) => (await destination(kind, db).history!({ connectorId: 'shop' })).map((r) => r.status)

for (const kind of ['sqlite', 'files'] as const) {
  describe(`one sync of a connector at a time across processes (${kind} lease)`, () => {
    it(`overlapping sync() calls from two processes on one ${kind} destination run once; the other gets ALREADY_RUNNING`, async () => {
      const db = join(dir, `${kind}-overlap.db`)
      const a = child(kind, db, 'hold')
      await line(a, 'holding')
      const b = child(kind, db, 'once')
      expect(await line(b, 'result')).toBe('result skipped ALREADY_RUNNING')
      a.process.stdin!.write('go\n')
      expect(await line(a, 'result')).toBe('result succeeded')
      await Promise.all([a.exited, b.exited])
      expect(await syncsOf(kind, db)).toEqual(['succeeded'])
      // Released at the end: the next caller runs at once.
      const next = createConnector({ id: 'shop', destination: destination(kind, db), logger: silentLogger, source: controlled(() => [op.checkpoint({ n: 2 })]) })
      expect(await next.sync()).toMatchObject({ status: 'succeeded' })
    }, 60_000)

    it('two processes racing for the lease at the same instant: exactly one syncs', async () => {
      const db = join(dir, `${kind}-race.db`)
      const [a, b] = [child(kind, db, 'hold'), child(kind, db, 'hold')]
      // Whoever wins prints `holding`; the loser ends at once with ALREADY_RUNNING.
      const first = await Promise.race([line(a, 'result').then((l) => ({ l, loser: a })), line(b, 'result').then((l) => ({ l, loser: b }))])
      expect(first.l).toBe('result skipped ALREADY_RUNNING')
      // The winner took the lease before the loser asked, but may print `holding` after the loser's result.
      const winner = first.loser === a ? b : a
      expect(await line(winner, 'holding')).toBe('holding')
      expect(winner.lines).toEqual(['holding'])
      winner.process.stdin!.write('go\n')
      expect(await line(winner, 'result')).toBe('result succeeded')
      await Promise.all([a.exited, b.exited])
      expect(await syncsOf(kind, db)).toEqual(['succeeded'])
    }, 60_000)

    it('a lease left by a crashed process (SIGKILL) blocks until it expires, then is taken over', async () => {
      const db = join(dir, `${kind}-crashed.db`)
      const a = child(kind, db, 'hold')
      await line(a, 'holding')
      a.process.kill('SIGKILL')
      await a.exited
      const make = (now: number) => createConnector({ id: 'shop', destination: destination(kind, db), logger: silentLogger, clock: fakeClock({ now }), source: controlled(() => [op.upsert('t', [{ id: 1 }]), op.checkpoint({ n: 1 })]) })
      expect(await make(Date.now()).sync()).toMatchObject({ status: 'skipped', reason: 'ALREADY_RUNNING', message: expect.stringContaining('lease until') })
      expect(await make(Date.now() + 61_000).sync()).toMatchObject({ status: 'succeeded' })
      expect(await syncsOf(kind, db)).toEqual(['succeeded'])
    }, 60_000)
  })

  describe(`lease renewal (${kind})`, () => {
    it('renews while syncing and releases at the end; a lease lost to another holder stops the sync at its next checkpoint', async () => {
      const db = join(dir, `${kind}-renew.db`)
      const clock = fakeClock({ now: Date.now() })
      const lines: string[] = []
      const g = gate()
      let started = false
      const c = createConnector({
        id: 'shop', destination: destination(kind, db), clock, lease: { ttl: '3s' },
        logger: jsonLogger({ write: (l) => void lines.push(l) }),
        source: controlled(async function* () {
          started = true
          await g.wait
          yield op.upsert('t', [{ id: 1 }])
          yield op.checkpoint({ n: 1 })
          yield op.upsert('t', [{ id: 2 }])
          yield op.checkpoint({ n: 2 })
        }),
      })
      const running = c.sync()
      // The files sink opens with real file I/O (fsyncs on the thread pool): allow it more turns.
      await until(() => started && clock.pending > 0, 'the sync to run and the renewal to wait', 200_000)
      const other = destination(kind, db)
      await clock.advance(1000) // one renewal (every ttl/3): now held until +4 s, past the first 3 s
      // The renewal is done when its next sleep is pending (the files sink renews with real file I/O).
      await until(() => clock.pending > 0, 'the renewal to land', 200_000)
      expect(await other.acquireLease!({ name: 'connector:shop', holder: 'thief', ttlMs: 3000, now: clock.now() + 2500 })).toMatchObject({ acquired: false })
      // The holder stalls past its TTL in the thief's view: the thief takes the lease.
      expect(await other.acquireLease!({ name: 'connector:shop', holder: 'thief', ttlMs: 3000, now: clock.now() + 3001 })).toMatchObject({ acquired: true })
      await clock.advance(1000) // the next renewal finds the lease gone
      await until(() => lines.join('').includes('lost the lease to another process'), 'the renewal to find the lease gone', 200_000)
      g.open()
      const report = await running
      expect(report).toMatchObject({ status: 'stopped', checkpoints: 1 })
      expect(lines.join('')).toContain('lost the lease to another process')
      // Released only by its holder: the thief's lease is untouched.
      expect(await other.acquireLease!({ name: 'connector:shop', holder: 'third', ttlMs: 3000, now: clock.now() })).toMatchObject({ acquired: false, holder: 'thief' })
    })
  })
}
