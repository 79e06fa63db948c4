/**
 * memory → schemaDrift / hashColumns → SQLite upsert, 7 mixed columns, one checkpoint per 10k rows.
 *
 * What the two stages cost on top of a plain sync: drift detection on batches whose schema does
 * not change (target: < 5 %), and HMAC-SHA256 of one column (`email`, target: < 10 %). Beside
 * them, the hand-written limit (prepared upsert loop) and the same loop hashing `email` with
 * `createHmac` per row, as a user would write it.
 */
import Database from 'better-sqlite3'
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import { Batch, fromIterable, sqlite, sync, type Stage } from '../../src/index.js'
import { hashColumns } from '../../src/stage/hash-columns.js'
import { schemaDrift } from '../../src/schema-drift/schema-drift.js'
import { generateOrders, ORDER_COLUMNS, type Order } from '../harness/generate-orders.js'
import { defineCase, type BenchCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'

const CHECKPOINT_ROWS = 10_000
const SALT = 'bench-salt-not-a-real-secret'
const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const

const hmac = (text: string) => createHmac('sha256', SALT).update(text).digest('hex')

/** The hand-written loop against better-sqlite3; `hashEmail` hashes the email column per row. */
function rawUpsert(path: string, rows: readonly Order[], hashEmail: boolean): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TEXT, email TEXT, name TEXT, amount REAL, active INTEGER, tags TEXT)')
  const sets = COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')
  const stmt = db.prepare(`INSERT INTO orders (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT(id) DO UPDATE SET ${sets}`)
  const writeChunk = db.transaction((start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const r = rows[i]!
      stmt.run(r.id, r.updated_at, hashEmail ? hmac(r.email) : r.email, r.name, r.amount, r.active ? 1 : 0, r.tags)
    }
  })
  for (let start = 0; start < rows.length; start += CHECKPOINT_ROWS) writeChunk(start, Math.min(start + CHECKPOINT_ROWS, rows.length))
  db.close()
}

/** Untimed: every row is there, and sampled rows hold the input values (the email hashed where asked). */
function verify(path: string, rows: readonly Order[], email: EmailKind | boolean): void {
  const db = new Database(path, { readonly: true })
  try {
    const count = (db.prepare('SELECT count(*) AS n FROM "orders"').get() as { n: number }).n
    if (count !== rows.length) throw new Error(`orders has ${count} rows, expected ${rows.length}`)
    const get = db.prepare(`SELECT ${COLUMNS.join(', ')} FROM "orders" WHERE id = ?`)
    for (let i = 0; i < rows.length; i += Math.max(1, Math.floor(rows.length / 997))) {
      const want: Record<string, unknown> = { ...rows[i]!, active: rows[i]!.active ? 1 : 0 }
      if (email === true || email === 'hashed') want.email = hmac(rows[i]!.email)
      else if (email === 'pool') want.email = DIGEST_POOL[(i % CHECKPOINT_ROWS) % DIGEST_POOL.length]
      const got = get.get(rows[i]!.id) as Record<string, unknown>
      for (const c of COLUMNS) if (got[c] !== want[c]) throw new Error(`row id ${rows[i]!.id} column ${c}: got ${String(got[c])}, expected ${String(want[c])}`)
    }
  } finally {
    db.close()
  }
}

interface Prepared {
  dir: { path: string; remove(): void }
  db: string
}

const fresh = (): Prepared => {
  const dir = tempDir('drift-hash')
  return { dir, db: join(dir.path, 'warehouse.db') }
}
const cleanup = (p: Prepared) => p.dir.remove()

/**
 * A stage that replaces every e-mail with one of 4,096 precomputed 64-digit digests: the sink
 * then writes the same bytes as after `hashColumns`, at the cost of one array per batch. What a
 * hash stage can at best cost is what this case costs.
 */
function swapInDigests(): Stage {
  return async function* (messages) {
    for await (const m of messages) {
      if (m.kind !== 'records') {
        yield m
        continue
      }
      const columns = m.batch.columns.map((c) =>
        c.name === 'email' ? { ...c, values: Array.from({ length: m.batch.length }, (_, i) => DIGEST_POOL[i % DIGEST_POOL.length]!) } : c,
      )
      yield { ...m, batch: new Batch(columns, m.batch.length) }
    }
  }
}

const DIGEST_POOL = Array.from({ length: 4096 }, (_, i) => hmac(`pool-${i}`))

/** What the e-mail column holds after the case: the input, its HMAC, or the pool digest of its batch row. */
type EmailKind = 'input' | 'hashed' | 'pool'

function libraryCase(name: string, label: string, stages: () => Stage[], email: EmailKind | boolean): BenchCase<Order[], Prepared> {
  const kind: EmailKind = email === true ? 'hashed' : email === false ? 'input' : email
  return defineCase<Order[], Prepared>({
    name,
    label,
    kind: 'library',
    prepare: fresh,
    async run(p, rows) {
      const report = await sync({
        source: fromIterable('orders', rows, { primaryKey: ['id'], batchSize: CHECKPOINT_ROWS }),
        stages: stages(),
        destination: sqlite({ path: p.db }),
      })
      if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
    },
    verify: (p, rows) => verify(p.db, rows, kind),
    cleanup,
  })
}

const scenario: Scenario<Order[]> = {
  name: 'drift-hash',
  title: 'memory → schemaDrift / hashColumns → SQLite upsert, 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => generateOrders(rows),
  settings: () =>
    `${ORDER_COLUMNS} columns · checkpoint = 1 transaction per ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows · WAL, synchronous=NORMAL · schemaDrift() with no schema change · hashColumns on orders.email (HMAC-SHA256 hex, worker thread for batches ≥ 2,048 rows)`,
  cases: [
    defineCase<Order[], Prepared>({
      name: 'raw',
      label: 'raw loop: prepared upsert, 1 row/statement',
      kind: 'raw',
      prepare: fresh,
      run: (p, rows) => rawUpsert(p.db, rows, false),
      verify: (p, rows) => verify(p.db, rows, false),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'raw-hmac',
      label: 'raw loop + createHmac(email) per row',
      kind: 'raw',
      prepare: fresh,
      run: (p, rows) => rawUpsert(p.db, rows, true),
      verify: (p, rows) => verify(p.db, rows, true),
      cleanup,
    }),
    libraryCase('sync', 'sluice sync, no stages', () => [], false),
    libraryCase('digests', 'sluice sync + a stage swapping in 64-digit strings (the sink\'s cost of digests, no hashing)', () => [swapInDigests()], 'pool'),
    libraryCase('drift', 'sluice sync + schemaDrift()', () => [schemaDrift()], false),
    libraryCase('hash', 'sluice sync + hashColumns(orders.email)', () => [hashColumns({ columns: ['orders.email'], salt: SALT })], true),
    libraryCase('drift-hash', 'sluice sync + hashColumns + schemaDrift', () => [hashColumns({ columns: ['orders.email'], salt: SALT }), schemaDrift()], true),
    libraryCase('hash-inline', 'sluice sync + hashColumns, no worker thread', () => [hashColumns({ columns: ['orders.email'], salt: SALT, workerMinRows: Infinity })], true),
  ],
}

export default scenario
