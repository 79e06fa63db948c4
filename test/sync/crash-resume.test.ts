import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { Row } from '../../src/index.js'
import { serializeState } from '../../src/core/json-state.js'
import { differences, expectedAccounts } from '../support/crash-expected.js'
import { crashPage, PAGE_ROWS, PAGES, prng } from '../support/crash-source.js'

/**
 * DESIGN section 3: data and state commit in one transaction, so a crash at any instant resumes
 * from a state that matches the data exactly. Proven here the blunt way: a child process syncs
 * 200k upserts (with partial updates and soft deletes) and 200k appends into SQLite and is
 * killed with SIGKILL at random moments, resumed each time; the destination must then equal the
 * source row for row. Replay a failure with CRASH_SEED=<seed printed by the test>.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const CHILD = 'test/support/crash-child.ts'
/** At most this many checkpoints pass before a kill, so the kills can't use up the 200 pages early. */
const MAX_PAGES_BEFORE_KILL = 4

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  lines: string[]
  stderr: string
  /** The page the saved state resumed from. */
  start: number | undefined
  /** The last checkpoint the child reported committed. */
  lastCheckpoint: number | undefined
  /** Milliseconds from spawn to the `start` line, and to exit. */
  startMs: number | undefined
  ms: number
}

/** When to kill: after the sync started and `checkpoints` more checkpoints committed, plus `delayMs`. */
interface KillPlan {
  checkpoints: number
  delayMs: number
}

function runChild(db: string, childArgs: readonly string[], kill?: KillPlan): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, ...childArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const spawned = performance.now()
    const run: ChildRun = { code: null, signal: null, lines: [], stderr: '', start: undefined, lastCheckpoint: undefined, startMs: undefined, ms: 0 }
    let seen = 0
    let armed = false
    const fire = () => {
      if (armed) return
      armed = true
      setTimeout(() => child.kill('SIGKILL'), kill!.delayMs)
    }
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
      if (kill && seen >= kill.checkpoints) fire()
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

function expectedEvents(): Row[] {
  const out: Row[] = []
  for (let p = 0; p < PAGES; p++) out.push(...crashPage(p).events)
  return out
}

/** `kills`: kills that must land while the sync is running; `childArgs` go to crash-child.ts after the db path. */
function describeCrashResume(title: string, childArgs: readonly string[], KILLS: number): void {
  describe(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('resumes after every crash without duplicates or gaps: upsert and append tables equal the source row for row', async () => {
      const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
      console.log(`crash-resume: CRASH_SEED=${seed}`)
      const rand = prng(seed)
      const db = join(dir, 'warehouse.db')

      let landed = 0
      let acknowledged = 0 // the highest checkpoint any run reported committed
      const log: string[] = []
      for (let attempt = 0; landed < KILLS && attempt < KILLS * 3; attempt++) {
        const plan: KillPlan = {
          checkpoints: Math.floor(rand() * (MAX_PAGES_BEFORE_KILL + 1)),
          delayMs: Math.floor(rand() * 40),
        }
        const run = await runChild(db, childArgs, plan)
        log.push(`#${attempt} kill after ${plan.checkpoints} checkpoints + ${plan.delayMs} ms: start ${run.start} last ${run.lastCheckpoint} → ${run.signal ?? `exit ${run.code}`} (started ${run.startMs} ms, ended ${run.ms} ms)`)
        if (run.code !== null && run.code !== 0) throw new Error(`child failed (exit ${run.code}):\n${run.stderr}\n${log.join('\n')}`)
        // A resumed sync never starts before a checkpoint that was acknowledged: committed state is never lost.
        expect(run.start, log.join('\n')).toBeGreaterThanOrEqual(acknowledged)
        acknowledged = Math.max(acknowledged, run.lastCheckpoint ?? run.start ?? 0)
        if (run.signal === 'SIGKILL') landed++
        else break // the sync finished before the kill: nothing left to interrupt
      }
      console.log(`crash-resume: ${landed} kills landed, last acknowledged page ${acknowledged}/${PAGES}\n${log.join('\n')}`)
      expect(landed, log.join('\n')).toBeGreaterThanOrEqual(KILLS)

      const final = await runChild(db, childArgs)
      expect(final.code, final.stderr).toBe(0)
      expect(final.lines.at(-1)).toBe('done succeeded')
      expect(final.start).toBeGreaterThanOrEqual(acknowledged)

      const handle = new Database(db, { readonly: true })
      try {
        const accounts = handle
          .prepare('SELECT "id", "name", "balance", "status", "version", "_sluice_deleted" FROM "accounts" ORDER BY "id"')
          .all() as object[]
        const wantAccounts = expectedAccounts(PAGES).map(({ deleted, ...r }) => ({ ...r, _sluice_deleted: deleted ? 1 : 0 }))
        expect(wantAccounts.some((r) => r._sluice_deleted === 1)).toBe(true)
        expect(differences(accounts, wantAccounts)).toEqual([])

        // Append rows have no key: a replayed page would land twice. Each seq must be there exactly once.
        const duplicates = handle.prepare('SELECT "seq", COUNT(*) AS n FROM "events" GROUP BY "seq" HAVING n > 1 LIMIT 5').all()
        expect(duplicates).toEqual([])
        const events = handle
          .prepare('SELECT "seq", "account_id", "kind", "amount" FROM "events" ORDER BY "seq"')
          .all() as Row[]
        expect(events.length).toBe(PAGES * PAGE_ROWS)
        expect(differences(events, expectedEvents())).toEqual([])
        expect(handle.prepare('SELECT COUNT(*) AS n FROM "events" WHERE "_sluice_deleted" <> 0').get()).toEqual({ n: 0 })

        const state = handle.prepare('SELECT "state" FROM "_sluice_state" WHERE "connector_id" = ?').get('crash') as { state: string }
        expect(state.state).toBe(serializeState({ page: PAGES }))
        const syncs = handle.prepare('SELECT "status" FROM "_sluice_syncs" WHERE "connector_id" = ?').all('crash')
        expect(syncs).toContainEqual({ status: 'succeeded' })
      } finally {
        handle.close()
      }
    }, 300_000) // each child start (tsx) takes 1–2 s on a quiet 2-core VM, 5 s at load 8
  })
}

describeCrashResume('sync into sqlite, killed with SIGKILL at random moments', [], 20)
// Fewer kills: each child also starts a worker thread, and the suite's time is shared.
describeCrashResume('sync into sqlite({ thread: true }), killed with SIGKILL at random moments', ['thread'], 8)
