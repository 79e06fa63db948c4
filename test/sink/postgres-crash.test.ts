import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import type { Row } from '../../src/index.js'
import { serializeState } from '../../src/core/json-state.js'
import { describeWithService, PG_URL, pgUnavailable, schemas } from '../source/postgres/pg-service.js'
import { differences, expectedAccounts } from '../support/crash-expected.js'
import { crashPage, PAGE_ROWS, prng } from '../support/crash-source.js'

/**
 * DESIGN section 3 for the Postgres sink: rows and the state row commit in one transaction, so
 * a sync killed with SIGKILL at any instant resumes from a state that matches the data exactly.
 * A child syncs 80k upserts (with partial updates and soft deletes) and 80k appends and is
 * killed at random moments, resumed each time; the tables must then equal the source row for
 * row. Replay a failure with CRASH_SEED=<seed printed by the test>.
 */

const unavailable = await pgUnavailable()
const fresh = schemas('sluice_crash')
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const CHILD = 'test/support/crash-child-postgres.ts'
const KILLS = 10
const MAX_PAGES_BEFORE_KILL = 4
/** Pages of the crash stream synced (of its 200): 80k upserts and 80k appends keep the proof well under a minute. */
const PAGES = 80

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  lines: string[]
  stderr: string
  start: number | undefined
  lastCheckpoint: number | undefined
  /** Milliseconds from spawn to the `start` line, and to exit (for the log). */
  startMs: number | undefined
  ms: number
}

function runChild(schema: string, kill?: { checkpoints: number; delayMs: number }): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, PG_URL, schema, String(PAGES)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
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
      }
      else if (word === 'checkpoint') {
        run.lastCheckpoint = Number(value)
        seen++
      } else return
      if (kill && seen >= kill.checkpoints && !armed) {
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

describeWithService('sync into postgres, killed with SIGKILL at random moments', 'PostgreSQL', unavailable, () => {
  it('resumes after every crash without duplicates or gaps: upsert and append tables equal the source row for row', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`postgres crash-resume: CRASH_SEED=${seed}`)
    const rand = prng(seed)
    const schema = fresh.next()
    let landed = 0
    let acknowledged = 0
    const log: string[] = []
    for (let attempt = 0; landed < KILLS && attempt < KILLS * 3; attempt++) {
      const plan = { checkpoints: Math.floor(rand() * (MAX_PAGES_BEFORE_KILL + 1)), delayMs: Math.floor(rand() * 40) }
      const run = await runChild(schema, plan)
      log.push(`#${attempt} kill after ${plan.checkpoints} checkpoints + ${plan.delayMs} ms: start ${run.start} last ${run.lastCheckpoint} → ${run.signal ?? `exit ${run.code}`} (started ${run.startMs} ms, ended ${run.ms} ms)`)
      if (run.code !== null && run.code !== 0) throw new Error(`child failed (exit ${run.code}):\n${run.stderr}\n${log.join('\n')}`)
      // A resumed sync never starts before a checkpoint that was acknowledged.
      expect(run.start ?? acknowledged, log.join('\n')).toBeGreaterThanOrEqual(acknowledged)
      acknowledged = Math.max(acknowledged, run.lastCheckpoint ?? run.start ?? 0)
      if (run.signal === 'SIGKILL') landed++
      else break
    }
    console.log(`postgres crash-resume: ${landed} kills landed, last acknowledged page ${acknowledged}/${PAGES}\n${log.join('\n')}`)
    expect(landed, log.join('\n')).toBeGreaterThanOrEqual(KILLS)

    const final = await runChild(schema)
    console.log(`postgres crash-resume: final run from page ${final.start} took ${final.ms} ms`)
    expect(final.code, final.stderr).toBe(0)
    expect(final.lines.at(-1)).toBe('done succeeded')
    expect(final.start).toBeGreaterThanOrEqual(acknowledged)

    const db = fresh.pool
    const s = `"${schema}"`
    const accounts = await db.query(`SELECT "id"::int AS id, "name", "balance", "status", "version", "_sluice_deleted" AS deleted FROM ${s}."accounts" ORDER BY "id"`)
    const want = expectedAccounts(PAGES)
    expect(want.some((r) => r.deleted)).toBe(true)
    expect(differences(accounts.rows, want)).toEqual([])

    // Append rows have no key: a replayed page would land twice. Each seq must be there exactly once.
    const duplicates = await db.query(`SELECT "seq", count(*) FROM ${s}."events" GROUP BY "seq" HAVING count(*) > 1 LIMIT 5`)
    expect(duplicates.rows).toEqual([])
    const events = await db.query<Row>(`SELECT "seq"::int AS seq, "account_id"::int AS account_id, "kind", "amount" FROM ${s}."events" ORDER BY "seq"`)
    const wantEvents: Row[] = []
    for (let p = 0; p < PAGES; p++) wantEvents.push(...crashPage(p).events)
    expect(events.rows.length).toBe(PAGES * PAGE_ROWS)
    expect(differences(events.rows, wantEvents)).toEqual([])

    const state = await db.query(`SELECT "state" FROM ${s}."_sluice_state" WHERE "connector_id" = 'crash'`)
    expect(state.rows).toEqual([{ state: serializeState({ page: PAGES }) }])
    const syncs = await db.query(`SELECT "status" FROM ${s}."_sluice_syncs" WHERE "connector_id" = 'crash'`)
    expect(syncs.rows).toContainEqual({ status: 'succeeded' })
  }, 300_000) // each of the ~20 child starts (tsx) takes 1–2 s on a quiet 2-core VM, 5 s at load 8
})
