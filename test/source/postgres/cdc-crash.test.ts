import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { skippedCommits, watchAcknowledgements, type AheadSample } from '../../support/cdc-ack-monitor.js'
import { compareCdc, destinationState } from '../../support/cdc-compare.js'
import { seedCdcTables, startCdcWriters } from '../../support/cdc-writers.js'
import { prng } from '../../support/crash-source.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres.js'

/**
 * Issue 13's proof for Postgres change data capture: a sync killed with SIGKILL at random moments
 * — during the initial snapshot and while streaming — while concurrent writers insert, update
 * (some only the column beside a TOASTed value), delete, truncate and change several tables in one
 * transaction, resumed each time, leaves the destination equal to the source row for row once the
 * writers stop and one clean sync ran: deleted rows soft-deleted, no key twice, no value lost or
 * stale. The slot is never confirmed past what the destination committed: sampled while each
 * child runs (test/support/cdc-ack-monitor.ts; forcing `readAhead: true` on the source, which
 * acknowledges before the commit, fails here), checked after each kill, and equal at the end.
 *
 * A child (test/support/cdc-child.ts, bundled by esbuild like the sink matrix's crash child) runs
 * one bounded sync into a SQLite file and is killed after some committed checkpoints plus 0–39 ms.
 * Replay a failure with CDC_CRASH_SEED=<seed printed by the test>.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const CHILD = 'test/support/cdc-child.ts'
/** Accounts seeded before the first sync: with pages of BATCH rows the snapshot spans ~100 checkpoints. */
const ACCOUNTS = 20_000
const BATCH = 150
const KILLS = 14
const SNAPSHOT_KILLS = 4
/** A slot of the test's own that sees every commit (see skippedCommits). */
const SHADOW = 'proof_shadow'

let command: string[] = ['--import', 'tsx', CHILD]
const bundleDir = mkdtempSync(join(tmpdir(), 'sluice-cdc-child-'))
let server: PrivatePostgres | undefined
const dbPath = join(bundleDir, 'warehouse.db')

afterAll(async () => {
  await server?.stop()
  rmSync(bundleDir, { recursive: true, force: true })
})
beforeAll(async () => {
  const esbuild = await import('esbuild').catch(() => undefined)
  const [started] = await Promise.all([
    startPrivatePostgres(),
    esbuild?.build({
      entryPoints: { 'cdc-child': join(ROOT, CHILD) },
      bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outdir: bundleDir, logLevel: 'error',
    }),
  ])
  server = started
  if (esbuild) {
    writeFileSync(join(bundleDir, 'package.json'), '{"type":"module"}')
    symlinkSync(join(ROOT, 'node_modules'), join(bundleDir, 'node_modules'), 'dir') // the bundle's imports resolve from its own directory
    command = [join(bundleDir, 'cdc-child.js')]
  }
  await seedCdcTables(server.url, ACCOUNTS)
  // Every commit from here on, for the acknowledgement check (test_decoding, never consumed).
  const client = new pg.Client({ connectionString: server.url })
  await client.connect()
  await client.query(`SELECT pg_create_logical_replication_slot('${SHADOW}', 'test_decoding')`).finally(() => client.end())
}, 120_000)

/** A CDC state's place: snapshot < stream; in the snapshot (tables done, last key), in the stream the LSN. */
interface Place {
  phase: string
  lsn: bigint
  done: number
  key: bigint
}

const lsnOf = (text: string | undefined): bigint => {
  if (!text || !text.includes('/')) return 0n
  const [hi, lo] = text.split('/') as [string, string]
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`)
}
const place = (phase: string | undefined, lsn: string | undefined, progress = '0:0'): Place => {
  const [done, key] = progress.split(':')
  return { phase: phase ?? 'none', lsn: lsnOf(lsn), done: Number(done), key: BigInt(key ?? '0') }
}
const rank = (p: Place) => (p.phase === 'stream' ? 2 : p.phase === 'snapshot' ? 1 : 0)
/** Whether `a` is not behind `b`: by phase, then by snapshot progress or stream LSN. */
const notBehind = (a: Place, b: Place) => {
  if (rank(a) !== rank(b)) return rank(a) > rank(b)
  if (a.phase === 'stream') return a.lsn >= b.lsn
  return a.done > b.done || (a.done === b.done && a.key >= b.key)
}

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  lines: string[]
  start: Place | undefined
  last: Place | undefined
  ms: number
}

/** When to kill: after `checkpoints` committed checkpoints of phase `phase` (any phase: undefined), plus `delayMs`. */
interface KillPlan {
  phase?: 'snapshot' | 'stream'
  checkpoints: number
  delayMs: number
}

function runChild(kill?: KillPlan): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...command, server!.url, dbPath, String(BATCH)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const spawned = performance.now()
    const run: ChildRun = { code: null, signal: null, stderr: '', lines: [], start: undefined, last: undefined, ms: 0 }
    let seen = 0
    let armed = false
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
    createInterface({ input: child.stdout }).on('line', (line) => {
      run.lines.push(line)
      const [word, phase, lsn, progress] = line.split(' ')
      if (word === 'start') run.start = place(phase, lsn, progress)
      else if (word === 'checkpoint') {
        run.last = place(phase, lsn, progress)
        if (!kill?.phase || kill.phase === phase) seen++
      } else return
      // Armed on a line of the plan's phase only: a stream plan never fires in the snapshot.
      const inPhase = !kill?.phase || kill.phase === phase
      if (kill && !armed && inPhase && seen >= kill.checkpoints && (word === 'checkpoint' || kill.checkpoints === 0)) {
        armed = true
        setTimeout(() => child.kill('SIGKILL'), kill.delayMs)
      }
    })
    child.on('error', fail)
    child.on('close', (code, signal) => {
      run.code = code
      run.signal = signal
      run.ms = Math.round(performance.now() - spawned)
      done(run)
    })
  })
}

async function slotPosition(url: string): Promise<{ slot: string; confirmed: string; lag: number; retained: number }[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const r = await client.query(
      `SELECT slot_name AS slot, confirmed_flush_lsn::text AS confirmed, (pg_current_wal_lsn() - confirmed_flush_lsn)::int8 AS lag,
              (pg_current_wal_lsn() - restart_lsn)::int8 AS retained FROM pg_replication_slots WHERE slot_type = 'logical' AND slot_name <> '${SHADOW}'`,
    )
    return r.rows.map((row) => ({ slot: row.slot, confirmed: row.confirmed, lag: Number(row.lag), retained: Number(row.retained) }))
  } finally {
    await client.end()
  }
}

it(`a CDC sync killed ${KILLS} times (snapshot and stream) under concurrent writes resumes to a destination equal to the source row for row`, async () => {
  const seed = Number(process.env.CDC_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
  console.log(`postgres cdc crash: CDC_CRASH_SEED=${seed}`)
  const rand = prng(seed)
  const url = server!.url
  // The writers pause ~4 ms between transactions: pacing (a few thousand transactions while the
  // kills run), not waiting — nothing waits for them; unpaced they'd starve the children of CPU.
  const writers = await startCdcWriters(url, { seed, writers: 2, accounts: ACCOUNTS, pauseMs: 4 })

  const log: string[] = []
  const landed = { snapshot: 0, stream: 0 }
  let acknowledged: Place = place('none', undefined) // the furthest checkpoint any run reported committed
  let confirmedChecks = 0
  let ackSamples = 0
  const ahead: AheadSample[] = []
  try {
    for (let attempt = 0; landed.snapshot + landed.stream < KILLS && attempt < KILLS * 4; attempt++) {
      // The first kills land in the snapshot (killed after 1–8 of its pages); the rest while streaming.
      const inSnapshot = landed.snapshot < SNAPSHOT_KILLS && acknowledged.phase !== 'stream'
      const kill: KillPlan = inSnapshot
        ? { phase: 'snapshot', checkpoints: 1 + Math.floor(rand() * 8), delayMs: Math.floor(rand() * 40) }
        : { phase: 'stream', checkpoints: Math.floor(rand() * 4), delayMs: Math.floor(rand() * 40) }
      // While it runs: the slot is never confirmed past what the destination committed.
      const watch = watchAcknowledgements(url, 'sluice_cdc', dbPath, 'cdc')
      const run = await runChild(kill)
      const watched = await watch.stop()
      ackSamples += watched.samples
      ahead.push(...watched.ahead)
      if (watched.ahead.length) log.push(`   slot confirmed ahead of the destination ${watched.ahead.length} time(s): ${watched.ahead.map((a) => `${a.confirmed} > ${a.committed}`).join(', ')}`)
      const shown = (p: Place | undefined) => (!p ? '-' : p.phase === 'stream' ? `stream ${p.lsn.toString(16)}` : `${p.phase} ${p.done}:${p.key}`)
      log.push(`#${attempt} kill after ${kill.checkpoints} ${kill.phase} checkpoints + ${kill.delayMs} ms: start ${shown(run.start)} last ${shown(run.last)} → ${run.signal ?? `exit ${run.code}`} (${run.ms} ms)`)
      if (run.code !== null && run.code !== 0) throw new Error(`child failed (exit ${run.code}):\n${run.stderr}\n${log.join('\n')}`)
      // A resumed sync never starts behind a checkpoint that was reported committed.
      if (run.start) expect(notBehind(run.start, acknowledged), log.join('\n')).toBe(true)
      const reached = run.last ?? run.start
      if (reached && notBehind(reached, acknowledged)) acknowledged = reached
      if (run.signal === 'SIGKILL') landed[(run.last ?? run.start)?.phase === 'stream' ? 'stream' : 'snapshot']++
      // Killed anywhere, the server was never told more than the destination committed (ahead: checked below).
      const saved = destinationState(dbPath, 'cdc') as { cdc?: { lsn?: string; consistentPoint?: string } } | undefined
      const committed = saved?.cdc?.lsn ?? saved?.cdc?.consistentPoint
      const [slot] = await slotPosition(url)
      if (committed && slot) {
        log.push(`   committed ${committed}, slot confirmed ${slot.confirmed}`)
        if (lsnOf(slot.confirmed) > lsnOf(committed)) ahead.push({ confirmed: slot.confirmed, committed })
        confirmedChecks++
      }
    }
  } finally {
    const counts = await writers.stop()
    console.log(`postgres cdc crash: writers ${JSON.stringify(counts)}`)
  }
  console.log(`postgres cdc crash: ${landed.snapshot + landed.stream} kills landed (${landed.snapshot} in the snapshot, ${landed.stream} while streaming)\n${log.join('\n')}`)
  expect(landed.snapshot + landed.stream, log.join('\n')).toBeGreaterThanOrEqual(10)
  expect(landed.snapshot, log.join('\n')).toBeGreaterThanOrEqual(2)
  expect(landed.stream, log.join('\n')).toBeGreaterThanOrEqual(5)
  expect(confirmedChecks).toBeGreaterThanOrEqual(10)
  console.log(`postgres cdc crash: ${ackSamples} samples of (slot confirmed, destination committed) while the children ran`)
  // Confirmed ahead is harmless over WAL without commits (a keepalive position); never past a commit.
  expect((await skippedCommits(url, SHADOW, ahead)).join('\n'), log.join('\n')).toBe('')
  expect(ackSamples).toBeGreaterThan(100)

  // The writers stopped: one clean bounded sync reads every change up to now.
  const final = await runChild()
  console.log(`postgres cdc crash: final run from ${final.start?.phase} took ${final.ms} ms`)
  expect(final.code, final.stderr).toBe(0)
  expect(final.lines.at(-1)).toBe('done succeeded')

  const tables = await compareCdc(url, dbPath)
  console.log(`postgres cdc crash: ${tables.map((t) => `${t.table} ${t.sourceRows} source rows, ${t.destinationRows} in the destination (${t.softDeleted} soft-deleted)`).join('; ')}`)
  expect(tables.flatMap((t) => t.differences)).toEqual([])
  expect(tables.find((t) => t.table === 'accounts')!.softDeleted).toBeGreaterThan(0)
  expect(tables.find((t) => t.table === 'notes')!.softDeleted).toBeGreaterThan(0) // truncated rows

  // The slot confirmed what the destination committed, and no further.
  const state = destinationState(dbPath, 'cdc') as { cdc: { slot: string; lsn: string; phase: string } }
  expect(state.cdc.phase).toBe('stream')
  const [slot, ...others] = await slotPosition(url)
  console.log(`postgres cdc crash: state lsn ${state.cdc.lsn}, slot ${slot?.slot} confirmed ${slot?.confirmed} (lag ${slot?.lag} B, retains ${slot?.retained} B)`)
  expect(others).toEqual([])
  expect(slot?.slot).toBe(state.cdc.slot)
  expect(lsnOf(slot!.confirmed) <= lsnOf(state.cdc.lsn)).toBe(true)
  expect(lsnOf(slot!.confirmed)).toBe(lsnOf(state.cdc.lsn))

  // The comparison itself sees a stale value, a lost row and a resurrected one (in a copy).
  const tampered = join(bundleDir, 'tampered.db')
  copyFileSync(dbPath, tampered)
  const db = new Database(tampered)
  const [a, b] = db.prepare(`SELECT id FROM accounts WHERE "_sluice_deleted" = 0 ORDER BY id LIMIT 2`).pluck().all() as number[]
  db.prepare(`UPDATE accounts SET balance = '-1.00' WHERE id = ?`).run(a)
  db.prepare(`DELETE FROM accounts WHERE id = ?`).run(b)
  db.prepare(`UPDATE accounts SET "_sluice_deleted" = 0 WHERE id = (SELECT id FROM accounts WHERE "_sluice_deleted" = 1 LIMIT 1)`).run()
  db.close()
  const kinds = (await compareCdc(url, tampered)).flatMap((t) => t.differences).map((d) => d.split(':')[0])
  expect(kinds.sort()).toEqual(['different', 'live but gone from the source', 'missing'])
}, 240_000)
