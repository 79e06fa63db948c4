import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Row, Sink, State } from '../../../src/index.js'
import { differences, expectedAccounts } from '../../support/crash-expected.js'
import { crashPage, PAGE_ROWS, prng } from '../../support/crash-source.js'
import type { CrashPlan, Destination, Library } from '../destinations.js'
import { forEachDestination } from './each-destination.js'

/**
 * DESIGN section 3, for every destination that outlives its process: data and state commit
 * together, so a sync killed with SIGKILL at any instant — mid-write, mid-commit, mid-merge,
 * mid-WAL-checkpoint, with detached writes on their way to a worker thread — resumes from a state
 * that matches the data exactly. A child (test/support/crash-child.ts) syncs the deterministic
 * crash stream (1,000 upserts with partial updates and soft deletes, and 1,000 appends a page) and
 * is killed at random moments, resumed each time; the destination must then equal the source row
 * for row, and (where it meters) its MAR must count every row exactly once, as an uninterrupted sync
 * does. Kill counts and pages per destination are its `crash` plan in test/sink/destinations.ts.
 * Replay a failure with CRASH_SEED=<seed printed by the test>.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const CHILD = 'test/support/crash-child.ts'

/**
 * How to start the child: bundled once by esbuild (tsx's, present with it) into plain ESM, with the
 * SQLite worker bundled beside it where `sqlite({ thread: true })` looks for it; that starts in
 * about half the time of `--import tsx`, and start-up is paid at every kill. `tsx` when esbuild
 * can't be loaded.
 */
let command: string[] = ['--import', 'tsx', CHILD]
const bundleDir = mkdtempSync(join(tmpdir(), 'sluice-crash-child-'))
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }))
beforeAll(async () => {
  const esbuild = await import('esbuild').catch(() => undefined)
  if (!esbuild) return
  await esbuild.build({
    entryPoints: { 'crash-child': join(ROOT, CHILD), 'sqlite-thread-worker': join(ROOT, 'src/sink/sqlite/sqlite-thread-worker.ts') },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outdir: bundleDir, logLevel: 'error',
  })
  writeFileSync(join(bundleDir, 'package.json'), '{"type":"module"}')
  symlinkSync(join(ROOT, 'node_modules'), join(bundleDir, 'node_modules'), 'dir') // the bundle's imports resolve from its own directory
  command = [join(bundleDir, 'crash-child.js')]
}, 60_000)

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  lines: string[]
  stderr: string
  /** The page the saved state resumed from. */
  start: number | undefined
  /** The last checkpoint the child reported committed. */
  lastCheckpoint: number | undefined
  /** Milliseconds from spawn to the `start` line, and to exit (for the log). */
  startMs: number | undefined
  ms: number
}

/** When to kill: after the sync started and `checkpoints` more checkpoints committed, plus `delayMs`. */
interface KillPlan {
  checkpoints: number
  delayMs: number
}

function runChild(args: readonly string[], kill?: KillPlan): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...command, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const spawned = performance.now()
    const run: ChildRun = { code: null, signal: null, lines: [], stderr: '', start: undefined, lastCheckpoint: undefined, startMs: undefined, ms: 0 }
    let seen = 0
    let armed = false
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
    createInterface({ input: child.stdout }).on('line', (line) => {
      run.lines.push(line)
      const [word, value] = line.split(' ')
      if (word === 'start') {
        run.start = Number(value)
        run.startMs = Math.round(performance.now() - spawned)
      } else if (word === 'checkpoint') {
        run.lastCheckpoint = Number(value)
        seen++
      } else return
      if (kill && !armed && seen >= kill.checkpoints) {
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

/** The state a new sync of connector `crash` resumes from. */
async function resumedState(lib: Library, sink: Sink): Promise<State | undefined> {
  const { sync } = await lib.core()
  let seen: State | undefined
  const r = await sync({ destination: sink, connectorId: 'crash', source: { async *read({ state }) { seen = state } } })
  expect(r.error).toBeUndefined()
  return seen
}

/** Distinct account ids any operation of the first `pages` pages touched, and event rows (all distinct: a unique seq each). */
function expectedMar(pages: number): { accounts: number; events: number } {
  const ids = new Set<unknown>()
  let events = 0
  for (let p = 0; p < pages; p++) {
    const page = crashPage(p)
    for (const r of [...page.upserts, ...page.updates, ...page.deletes]) ids.add(r.id)
    events += page.events.length
  }
  return { accounts: ids.size, events }
}

const int = (v: unknown) => (v === null || v === undefined ? v : Number(v))
const deleted = (v: unknown) => v === true || v === 1 || v === 1n || v === '1' || v === 't'

async function expectEqualsSource(d: Destination, lib: Library, sink: Sink, plan: CrashPlan): Promise<void> {
  // Read through the Sink interface (not each database's SQL), so the proof is one for every destination.
  const accounts = (await sink.read!({ table: 'accounts' }))
    .map((r) => ({ id: int(r.id), name: r.name, balance: r.balance, status: r.status, version: int(r.version), deleted: deleted(r._sluice_deleted) }))
    .sort((a, b) => Number(a.id) - Number(b.id))
  const want = expectedAccounts(plan.pages)
  expect(want.some((r) => r.deleted)).toBe(true)
  expect(differences(accounts, want), d.name).toEqual([])

  // Append rows have no key: a replayed page would land twice. Each seq must be there exactly once.
  const rows = await sink.read!({ table: 'events' })
  const counts = new Map<number, number>()
  for (const r of rows) counts.set(Number(r.seq), (counts.get(Number(r.seq)) ?? 0) + 1)
  expect([...counts].filter(([, n]) => n > 1).slice(0, 5)).toEqual([])
  const events = rows.map((r) => ({ seq: int(r.seq), account_id: int(r.account_id), kind: r.kind, amount: r.amount })).sort((a, b) => Number(a.seq) - Number(b.seq))
  const wantEvents: Row[] = []
  for (let p = 0; p < plan.pages; p++) wantEvents.push(...crashPage(p).events)
  expect(events.length).toBe(plan.pages * PAGE_ROWS)
  expect(differences(events, wantEvents)).toEqual([])
  expect(rows.filter((r) => deleted(r._sluice_deleted)).length).toBe(0)

  if (d.capabilities.mar) {
    // MAR commits with the data: killed and resumed, the sync meters exactly what an uninterrupted one
    // meters — every account id any operation touched and every event row (a unique seq each), once.
    const { marReport } = await lib.core()
    const mar = (await marReport({ destination: sink })).map((r) => ({ connectorId: r.connectorId, table: r.table, month: r.month, rows: r.rows, approximate: r.approximate }))
    expect(mar).toEqual([
      { connectorId: 'crash', table: 'accounts', month: '2026-11', rows: expectedMar(plan.pages).accounts, approximate: false },
      { connectorId: 'crash', table: 'events', month: '2026-11', rows: expectedMar(plan.pages).events, approximate: false },
    ])
  }

  expect((await sink.history!({ connectorId: 'crash' })).map((h) => ({ status: h.status }))).toContainEqual({ status: 'succeeded' })
  expect(await resumedState(lib, sink)).toEqual({ page: plan.pages })
}

/**
 * The same facts read with the database's own client, not through the library under test: a
 * `read()` that hid a duplicate or a lost row would otherwise agree with itself. SQLite (either
 * form) and Postgres; the files lake has no SQL to ask, DuckDB keeps its file locked to one instance.
 */
async function expectRawTables(d: Destination, at: string, plan: CrashPlan): Promise<void> {
  const want = expectedAccounts(plan.pages)
  const sql = {
    accounts: 'SELECT count(*) AS n, count(DISTINCT "id") AS ids, sum(CASE WHEN "_sluice_deleted" THEN 1 ELSE 0 END) AS deleted FROM "accounts"',
    events: 'SELECT count(*) AS n, count(DISTINCT "seq") AS seqs FROM "events"',
    state: `SELECT "state" FROM "_sluice_state" WHERE "connector_id" = 'crash'`,
  }
  let rows: { accounts: Record<string, unknown>; events: Record<string, unknown>; state: string }
  if (d.name === 'sqlite' || d.name === 'sqlite-thread') {
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(at, { readonly: true })
    try {
      rows = { accounts: db.prepare(sql.accounts).get() as Record<string, unknown>, events: db.prepare(sql.events).get() as Record<string, unknown>, state: db.prepare(sql.state).pluck().get() as string }
    } finally {
      db.close()
    }
  } else if (d.name === 'postgres') {
    const { default: pg } = await import('pg')
    const client = new pg.Client({ connectionString: process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' })
    await client.connect()
    try {
      await client.query(`SET search_path TO "${at}"`)
      rows = { accounts: (await client.query(sql.accounts)).rows[0], events: (await client.query(sql.events)).rows[0], state: (await client.query(sql.state)).rows[0]?.state }
    } finally {
      await client.end()
    }
  } else {
    return
  }
  const n = (v: unknown) => Number(v)
  expect({ n: n(rows.accounts.n), ids: n(rows.accounts.ids), deleted: n(rows.accounts.deleted) }, d.name).toEqual({
    n: want.length, ids: want.length, deleted: want.filter((r) => r.deleted).length,
  })
  expect({ n: n(rows.events.n), seqs: n(rows.events.seqs) }, d.name).toEqual({ n: plan.pages * PAGE_ROWS, seqs: plan.pages * PAGE_ROWS })
  expect(JSON.parse(rows.state), d.name).toEqual({ page: plan.pages })
}

forEachDestination('sync killed with SIGKILL at random moments', ({ destination: d, location, lib }) => {
  const plan = d.capabilities.crash!
  it(`resumes after every crash without duplicates or gaps: upsert and append tables equal the source row for row (${plan.kills} kills, ${plan.pages} pages)`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`${d.name} crash-resume: CRASH_SEED=${seed}`)
    const rand = prng(seed)
    const at = location()
    const args = [d.name, at, String(plan.pages)]

    let landed = 0
    let acknowledged = 0 // the highest checkpoint any run reported committed
    const log: string[] = []
    for (let attempt = 0; landed < plan.kills && attempt < plan.kills * 3; attempt++) {
      const kill: KillPlan = { checkpoints: Math.floor(rand() * (plan.maxCheckpointsBeforeKill + 1)), delayMs: Math.floor(rand() * 40) }
      const run = await runChild(args, kill)
      log.push(`#${attempt} kill after ${kill.checkpoints} checkpoints + ${kill.delayMs} ms: start ${run.start} last ${run.lastCheckpoint} → ${run.signal ?? `exit ${run.code}`} (started ${run.startMs} ms, ended ${run.ms} ms)`)
      if (run.code !== null && run.code !== 0) throw new Error(`child failed (exit ${run.code}):\n${run.stderr}\n${log.join('\n')}`)
      // A resumed sync never starts before a checkpoint that was acknowledged: committed state is never lost.
      expect(run.start, log.join('\n')).toBeGreaterThanOrEqual(acknowledged)
      acknowledged = Math.max(acknowledged, run.lastCheckpoint ?? run.start ?? 0)
      if (run.signal === 'SIGKILL') landed++
      else break // the sync finished before the kill: nothing left to interrupt
    }
    console.log(`${d.name} crash-resume: ${landed} kills landed, last acknowledged page ${acknowledged}/${plan.pages}\n${log.join('\n')}`)
    expect(landed, log.join('\n')).toBeGreaterThanOrEqual(plan.minLanded)

    const final = await runChild(args)
    console.log(`${d.name} crash-resume: final run from page ${final.start} took ${final.ms} ms`)
    expect(final.code, final.stderr).toBe(0)
    expect(final.lines.at(-1)).toBe('done succeeded')
    expect(final.start).toBeGreaterThanOrEqual(acknowledged)

    await expectEqualsSource(d, lib, await d.open(lib, at), plan)
    await expectRawTables(d, at, plan)
  }, 300_000) // each child start takes ~1 s on a quiet 2-core VM (bundled), 5 s at load 8
}, { only: (d) => d.capabilities.crash !== undefined })
