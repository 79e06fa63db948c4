import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Row } from '../../src/index.js'
import { serializeState } from '../../src/core/json-state.js'
import { differences, expectedAccounts } from '../support/crash-expected.js'
import { crashPage, PAGE_ROWS, PAGES, prng } from '../support/crash-source.js'

/**
 * DESIGN section 3 for DuckDB: data and state commit in one transaction, so a crash at any
 * instant resumes from a state that matches the data exactly. A child process syncs the
 * deterministic crash source (200k upserts with partial updates and soft deletes, 200k appends)
 * into a DuckDB file and is killed with SIGKILL at random moments — mid-merge, mid-commit,
 * mid-WAL-checkpoint — then resumed; the destination must equal the source row for row.
 * Replay a failure with CRASH_SEED=<seed printed by the test>.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const CHILD = 'test/support/crash-child-duckdb.ts'
/** Kills that must land while the sync is running. */
const KILLS = 12
/** Checkpoints between kills are drawn from 0…this: the kills spread over the stream, and all of them land before its end. */
const MAX_PAGES_BEFORE_KILL = Math.floor((PAGES - 20) / KILLS)

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  lines: string[]
  stderr: string
  start: number | undefined
  lastCheckpoint: number | undefined
  ms: number
}

/**
 * How to start the child: bundled once with esbuild (tsx's, present with it) into plain ESM, which
 * starts in about half the time of `--import tsx` — start-up is paid at every kill; `tsx` when
 * esbuild can't be loaded.
 */
let command: string[] = ['--import', 'tsx', CHILD]

async function bundleChild(dir: string): Promise<void> {
  const esbuild = await import('esbuild').catch(() => undefined)
  if (!esbuild) return
  const outfile = join(dir, 'crash-child-duckdb.mjs')
  await esbuild.build({ entryPoints: [join(ROOT, CHILD)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir') // the bundle's imports resolve from its own directory
  command = [outfile]
}

function runChild(db: string, kill?: { checkpoints: number; delayMs: number }): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...command, db], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const spawned = performance.now()
    const run: ChildRun = { code: null, signal: null, lines: [], stderr: '', start: undefined, lastCheckpoint: undefined, ms: 0 }
    let seen = 0
    let armed = false
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
    createInterface({ input: child.stdout }).on('line', (line) => {
      run.lines.push(line)
      const [word, value] = line.split(' ')
      if (word === 'start') run.start = Number(value)
      else if (word === 'checkpoint') {
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

/** Rows of a query as plain objects, BIGINT as number (every value here is far below 2^53). */
async function query(connection: Awaited<ReturnType<DuckDBInstance['connect']>>, sql: string, params: string[] = []): Promise<Row[]> {
  const reader = await connection.runAndReadAll(sql, params)
  return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))
}

describe('sync into duckdb, killed with SIGKILL at random moments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-duckdb-crash-'))
  beforeAll(() => bundleChild(dir))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('resumes after every crash without duplicates or gaps: upsert and append tables equal the source row for row', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`duckdb crash-resume: CRASH_SEED=${seed}`)
    const rand = prng(seed)
    const db = join(dir, 'warehouse.duckdb')

    let landed = 0
    let acknowledged = 0
    const log: string[] = []
    for (let attempt = 0; landed < KILLS && attempt < KILLS * 3; attempt++) {
      const plan = { checkpoints: Math.floor(rand() * (MAX_PAGES_BEFORE_KILL + 1)), delayMs: Math.floor(rand() * 40) }
      const run = await runChild(db, plan)
      log.push(`#${attempt} kill after ${plan.checkpoints} checkpoints + ${plan.delayMs} ms: start ${run.start} last ${run.lastCheckpoint} → ${run.signal ?? `exit ${run.code}`} (${run.ms} ms)`)
      if (run.code !== null && run.code !== 0) throw new Error(`child failed (exit ${run.code}):\n${run.stderr}\n${log.join('\n')}`)
      // A resumed sync never starts before a checkpoint that was acknowledged: committed state is never lost.
      expect(run.start, log.join('\n')).toBeGreaterThanOrEqual(acknowledged)
      acknowledged = Math.max(acknowledged, run.lastCheckpoint ?? run.start ?? 0)
      if (run.signal === 'SIGKILL') landed++
      else break
    }
    console.log(`duckdb crash-resume: ${landed} kills landed, last acknowledged page ${acknowledged}/${PAGES}\n${log.join('\n')}`)
    expect(landed, log.join('\n')).toBeGreaterThanOrEqual(10)

    const final = await runChild(db)
    expect(final.code, final.stderr).toBe(0)
    expect(final.lines.at(-1)).toBe('done succeeded')
    expect(final.start).toBeGreaterThanOrEqual(acknowledged)

    const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' })
    const connection = await instance.connect()
    try {
      const accounts = await query(connection, 'SELECT "id", "name", "balance", "status", "version", "_sluice_deleted" FROM "accounts" ORDER BY "id"')
      const want = expectedAccounts(PAGES).map(({ deleted, ...r }) => ({ ...r, _sluice_deleted: deleted }))
      expect(want.some((r) => r._sluice_deleted)).toBe(true)
      expect(differences(accounts, want)).toEqual([])

      // Append rows have no key: a replayed page would land twice. Each seq must be there exactly once.
      expect(await query(connection, 'SELECT "seq", count(*) AS n FROM "events" GROUP BY "seq" HAVING count(*) > 1 LIMIT 5')).toEqual([])
      const events = await query(connection, 'SELECT "seq", "account_id", "kind", "amount" FROM "events" ORDER BY "seq"')
      expect(events.length).toBe(PAGES * PAGE_ROWS)
      const wantEvents: Row[] = []
      for (let p = 0; p < PAGES; p++) wantEvents.push(...crashPage(p).events)
      expect(differences(events, wantEvents)).toEqual([])
      expect(await query(connection, 'SELECT count(*) AS n FROM "events" WHERE "_sluice_deleted"')).toEqual([{ n: 0 }])

      expect(await query(connection, 'SELECT "state" FROM "_sluice_state" WHERE "connector_id" = $1', ['crash'])).toEqual([{ state: serializeState({ page: PAGES }) }])
      expect(await query(connection, 'SELECT "status" FROM "_sluice_syncs" WHERE "connector_id" = $1', ['crash'])).toContainEqual({ status: 'succeeded' })
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  }, 300_000) // ~30 s on a busy 2-core VM (load 9): 13 child starts of ~1.2 s and 200 pages; 5 s a start at load 8+
})
