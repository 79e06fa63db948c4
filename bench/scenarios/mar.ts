/**
 * memory → SQLite upsert with MAR metering, one transaction (checkpoint) per 10k rows.
 *
 * The limit is the same hand-written loop as `sqlite-upsert` (LIMITS.md 3b). The library rows
 * show what metering costs on top of a plain sync: exact MAR (a 64-bit key hash per row, checked
 * against the month's key set in memory, new keys appended as one blob per batch in the same
 * transaction) and approximate MAR (the same hash into a HyperLogLog sketch merged at each
 * checkpoint). Targets: exact adds < 15 %, approximate < 5 %, over the plain sync.
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { fromIterable, sqlite, sync } from '../../src/index.js'
import type { MarOptions } from '../../src/mar/mar-options.js'
import { marReport } from '../../src/mar/mar-report.js'
import { generateOrders, ORDER_COLUMNS, type Order } from '../harness/generate-orders.js'
import { defineCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'

const CHECKPOINT_ROWS = 10_000
const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const
const MONTH = Date.UTC(2026, 10, 15)

/** The hand-written loop: one prepared upsert per row, a transaction per 10k rows. */
function rawUpsert(path: string, rows: readonly Order[]): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TEXT, email TEXT, name TEXT, amount REAL, active INTEGER, tags TEXT)')
  const sets = COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')
  const stmt = db.prepare(`INSERT INTO orders (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT(id) DO UPDATE SET ${sets}`)
  const writeChunk = db.transaction((start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const r = rows[i]!
      stmt.run(r.id, r.updated_at, r.email, r.name, r.amount, r.active ? 1 : 0, r.tags)
    }
  })
  for (let start = 0; start < rows.length; start += CHECKPOINT_ROWS) writeChunk(start, Math.min(start + CHECKPOINT_ROWS, rows.length))
  db.close()
}

function countRows(path: string): number {
  const db = new Database(path, { readonly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM "orders"').get() as { n: number }).n
  } finally {
    db.close()
  }
}

interface Prepared {
  dir: { path: string; remove(): void }
  db: string
}

const fresh = (): Prepared => {
  const dir = tempDir('mar')
  return { dir, db: join(dir.path, 'warehouse.db') }
}
const cleanup = (p: Prepared) => p.dir.remove()

/** A library case: sync with `mar` (or none); verify rows and, with MAR, the month's count. */
function syncCase(name: string, label: string, mar: MarOptions | undefined) {
  return defineCase<Order[], Prepared>({
    name,
    label,
    kind: 'library',
    prepare: fresh,
    async run(p, rows) {
      const report = await sync({
        source: fromIterable('orders', rows, { primaryKey: ['id'], batchSize: CHECKPOINT_ROWS }),
        destination: sqlite({ path: p.db }),
        ...(mar ? { mar } : {}),
      })
      if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
    },
    async verify(p, rows) {
      const count = countRows(p.db)
      if (count !== rows.length) throw new Error(`orders has ${count} rows, expected ${rows.length}`)
      if (!mar) return
      const [usage] = await marReport({ destination: sqlite({ path: p.db }) })
      const metered = usage?.rows ?? 0
      const tolerance = mar.mode === 'approximate' ? 0.02 * rows.length : 0
      if (Math.abs(metered - rows.length) > tolerance) throw new Error(`MAR ${metered}, expected ${rows.length} (±${tolerance})`)
    },
    cleanup,
  })
}

const scenario: Scenario<Order[]> = {
  name: 'mar',
  title: 'memory → SQLite upsert with MAR metering (none / exact / HyperLogLog)',
  baseline: 'raw',
  generate: (rows) => generateOrders(rows),
  settings: () =>
    `${ORDER_COLUMNS} columns, int primary key · checkpoint = 1 transaction per ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows · WAL, synchronous=NORMAL · fresh db file per run · every key new (first sync of the month) · HLL p = 14`,
  cases: [
    defineCase<Order[], Prepared>({
      name: 'raw',
      label: 'raw loop: prepared upsert, 1 row/statement',
      kind: 'raw',
      prepare: fresh,
      run: (p, rows) => rawUpsert(p.db, rows),
      verify: (p, rows) => {
        if (countRows(p.db) !== rows.length) throw new Error('raw loop lost rows')
      },
      cleanup,
    }),
    syncCase('sync', 'sluice sync → sqlite, no MAR', undefined),
    syncCase('exact', "sluice sync → sqlite, mar: { mode: 'exact' }", { mode: 'exact', clock: { now: () => MONTH } }),
    syncCase('hll', "sluice sync → sqlite, mar: { mode: 'approximate' }", { mode: 'approximate', clock: { now: () => MONTH } }),
  ],
}

export default scenario
