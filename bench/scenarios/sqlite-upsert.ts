/**
 * memory → SQLite upsert into an empty table, one transaction (checkpoint) per 10k rows.
 *
 * The limit is LIMITS.md 3b: better-sqlite3, WAL, synchronous=NORMAL, one prepared
 * `INSERT … ON CONFLICT(id) DO UPDATE` run per row, plain JS objects in. The library adds what
 * a sync must do on top: infer types into a columnar batch, create the table from it, write
 * the `_sluice_synced` / `_sluice_deleted` system columns, and commit the state with each
 * checkpoint. The "sink alone" row takes pre-built batches, to show where the time goes (the
 * arrow scenario times `batchFromRows` alone on the same rows).
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { batchFromRows, fromIterable, sqlite, sync, type Batch, type SyncReport } from '../../src/index.js'
import { chunks, ORDER_COLUMNS, type Order } from '../harness/generate-orders.js'
import { loadOrders } from '../harness/orders-file.js'
import { defineCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'

const CHECKPOINT_ROWS = 10_000
const MULTI_ROWS = 16 // rows per statement of the multi-row raw loop, as the library's writer uses

const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const

function upsertSql(rowsPerStatement: number): string {
  const one = `(${COLUMNS.map(() => '?').join(', ')})`
  const sets = COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')
  return `INSERT INTO orders (${COLUMNS.join(', ')}) VALUES ${Array(rowsPerStatement).fill(one).join(', ')} ON CONFLICT(id) DO UPDATE SET ${sets}`
}

/** The hand-written loop, as a user would write it against better-sqlite3. */
function rawUpsert(path: string, rows: readonly Order[], rowsPerStatement: number): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TEXT, email TEXT, name TEXT, amount REAL, active INTEGER, tags TEXT)')
  const single = db.prepare(upsertSql(1))
  const multi = db.prepare(upsertSql(rowsPerStatement))
  const params: unknown[] = new Array(ORDER_COLUMNS * rowsPerStatement)
  const writeChunk = db.transaction((start: number, end: number) => {
    let i = start
    if (rowsPerStatement > 1) {
      for (; i + rowsPerStatement <= end; i += rowsPerStatement) {
        for (let k = 0, p = 0; k < rowsPerStatement; k++) {
          const r = rows[i + k]!
          params[p++] = r.id
          params[p++] = r.updated_at
          params[p++] = r.email
          params[p++] = r.name
          params[p++] = r.amount
          params[p++] = r.active ? 1 : 0 // better-sqlite3 does not bind booleans
          params[p++] = r.tags
        }
        multi.run(params)
      }
    }
    for (; i < end; i++) {
      const r = rows[i]!
      single.run(r.id, r.updated_at, r.email, r.name, r.amount, r.active ? 1 : 0, r.tags)
    }
  })
  for (let start = 0; start < rows.length; start += CHECKPOINT_ROWS) writeChunk(start, Math.min(start + CHECKPOINT_ROWS, rows.length))
  db.close()
}

/** Untimed: the table holds every row, and sampled rows hold exactly the input values. */
function verifyTable(path: string, table: string, rows: readonly Order[]): void {
  const db = new Database(path, { readonly: true })
  try {
    const count = (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n
    if (count !== rows.length) throw new Error(`${table} has ${count} rows, expected ${rows.length}`)
    const get = db.prepare(`SELECT id, updated_at, email, name, amount, active, tags FROM "${table}" WHERE id = ?`)
    for (let i = 0; i < rows.length; i += Math.max(1, Math.floor(rows.length / 997))) {
      const want = rows[i]!
      const got = get.get(want.id) as Record<string, unknown>
      const expected = { ...want, active: want.active ? 1 : 0 }
      for (const c of COLUMNS) {
        if (got[c] !== expected[c]) throw new Error(`${table} row id ${want.id} column ${c}: got ${String(got[c])}, expected ${String(expected[c])}`)
      }
    }
  } finally {
    db.close()
  }
}

interface Prepared {
  dir: { path: string; remove(): void }
  db: string
  batches?: Batch[]
}

const fresh = (): Prepared => {
  const dir = tempDir('sqlite')
  return { dir, db: join(dir.path, 'warehouse.db') }
}
const cleanup = (p: Prepared) => p.dir.remove()

const scenario: Scenario<Order[]> = {
  name: 'sqlite-upsert',
  title: 'memory → SQLite upsert, empty table, 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => loadOrders(rows),
  settings: () =>
    `${ORDER_COLUMNS} columns (int id, ISO timestamp, email, name, double, boolean, JSON text) · checkpoint = 1 transaction per ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows · batchSize ${CHECKPOINT_ROWS.toLocaleString('en-US')} · WAL, synchronous=NORMAL · fresh db file per run`,
  cases: [
    defineCase<Order[], Prepared>({
      name: 'raw',
      label: 'raw loop: prepared upsert, 1 row/statement',
      kind: 'raw',
      prepare: fresh,
      run: (p, rows) => rawUpsert(p.db, rows, 1),
      verify: (p, rows) => verifyTable(p.db, 'orders', rows),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'raw-multi',
      label: `raw loop: prepared upsert, ${MULTI_ROWS} rows/statement`,
      kind: 'raw',
      prepare: fresh,
      run: (p, rows) => rawUpsert(p.db, rows, MULTI_ROWS),
      verify: (p, rows) => verifyTable(p.db, 'orders', rows),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'sync',
      label: 'sluice sync(fromIterable → sqlite): rows → Batch → upsert',
      kind: 'library',
      prepare: fresh,
      async run(p, rows) {
        const report = await sync({
          source: fromIterable('orders', rows, { primaryKey: ['id'], batchSize: CHECKPOINT_ROWS }),
          destination: sqlite({ path: p.db }),
        })
        if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
      },
      verify: (p, rows) => verifyTable(p.db, 'orders', rows),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'sink',
      label: 'sluice sqlite sink alone, pre-built batches',
      kind: 'library',
      prepare: (rows) => ({ ...fresh(), batches: chunks(rows, CHECKPOINT_ROWS).map((c) => batchFromRows(c, { table: 'orders' })) }),
      async run(p) {
        const sink = sqlite({ path: p.db })
        await sink.open({ connectorId: 'bench', syncId: 'bench', tables: [{ table: 'orders', primaryKey: ['id'] }] })
        let done = 0
        for (const batch of p.batches!) {
          await sink.write({ message: { kind: 'records', table: 'orders', op: 'upsert', batch } })
          done += batch.length
          await sink.checkpoint({ state: { rows: done } })
        }
        await sink.close({ status: 'succeeded', report: benchReport(done) })
      },
      verify: (p, rows) => verifyTable(p.db, 'orders', rows),
      cleanup,
    }),
  ],
}

function benchReport(rows: number): SyncReport {
  const now = new Date().toISOString()
  return {
    status: 'succeeded', connectorId: 'bench', syncId: 'bench', startedAt: now, endedAt: now, durationMs: 0,
    rows, checkpoints: 0, schemaChanges: 0, tables: { orders: { upserts: rows, updates: 0, deletes: 0, truncates: 0 } },
  }
}

export default scenario
