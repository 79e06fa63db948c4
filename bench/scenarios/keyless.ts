/**
 * fromIterable → SQLite with and without a primary key, at N and 10·N rows.
 *
 * A table without a key is keyed by `_sluice_id`, the SHA-256 hex of the stable-stringified row:
 * every row must be looked up by a random 64-character key, where a keyed table's ids arrive in
 * order. The limit is LIMITS.md 3b's hand-written keyed upsert; `raw-keyless` is the same loop
 * keyed by a row hash in a `TEXT PRIMARY KEY` (what a user would write by hand). The rows are
 * generated while the sync reads them (never all in memory), so peak RSS is the sink's own.
 *
 * `npm run bench -- keyless` prints the usual table at `BENCH_ROWS`. The question the scenario
 * exists for — does a keyless table slow down as it grows? — needs two sizes: run it directly,
 *   node --expose-gc --import tsx bench/scenarios/keyless.ts [rows]   (default 1_000_000; or BENCH_ROWS)
 * to run keyed and keyless at N and 10·N (each in its own child process, `BENCH_REPEAT` times) and
 * print rows/s, peak RSS, keyless/keyed at each size and 10·N/N for each.
 */
import Database from 'better-sqlite3'
import { hash } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import stableStringify from 'fast-json-stable-stringify'
import { batchFromRows, fromIterable, sqlite, sync } from '../../src/index.js'
import { rowHashes } from '../../src/core/row-hash.js'
import { formatRate, markdownTable, median } from '../harness/format-table.js'
import { orderPages, type Order } from '../harness/generate-orders.js'
import { runCase } from '../harness/run-case.js'
import { defineCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'

const CHECKPOINT_ROWS = 10_000
const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const

interface Data {
  readonly rows: number
}

interface Prepared {
  readonly dir: { path: string; remove(): void }
  readonly db: string
}

/** The orders one at a time, generated as they are read. */
function* orders(n: number): Generator<Order> {
  for (const page of orderPages(n, CHECKPOINT_ROWS)) yield* page
}

/** The hand-written loop: a prepared upsert per row, one transaction per 10k rows; keyless rows keyed by their hash. */
function rawLoop(path: string, n: number, keyless: boolean): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  const key = keyless ? '"_sluice_id" TEXT PRIMARY KEY' : 'id INTEGER PRIMARY KEY'
  db.exec(`CREATE TABLE orders (${keyless ? 'id INTEGER' : key}, updated_at TEXT, email TEXT, name TEXT, amount REAL, active INTEGER, tags TEXT${keyless ? `, ${key}` : ''})`)
  const cols = keyless ? [...COLUMNS, '_sluice_id'] : [...COLUMNS]
  const sets = cols.filter((c) => c !== (keyless ? '_sluice_id' : 'id')).map((c) => `"${c}" = excluded."${c}"`).join(', ')
  const stmt = db.prepare(`INSERT INTO orders (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT DO UPDATE SET ${sets}`)
  const params: unknown[] = new Array(cols.length)
  let done = 0
  db.exec('BEGIN')
  for (const r of orders(n)) {
    params[0] = r.id
    params[1] = r.updated_at
    params[2] = r.email
    params[3] = r.name
    params[4] = r.amount
    params[5] = r.active ? 1 : 0 // better-sqlite3 does not bind booleans
    params[6] = r.tags
    if (keyless) params[7] = hash('sha256', stableStringify(r), 'hex')
    stmt.run(...params)
    if (++done % CHECKPOINT_ROWS === 0) {
      db.exec('COMMIT')
      db.exec('BEGIN')
    }
  }
  db.exec('COMMIT')
  db.close()
}

/** Untimed: every row is there once, and a keyless row's `_sluice_id` is the documented row hash. */
function verify(path: string, n: number, keyless: boolean): void {
  const db = new Database(path, { readonly: true })
  try {
    const count = db.prepare('SELECT count(*) FROM "orders"').pluck().get() as number
    if (count !== n) throw new Error(`orders has ${count} rows, expected ${n}`)
    if (!keyless) return
    const byId = db.prepare('SELECT "_sluice_id" FROM "orders" WHERE "id" = ?').pluck()
    let k = 0
    for (const row of orders(Math.min(n, 1000))) {
      if (k++ % 97 !== 0) continue
      const want = rowHashes(batchFromRows([row]))[0]
      const got = byId.get(row.id)
      if (got !== want) throw new Error(`row ${row.id}: _sluice_id ${String(got)}, expected the row hash ${want}`)
    }
  } finally {
    db.close()
  }
}

const fresh = (): Prepared => {
  const dir = tempDir('keyless')
  return { dir, db: join(dir.path, 'warehouse.db') }
}
const cleanup = (p: Prepared) => p.dir.remove()

function syncCase(keyless: boolean) {
  return defineCase<Data, Prepared>({
    name: keyless ? 'keyless' : 'keyed',
    label: `sluice sync(fromIterable → sqlite), ${keyless ? 'no key: keyed by _sluice_id (row hash)' : 'primaryKey id'}`,
    kind: 'library',
    prepare: fresh,
    async run(p, data) {
      const report = await sync({
        source: fromIterable('orders', orders(data.rows), { batchSize: CHECKPOINT_ROWS, ...(keyless ? {} : { primaryKey: ['id'] }) }),
        destination: sqlite({ path: p.db }),
      })
      if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
    },
    verify: (p, data) => verify(p.db, data.rows, keyless),
    cleanup,
  })
}

function rawCase(keyless: boolean) {
  return defineCase<Data, Prepared>({
    name: keyless ? 'raw-keyless' : 'raw',
    label: `raw loop: prepared upsert per row, ${keyless ? 'keyed by a row hash (TEXT PRIMARY KEY)' : 'INTEGER PRIMARY KEY id'}`,
    kind: 'raw',
    prepare: fresh,
    run: (p, data) => rawLoop(p.db, data.rows, keyless),
    verify: (p, data) => verify(p.db, data.rows, keyless),
    cleanup,
  })
}

const scenario: Scenario<Data> = {
  name: 'keyless',
  title: 'fromIterable → SQLite, keyed by id vs keyless (keyed by _sluice_id), rows generated as read',
  baseline: 'raw',
  generate: (rows) => ({ rows }),
  settings: () =>
    `7 columns (int id, ISO timestamp, email, name, double, boolean, JSON text) · checkpoint = 1 transaction per ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows · WAL, synchronous=NORMAL · fresh db file per run · for N vs 10·N run the file directly (see its header)`,
  cases: [rawCase(false), rawCase(true), syncCase(false), syncCase(true)],
}

export default scenario

/** N and 10·N, keyed and keyless, each run in its own child; one table with the two ratios the issue asks for. */
async function main(): Promise<void> {
  const arg = process.argv[2] ?? process.env.BENCH_ROWS ?? '1000000'
  const small = Number(arg.replaceAll('_', ''))
  if (!Number.isInteger(small) || small < CHECKPOINT_ROWS) throw new Error(`rows must be an integer ≥ ${CHECKPOINT_ROWS}, got ${JSON.stringify(arg)}`)
  const repeat = Number(process.env.BENCH_REPEAT ?? 1)
  const sizes = [small, small * 10]
  const loadStart = loadavg().map((x) => x.toFixed(1)).join(' ')
  const results = new Map<string, { wall: number[]; cpu: number[]; rss: number[] }>()
  for (let r = 0; r < repeat; r++) {
    for (const rows of sizes) {
      for (const name of r % 2 === 0 ? ['keyed', 'keyless'] : ['keyless', 'keyed']) {
        const result = await runCase('keyless', name, rows)
        if (!result.ok) throw new Error(`${name} at ${rows} rows failed: ${result.error}`)
        const cell = results.get(`${name}:${rows}`) ?? { wall: [], cpu: [], rss: [] }
        cell.wall.push(rows / (result.ms / 1000))
        cell.cpu.push(rows / (result.cpuMs / 1000))
        cell.rss.push(result.peakRssMb)
        results.set(`${name}:${rows}`, cell)
        process.stderr.write(`  keyless:${name} ${rows.toLocaleString('en-US')} rows: ${formatRate(rows / (result.ms / 1000))} rows/s (cpu ${formatRate(rows / (result.cpuMs / 1000))}), peak RSS ${result.peakRssMb.toFixed(0)} MB\n`)
      }
    }
  }
  const at = (name: string, rows: number) => results.get(`${name}:${rows}`)!
  const m = (xs: number[]) => median(xs)
  const table = sizes.flatMap((rows) =>
    ['keyed', 'keyless'].map((name) => {
      const c = at(name, rows)
      const keyed = at('keyed', rows)
      const base = at(name, small)
      return [
        `${name} at ${rows.toLocaleString('en-US')} rows`,
        formatRate(m(c.wall)),
        formatRate(m(c.cpu)),
        m(c.rss).toFixed(0),
        name === 'keyless' ? `${(m(c.wall) / m(keyed.wall)).toFixed(2)}× (cpu ${(m(c.cpu) / m(keyed.cpu)).toFixed(2)}×)` : '',
        rows === small ? '' : `${(m(c.wall) / m(base.wall)).toFixed(2)}× (cpu ${(m(c.cpu) / m(base.cpu)).toFixed(2)}×)`,
      ]
    }),
  )
  const header = ['', 'rows/s', 'rows/CPU-s', 'peak RSS MB', 'keyless / keyed', `${sizes[1]!.toLocaleString('en-US')} / ${small.toLocaleString('en-US')}`]
  const settings = [
    `median of ${repeat} run(s) each (BENCH_REPEAT), each in its own child process`,
    scenario.settings(small),
    `load average ${loadStart} at start, ${loadavg().map((x) => x.toFixed(1)).join(' ')} at end`,
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'})`,
    new Date().toISOString().slice(0, 10),
  ].join(' · ')
  process.stdout.write(`\n### keyless — keyed vs keyless sync at N and 10·N\n\n${markdownTable(header, table)}\n\n${settings}\n\n`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
