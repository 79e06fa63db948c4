import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { files } from '../../src/files.js'
import { sqlite, type Sink } from '../../src/index.js'
import { marReport } from '../../src/mar/mar-report.js'
import { crashPage, PAGES, prng } from '../support/crash-source.js'

/**
 * MAR is written in the same transaction as the data, so a crash at any instant neither loses nor
 * double-counts a row: a sync killed with SIGKILL at random moments and resumed each time must
 * meter exactly what an uninterrupted sync meters. Replay with MAR_CRASH_SEED=<printed seed>.
 */
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const CHILD = 'test/mar/mar-crash-child.ts'
const KILLS = 6

type Kind = 'sqlite' | 'files'
const destination = (kind: Kind, at: string): Sink => (kind === 'files' ? files({ dir: at, format: 'ndjson' }) : sqlite({ path: at }))

function runChild(kind: Kind, db: string, mode: string, killAfter?: { checkpoints: number; delayMs: number }): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string; last: string | undefined }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, mode, kind], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let last: string | undefined
    let seen = 0
    let armed = false
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    createInterface({ input: child.stdout }).on('line', (line) => {
      last = line
      if (!line.startsWith('checkpoint') || !killAfter || armed) return
      if (++seen >= killAfter.checkpoints) {
        armed = true
        setTimeout(() => child.kill('SIGKILL'), killAfter.delayMs)
      }
    })
    child.on('error', fail)
    child.on('close', (code, signal) => done({ code, signal, stderr, last }))
  })
}

/** Distinct account ids any operation touched, and event rows (all distinct: a unique seq each). */
function expectedMar(): { accounts: number; events: number } {
  const ids = new Set<unknown>()
  let events = 0
  for (let p = 0; p < PAGES; p++) {
    const page = crashPage(p)
    for (const r of [...page.upserts, ...page.updates, ...page.deletes]) ids.add(r.id)
    events += page.events.length
  }
  return { accounts: ids.size, events }
}

describe('MAR across crashes (SIGKILL, resume)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-mar-crash-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  // files: the segment of a commit is durable before its manifest, which alone makes it count.
  for (const kind of ['sqlite', 'files'] as const) {
    it(`a sync killed at random moments and resumed meters exactly what an uninterrupted sync meters (${kind})`, async () => {
      const seed = Number(process.env.MAR_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
      console.log(`mar-crash: MAR_CRASH_SEED=${seed}`)
      const rand = prng(seed)
      const clean = join(dir, `${kind}-clean.db`)
      const crashed = join(dir, `${kind}-crashed.db`)
      const whole = await runChild(kind, clean, 'exact')
      expect(whole.code, whole.stderr).toBe(0)

      let landed = 0
      for (let attempt = 0; landed < KILLS && attempt < KILLS * 3; attempt++) {
        const run = await runChild(kind, crashed, 'exact', { checkpoints: 1 + Math.floor(rand() * 12), delayMs: Math.floor(rand() * 40) })
        if (run.code !== null && run.code !== 0) throw new Error(`child failed: ${run.stderr}`)
        if (run.signal === 'SIGKILL') landed++
        else break
      }
      expect(landed).toBeGreaterThanOrEqual(3)
      const final = await runChild(kind, crashed, 'exact')
      expect(final.code, final.stderr).toBe(0)
      expect(final.last).toBe('done succeeded')

      const want = expectedMar()
      const strip = (rows: Awaited<ReturnType<typeof marReport>>) => rows.map((r) => ({ table: r.table, rows: r.rows }))
      const cleanMar = strip(await marReport({ destination: destination(kind, clean) }))
      expect(cleanMar).toEqual([{ table: 'accounts', rows: want.accounts }, { table: 'events', rows: want.events }])
      expect(strip(await marReport({ destination: destination(kind, crashed) }))).toEqual(cleanMar)
    }, 300_000)
  }
})
