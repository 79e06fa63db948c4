import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { memory, sync, type MemorySink, type SyncReport } from '../../../src/index.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'
import { prng } from '../../support/crash-source.js'
import { compareRows, movingApi, type Churn, type MovingApi } from '../../support/moving-api.js'
import { CONFIGS, movingStreams } from '../../support/moving-configs.js'

/**
 * Issue 11 item 3: incremental paging over rows that change while they are paged. Each test syncs every configuration
 * the docs present (one table each, all at once) from an API that updates, inserts and hard-deletes rows before
 * answering each request; once the changes stop, one more incremental sync must leave every row the API holds in the
 * destination, in its latest version. Rows the API deleted may stay: an updated_since query can't report them.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const BUDGET: Churn = { updates: 500, inserts: 100, deletes: 100 }
const PER_REQUEST: Churn = { updates: 2, inserts: 1, deletes: 1 }
const dir = mkdtempSync(join(tmpdir(), 'sluice-moving-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let api: MovingApi | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
})

const source = (url: string, streams: RestStream[] = movingStreams()) => rest({ baseUrl: url, retry: false, concurrency: streams.length, streams })

/** Fails naming each table (configuration) that lost a row or kept an old version. */
function expectNothingLost(moving: MovingApi, rowsOf: (table: string) => Iterable<Record<string, unknown>>, tables = Object.keys(CONFIGS)): void {
  const problems: string[] = []
  for (const table of tables) {
    const { lost, stale, unknown } = compareRows(moving, rowsOf(table))
    if (lost.length + stale.length + unknown.length > 0) problems.push(`${table}: ${lost.length} lost (${lost.slice(0, 5).join(', ')}), ${stale.length} stale (${stale.slice(0, 5).join(', ')}), ${unknown.length} unknown`)
  }
  expect(problems).toEqual([])
}

const live = (sink: MemorySink) => (table: string) => sink.rows(table).filter((r) => r['_sluice_deleted'] !== true)
const succeeded = (report: SyncReport) => expect(report.status, `${report.error?.code} ${report.error?.message}`).toBe('succeeded')

describe('incremental paging over an API whose rows change while it is paged', () => {
  it('every documented configuration loses no row while 500 rows are updated, 100 inserted and 100 hard-deleted during the sync', { timeout: 240_000 }, async () => {
    api = await movingApi({ rows: 20_000, perRequest: PER_REQUEST, budget: BUDGET })
    const sink = memory()
    const s = source(api.url)
    succeeded(await sync({ source: s, destination: sink }))
    expect(api.made).toEqual(BUDGET) // every change happened while the streams were being paged
    api.freeze()
    succeeded(await sync({ source: s, destination: sink })) // the next incremental sync
    expectNothingLost(api, live(sink))
  })

  it('stopped by a deadline and by three more stops mid-sync, then resumed: no row lost', { timeout: 240_000 }, async () => {
    api = await movingApi({ rows: 20_000, perRequest: PER_REQUEST, budget: BUDGET, seed: 2 })
    const moving = api
    const sink = memory()
    const s = source(moving.url)
    // A deadline already past: the sync stops at its first checkpoint (the grace is long enough to reach it).
    const first = await sync({ source: s, destination: sink, deadline: 1, grace: 60_000 })
    expect(first).toMatchObject({ status: 'stopped', stopReason: 'deadline' })
    expect(first.rows).toBeGreaterThan(0)
    const rand = prng(11)
    for (let stop = 0; stop < 3; stop++) {
      // A stop requested after a few dozen more requests: the same path as a deadline, at a place the test chooses.
      const ac = new AbortController()
      const at = moving.requests + 20 + Math.floor(rand() * 60)
      moving.onRequest = (n) => void (n >= at && ac.abort())
      const report = await sync({ source: s, destination: sink, signal: ac.signal })
      expect(report.status, `stop ${stop}: ${report.error?.message}`).toBe('stopped')
    }
    moving.onRequest = undefined
    succeeded(await sync({ source: s, destination: sink }))
    moving.freeze()
    succeeded(await sync({ source: s, destination: sink }))
    expectNothingLost(moving, live(sink))
  })

  it('killed with SIGKILL three times mid-sync and resumed: no row lost', { timeout: 300_000 }, async () => {
    api = await movingApi({ rows: 20_000, perRequest: PER_REQUEST, budget: BUDGET, seed: 3 })
    const db = join(dir, 'killed.db')
    const seed = Number(process.env.MOVING_SEED ?? Math.floor(Math.random() * 2 ** 31))
    const rand = prng(seed)
    const log: string[] = [`replay with MOVING_SEED=${seed}`]
    let landed = 0
    for (let attempt = 0; landed < 3 && attempt < 9; attempt++) {
      const plan = { checkpoints: 5 + Math.floor(rand() * 60), delayMs: Math.floor(rand() * 30) }
      const run = await runChild(api.url, db, plan)
      log.push(`#${attempt} kill after ${plan.checkpoints} checkpoints + ${plan.delayMs} ms: ${run.checkpoints} checkpoints → ${run.signal ?? `exit ${run.code}`}`)
      if (run.code !== null && run.code !== 0) throw new Error(`child failed (exit ${run.code}):\n${run.stderr}\n${log.join('\n')}`)
      if (run.signal === 'SIGKILL') landed++
      else break // finished before the kill
    }
    expect(landed, log.join('\n')).toBe(3)
    const rest = await runChild(api.url, db)
    expect(rest.code, rest.stderr).toBe(0)
    api.freeze()
    const next = await runChild(api.url, db)
    expect(next.code, next.stderr).toBe(0)
    const handle = new Database(db, { readonly: true })
    try {
      expectNothingLost(api, (table) => handle.prepare(`SELECT "id", "version", "name", "updated_at" FROM "${table}" WHERE "_sluice_deleted" = 0`).all() as Record<string, unknown>[])
    } finally {
      handle.close()
    }
  })

  it('offset re-reads the rows sharing one updated_at when they moved, through a group larger than a page', { timeout: 120_000 }, async () => {
    // 1,200 rows share one updated_at; half the changes hit them while the stream steps through them 500 at a time.
    api = await movingApi({ rows: 5_000, bigTie: [1001, 1200], hot: [1001, 1200], perRequest: { updates: 3, inserts: 0, deletes: 1 }, budget: { updates: 150, inserts: 0, deletes: 50 } })
    const streams: RestStream[] = [{ table: 'orders', records: 'data', primaryKey: ['id'], ...CONFIGS['offset_sorted']! }]
    const sink = memory()
    succeeded(await sync({ source: source(api.url, streams), destination: sink }))
    // A request from a value at a lower offset than one before it: the rows at that value moved, and were read again.
    const requests = api.log.map((line) => new URL(line, 'http://x').searchParams)
    const offsetOf = (q: URLSearchParams) => Number(q.get('offset'))
    const again = requests.filter((q, i) => requests.slice(0, i).some((p) => p.get('updated_since') === q.get('updated_since') && offsetOf(p) > offsetOf(q)))
    expect(again.length).toBeGreaterThan(0)
    api.freeze()
    succeeded(await sync({ source: source(api.url, streams), destination: sink }))
    expectNothingLost(api, live(sink), ['orders'])
  })

  it.each(['page_sorted', 'cursor_sorted', 'link_sorted', 'next_sorted'])('%s: a page full of rows sharing one updated_at fails with CURSOR_TIES saying how to page them', async (name) => {
    api = await movingApi({ rows: 3_000, bigTie: [1001, 1200], budget: { updates: 0, inserts: 0, deletes: 0 } })
    const streams: RestStream[] = [{ table: 'orders', records: 'data', primaryKey: ['id'], ...CONFIGS[name]! }]
    const report = await sync({ source: source(api.url, streams), destination: memory() })
    const value = api.rows().get(1001)!['updated_at']
    expect(report.error).toMatchObject({ code: 'CURSOR_TIES', context: { table: 'orders', field: 'updated_at', value } })
    expect(report.error?.message).toMatch(/larger pages.*use offset pagination.*keyset: true/)
  })
})

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  checkpoints: number
  stderr: string
}

/** Runs test/support/moving-child.ts; with `kill`, SIGKILLs it `delayMs` after its `checkpoints`-th checkpoint. */
function runChild(url: string, db: string, kill?: { checkpoints: number; delayMs: number }): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/moving-child.ts', url, db], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const run: ChildRun = { code: null, signal: null, checkpoints: 0, stderr: '' }
    let armed = false
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line !== 'checkpoint') return
      run.checkpoints++
      if (kill && !armed && run.checkpoints >= kill.checkpoints) {
        armed = true
        setTimeout(() => child.kill('SIGKILL'), kill.delayMs)
      }
    })
    child.on('error', fail)
    child.on('close', (code, signal) => {
      run.code = code
      run.signal = signal
      done(run)
    })
  })
}
