import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sync } from '../../../../src/index.js'
import { mysqlSource } from '../../../../src/mysql.js'
import { prng } from '../../../support/crash-source.js'
import { startPrivateMariadb, type PrivateMariadb } from '../../../support/private-mariadb.js'
import { data, warehouse } from './cdc-helpers.js'

/**
 * Issue 13's proof for MariaDB: binlog CDC is exactly-once under SIGKILL. While writers insert,
 * update (now and then a row's key), delete and now and then TRUNCATE table `items` of a private mariadbd (a seeded random
 * workload), a child (test/support/cdc-mysql-child.ts) runs bounded syncs into a SQLite file one
 * after another and is killed with SIGKILL at random moments — the first kills during the keyset
 * snapshot (small pages), the rest while it streams. After the writers stop, one clean sync; then
 * the destination equals the source row for row: every live row equal (values as a fresh snapshot
 * lands them), every key deleted at the source soft-deleted or absent, no key twice.
 * Replay a failure with CDC_CRASH_SEED=<seed printed by the test>.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..')
const CHILD = 'test/support/cdc-mysql-child.ts'
const SEED = Number(process.env.CDC_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
const KILLS = 12
const SNAPSHOT_KILLS = 3
const SEED_ROWS = 4_500
const BATCH = 30

let db: PrivateMariadb
let command: string[] = ['--import', 'tsx', CHILD]
const bundleDir = mkdtempSync(join(tmpdir(), 'sluice-cdc-child-'))
afterAll(async () => {
  rmSync(bundleDir, { recursive: true, force: true })
  await db?.stop()
})
beforeAll(async () => {
  db = await startPrivateMariadb()
  // Bundled once (start-up is paid at every kill), as test/sink/matrix/crash.test.ts does.
  const esbuild = await import('esbuild').catch(() => undefined)
  if (!esbuild) return
  await esbuild.build({
    entryPoints: { 'cdc-mysql-child': join(ROOT, CHILD) },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outdir: bundleDir, logLevel: 'error',
  })
  writeFileSync(join(bundleDir, 'package.json'), '{"type":"module"}')
  symlinkSync(join(ROOT, 'node_modules'), join(bundleDir, 'node_modules'), 'dir')
  command = [join(bundleDir, 'cdc-mysql-child.js')]
}, 120_000)

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  /** Phase of the last committed checkpoint ('snapshot' | 'stream'), of the state resumed from. */
  lastPhase: string | undefined
  startPhase: string | undefined
  checkpoints: number
}

/**
 * Runs the child; with `kill`, SIGKILLs it `delayMs` after its `checkpoints`-th checkpoint of this run
 * (with `phase`: counted from its first checkpoint in that phase, so a streaming kill never lands in the copy).
 */
function runChild(args: readonly string[], kill?: { checkpoints: number; delayMs: number; phase?: string }): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...command, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const run: ChildRun = { code: null, signal: null, stderr: '', lastPhase: undefined, startPhase: undefined, checkpoints: 0 }
    let armed = false
    let counted = 0
    const arm = () => {
      // Armed once the sync has started (state loaded, sink open): a kill before that proves nothing.
      if (!kill || armed || run.startPhase === undefined || counted < kill.checkpoints) return
      if (kill.phase && (run.lastPhase ?? run.startPhase) !== kill.phase) return
      armed = true
      setTimeout(() => child.kill('SIGKILL'), kill.delayMs)
    }
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, value] = line.split(' ')
      if (word === 'start') run.startPhase ??= value
      if (word === 'checkpoint') {
        run.lastPhase = value
        run.checkpoints++
        if (!kill?.phase || value === kill.phase) counted++
      }
      arm()
    })
    child.on('error', fail)
    child.on('close', (code, signal) => {
      run.code = code
      run.signal = signal
      done(run)
    })
  })
}

/** Writers: random inserts, updates, deletes in small transactions, and a TRUNCATE now and then, until `stop`. */
async function writers(url: string, rand: () => number, stop: { done: boolean }, counts: Record<string, number>): Promise<void> {
  let nextId = SEED_ROWS + 1
  const pick = () => 1 + Math.floor(rand() * (nextId - 1))
  // Two truncates at seeded moments (by writer 0's loop count): the table empties, then fills again.
  const truncateAt = new Set([300 + Math.floor(rand() * 200), 700 + Math.floor(rand() * 200)])
  const one = async (worker: number) => {
    const conn = await mysql.createConnection(url)
    let round = 0
    try {
      while (!stop.done) {
        if (worker === 0 && truncateAt.has(++round)) {
          await conn.query('TRUNCATE TABLE items')
          counts.truncates!++
        } else try {
          await conn.query('BEGIN')
          const n = 1 + Math.floor(rand() * 4)
          for (let i = 0; i < n; i++) {
            const k = rand()
            if (k < 0.45) {
              const id = nextId++
              await conn.query('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)', [id, Math.floor(rand() * 1000), `n${id}`, String(BigInt(id) * 2n ** 40n), `${id}.${worker}5`, '2026-01-02 03:04:05.123456'])
              counts.inserts!++
            } else if (k < 0.5) {
              // A key that changes: the old key must end deleted, the new one live.
              await conn.query('UPDATE items SET id = ? WHERE id = ?', [nextId++, pick()])
              counts.rekeys!++
            } else if (k < 0.8) {
              await conn.query('UPDATE items SET v = v + 1, note = ?, at = NOW(6) WHERE id = ?', [`u${Math.floor(rand() * 1e6)}`, pick()])
              counts.updates!++
            } else {
              await conn.query('DELETE FROM items WHERE id = ?', [pick()])
              counts.deletes!++
            }
          }
          await conn.query('COMMIT')
        } catch (e) {
          // Two writers' transactions deadlocked (or waited too long): that one is rolled back, as an application would retry.
          if (!['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'].includes((e as { code?: string }).code ?? '')) throw e
          await conn.query('ROLLBACK')
          counts.deadlocks!++
        }
        await new Promise((r) => setTimeout(r, 2 + Math.floor(rand() * 6)))
      }
    } finally {
      await conn.end()
    }
  }
  await Promise.all([0, 1, 2].map(one))
}

it(`a binlog sync SIGKILLed ${KILLS} times during snapshot and stream, with concurrent writers, lands the source row for row (seed ${SEED})`, async () => {
  const conn = await mysql.createConnection({ uri: db.url, multipleStatements: true })
  await conn.query('CREATE TABLE items (id INT PRIMARY KEY, v INT, note VARCHAR(40), big BIGINT, amount DECIMAL(20,6), at DATETIME(6))')
  const values = Array.from({ length: SEED_ROWS }, (_, i) => `(${i + 1}, ${i}, 'seed${i + 1}', ${BigInt(i + 1) * 2n ** 40n}, ${i + 1}.5, '2026-01-01 00:00:00.000001')`)
  await conn.query(`INSERT INTO items VALUES ${values.join(',')}`)

  const rand = prng(SEED)
  const w = warehouse()
  const stop = { done: false }
  const counts = { inserts: 0, updates: 0, rekeys: 0, deletes: 0, truncates: 0, deadlocks: 0 }
  const writing = writers(db.url, rand, stop, counts)
  const kills: { startPhase?: string; lastPhase?: string }[] = []
  try {
    for (let k = 0; k < KILLS; k++) {
      // The first kills land during the snapshot (after a few pages), the rest at random moments of streaming.
      const plan = k < SNAPSHOT_KILLS ? { checkpoints: 1 + Math.floor(rand() * 8), delayMs: Math.floor(rand() * 10) } : { checkpoints: Math.floor(rand() * 4), delayMs: Math.floor(rand() * 400), phase: 'stream' }
      const run = await runChild([db.url, w.path, String(BATCH)], plan)
      expect(run.signal, run.stderr).toBe('SIGKILL')
      kills.push({ startPhase: run.startPhase, lastPhase: run.lastPhase })
    }
  } finally {
    stop.done = true
    await writing
  }
  // The writers stopped: one clean bounded sync reads every change to the end.
  const final = await runChild([db.url, w.path, String(BATCH), 'once'])
  expect(final.code, final.stderr).toBe(0)

  // What the source holds now, landed by a fresh snapshot: the values exactly as the copy writes them.
  const fresh = warehouse()
  const report = await sync({ source: mysqlSource({ connection: db.url, tables: ['items'], id: 'fresh', replication: 'binlog' }), destination: fresh.sink() })
  expect(report.status, JSON.stringify(report.error)).toBe('succeeded')
  const want = data(fresh.rows('items'))
  const got = w.rows('items')
  const isDeleted = (r: Record<string, unknown>) => r._sluice_deleted === '1' || r._sluice_deleted === 1
  // No key twice; every live row equal; every other key soft-deleted.
  expect(new Set(got.map((r) => r.id)).size).toBe(got.length)
  expect(data(got.filter((r) => !isDeleted(r)))).toEqual(want)
  const live = new Set(want.map((r) => r.id))
  expect(got.filter((r) => !live.has(r.id) && !isDeleted(r)).map((r) => r.id)).toEqual([])

  const [[{ n }]] = (await conn.query('SELECT COUNT(*) AS n FROM items')) as unknown as [[{ n: number }]]
  await conn.end()
  // Where each kill landed: in the copy (resumed in it, nothing streamed yet) or while streaming.
  const duringSnapshot = kills.filter((k) => (k.lastPhase ?? k.startPhase) !== 'stream').length
  console.log(`binlog crash proof (seed ${SEED}): ${KILLS} kills (${duringSnapshot} during the snapshot, ${KILLS - duringSnapshot} while streaming), writes ${JSON.stringify(counts)}, ${n} live rows, ${got.length} rows in the destination`)
  expect(kills.every((k) => k.startPhase !== undefined)).toBe(true)
  expect(duringSnapshot).toBeGreaterThanOrEqual(1)
  expect(KILLS - duringSnapshot).toBeGreaterThanOrEqual(KILLS - SNAPSHOT_KILLS)
  expect(counts.deletes).toBeGreaterThan(0)
  expect(counts.truncates).toBeGreaterThanOrEqual(1)
}, 180_000)
