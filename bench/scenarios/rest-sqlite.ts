/**
 * REST API → SQLite: N rows × 7 columns served in pages of 1000 over loopback HTTP by the fault API (test/support)
 * running in a child process, so the server has its own event loop and core as a real API would (LIMITS.md 2).
 *
 * The limit is the loop a user would write by hand: undici `request` (keep-alive) + `JSON.parse` + a prepared
 * better-sqlite3 upsert per row, one transaction per page that also saves the next offset (so it can resume, as a
 * checkpoint does). The library rows run `sync(rest(…) → sqlite)` with a checkpoint per page: the same requests,
 * plus columnar batches, system columns and state in the sink's transaction; with retry off to show what the retry
 * layer costs; with an incremental cursor to show what cursor tracking costs; and the source alone (no writes).
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { sqlite, sync, type Message } from '../../src/index.js'
import { cursor } from '../../src/source/rest/cursor-paginator.js'
import { offset } from '../../src/source/rest/offset-paginator.js'
import { rest } from '../../src/source/rest/rest-source.js'
import type { RestOptions } from '../../src/source/rest/rest-options.js'
import { faultApiChild, initialMicros, orderRow } from '../../test/support/fault-api.js'
import { defineCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'

const PAGE = 1000
const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const

interface Data {
  readonly rows: number
}

interface Prepared {
  readonly api: { url: string; close(): Promise<void> }
  readonly dir: { path: string; remove(): void }
  readonly db: string
}

interface ApiRow {
  id: number
  updated_at: string
  email: string
  name: string
  amount: number
  active: boolean
  tags: unknown
}

async function prepare(data: Data): Promise<Prepared> {
  const api = await faultApiChild({ rows: data.rows })
  const dir = tempDir('rest-sqlite')
  return { api, dir, db: join(dir.path, 'warehouse.db') }
}

async function cleanup(p: Prepared): Promise<void> {
  await p.api.close()
  p.dir.remove()
}

/** The hand-written loop: fetch a page, parse it, upsert its rows and the next offset in one transaction. */
async function rawLoop(p: Prepared): Promise<void> {
  const db = new Database(p.db)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TEXT, email TEXT, name TEXT, amount REAL, active INTEGER, tags TEXT)')
  db.exec('CREATE TABLE sync_state (id INTEGER PRIMARY KEY, next_offset INTEGER)')
  const sets = COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')
  const upsert = db.prepare(`INSERT INTO orders (${COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET ${sets}`)
  const saveState = db.prepare('INSERT INTO sync_state (id, next_offset) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET next_offset = excluded.next_offset')
  const writePage = db.transaction((rows: ApiRow[], next: number) => {
    for (const r of rows) upsert.run(r.id, r.updated_at, r.email, r.name, r.amount, r.active ? 1 : 0, JSON.stringify(r.tags))
    saveState.run(next)
  })
  const agent = new Agent({ connections: 1 })
  try {
    for (let at = 0; ; ) {
      const res = await request(`${p.api.url}/offset/orders?offset=${at}&limit=${PAGE}`, { dispatcher: agent })
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
      const page = JSON.parse(await res.body.text()) as { data: ApiRow[] }
      at += page.data.length
      writePage(page.data, at)
      if (page.data.length < PAGE) break
    }
  } finally {
    await agent.close()
    db.close()
  }
}

function source(p: Prepared, over: Partial<RestOptions> = {}) {
  return rest({
    baseUrl: p.api.url,
    streams: [{ table: 'orders', path: '/offset/orders', records: 'data', primaryKey: ['id'], paginate: offset({ limit: PAGE, stop: { shortPage: true } }) }],
    ...over,
  })
}

async function librarySync(p: Prepared, over: Partial<RestOptions> = {}, thread = false): Promise<void> {
  const report = await sync({ source: source(p, over), destination: sqlite({ path: p.db, thread }) })
  if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.code} ${report.error?.message}`)
}

/** Untimed: every row is there, and sampled rows hold exactly what the API served. */
function verify(p: Prepared, data: Data): void {
  const db = new Database(p.db, { readonly: true })
  try {
    const count = (db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n
    if (count !== data.rows) throw new Error(`orders has ${count} rows, expected ${data.rows}`)
    const get = db.prepare(`SELECT ${COLUMNS.join(', ')} FROM orders WHERE id = ?`)
    for (let id = 1; id <= data.rows; id += Math.max(1, Math.floor(data.rows / 997))) {
      const want = orderRow(id, initialMicros(id))
      const got = get.get(id) as Record<string, unknown>
      const expected: Record<string, unknown> = { ...want, active: want['active'] ? 1 : 0, tags: JSON.stringify(want['tags']) }
      for (const c of COLUMNS) {
        if (got[c] !== expected[c]) throw new Error(`row ${id} column ${c}: got ${String(got[c])}, expected ${String(expected[c])}`)
      }
    }
  } finally {
    db.close()
  }
}

const scenario: Scenario<Data> = {
  name: 'rest-sqlite',
  title: 'REST API (child process, loopback) → SQLite upsert, pages of 1000, 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => ({ rows }),
  settings: () =>
    `offset pagination, ${PAGE} rows/page, short-page stop · server: test/support/fault-api.ts in a child process, rows pre-serialised · ` +
    `one transaction (checkpoint) per page · WAL, synchronous=NORMAL · fresh db file per run · library retry: exponentialBackoff() unless noted`,
  cases: [
    defineCase<Data, Prepared>({
      name: 'raw',
      label: 'raw loop: undici + JSON.parse + prepared upsert, tx/page',
      kind: 'raw',
      prepare,
      run: (p) => rawLoop(p),
      verify,
      cleanup,
    }),
    defineCase<Data, Prepared>({
      name: 'sync',
      label: 'sluice sync(rest → sqlite), checkpoint/page',
      kind: 'library',
      prepare,
      run: (p) => librarySync(p),
      verify,
      cleanup,
    }),
    defineCase<Data, Prepared>({
      name: 'sync-thread',
      label: 'sluice sync(rest → sqlite({ thread: true })), experimental',
      kind: 'library',
      prepare,
      run: (p) => librarySync(p, {}, true),
      verify,
      cleanup,
    }),
    defineCase<Data, Prepared>({
      name: 'no-retry',
      label: 'sluice sync(rest → sqlite), retry: false',
      kind: 'library',
      prepare,
      run: (p) => librarySync(p, { retry: false }),
      verify,
      cleanup,
    }),
    defineCase<Data, Prepared>({
      name: 'incremental',
      label: 'sluice sync(rest → sqlite) + incremental cursor',
      kind: 'library',
      prepare,
      // Keyset tokens (an incremental stream paged by offset must be sorted, and would then ask again from each
      // page's last updated_at): the same pages and requests as the other cases.
      run: (p) => librarySync(p, { streams: [{ table: 'orders', path: '/cursor/orders', records: 'data', primaryKey: ['id'], paginate: cursor({ next: 'meta.next_cursor', limit: PAGE, keyset: true }), incremental: { cursor: 'updated_at', param: 'updated_since' } }] }),
      verify,
      cleanup,
    }),
    defineCase<Data, Prepared>({
      name: 'source',
      label: 'sluice rest source alone: fetch + parse + Batch (no writes)',
      kind: 'library',
      prepare,
      async run(p, data) {
        let rows = 0
        const messages = source(p).read({ state: undefined, signal: new AbortController().signal, configuration: {}, recordError: () => {} })
        for await (const m of messages as AsyncIterable<Message>) if (m.kind === 'records') rows += m.batch.length
        if (rows !== data.rows) throw new Error(`read ${rows} rows, expected ${data.rows}`)
      },
      cleanup,
    }),
  ],
}

export default scenario
