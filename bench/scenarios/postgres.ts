/**
 * Postgres scenarios (need the local server; `SLUICE_PG_URL` overrides the URL):
 *
 * - `postgres-upsert` — memory → Postgres upsert into an empty table, one transaction
 *   (checkpoint) per 10k rows. The limit is LIMITS.md 6 as a user would write it with pg and
 *   pg-copy-streams: COPY text into a temp staging table, one `INSERT … SELECT … ON CONFLICT DO
 *   UPDATE`, TRUNCATE, COMMIT. The library adds type inference into columnar batches, the
 *   system columns, the state row in the same transaction, and a generic COPY encoder.
 * - `postgres-source` — a Postgres table → SQLite. The limit is a hand-written server-side
 *   cursor loop (`DECLARE … FETCH 10000`, pg's default row objects) inserting each page into
 *   SQLite in one transaction; the library is `sync(postgresSource → sqlite)`.
 * - `postgres-read` — the same table read alone: the raw cursor loop against `postgresSource`
 *   (keyset cursor, text decoding into columnar batches, a checkpoint per page).
 *
 * The source table (`sluice_bench.orders_<rows>`) is created once per row count and kept for later runs.
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { batchFromRows, fromIterable, sqlite, sync, type Batch, type SyncReport } from '../../src/index.js'
import { postgres, postgresSource } from '../../src/postgres.js'
import { chunks, generateOrders, ORDER_COLUMNS, type Order } from '../harness/generate-orders.js'
import { defineCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'

const URL = process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const CHECKPOINT_ROWS = 10_000
const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const
const DDL = '(id integer PRIMARY KEY, updated_at timestamptz, email text, name text, amount double precision, active boolean, tags text)'

const escape = (s: string) => (/[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : s)

/** COPY text of plain order objects, as a user would write it. */
function copyText(rows: readonly Order[], start: number, end: number): string {
  let out = ''
  for (let i = start; i < end; i++) {
    const r = rows[i]!
    out += `${r.id}\t${r.updated_at}\t${escape(r.email)}\t${escape(r.name)}\t${r.amount}\t${r.active ? 't' : 'f'}\t${escape(r.tags)}\n`
  }
  return out
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: URL })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** The hand-written limit: COPY into staging + one merge per 10k rows, each chunk one transaction. */
async function rawUpsert(schema: string, rows: readonly Order[]): Promise<void> {
  await withClient(async (client) => {
    await client.query(`CREATE TABLE "${schema}".orders ${DDL}`)
    await client.query(`CREATE TEMP TABLE stage ${DDL.replace(' PRIMARY KEY', '')}`)
    const sets = COLUMNS.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(', ')
    for (let start = 0; start < rows.length; start += CHECKPOINT_ROWS) {
      const end = Math.min(start + CHECKPOINT_ROWS, rows.length)
      await client.query('BEGIN')
      await pipeline(Readable.from([copyText(rows, start, end)]), client.query(copyFrom('COPY stage FROM STDIN')))
      await client.query(`INSERT INTO "${schema}".orders SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET ${sets}; TRUNCATE stage; COMMIT`)
    }
  })
}

/** Untimed: the table holds every row, and sampled rows hold exactly the input values. */
async function verifyPg(schema: string, rows: readonly Order[]): Promise<void> {
  await withClient(async (client) => {
    const count = (await client.query(`SELECT count(*)::int AS n FROM "${schema}".orders`)).rows[0].n as number
    if (count !== rows.length) throw new Error(`orders has ${count} rows, expected ${rows.length}`)
    const step = Math.max(1, Math.floor(rows.length / 997))
    const ids = rows.filter((_, i) => i % step === 0).map((r) => r.id)
    const got = await client.query(
      `SELECT id, to_json(updated_at AT TIME ZONE 'UTC') #>> '{}' AS updated_at, email, name, amount, active, tags FROM "${schema}".orders WHERE id = ANY($1)`,
      [ids],
    )
    const byId = new Map(got.rows.map((r) => [r.id as number, r]))
    for (const id of ids) {
      const want = rows[id - 1]!
      const have = byId.get(id)
      const at = have?.updated_at as string | undefined
      const same = have && at !== undefined && Date.parse(`${at}Z`) === Date.parse(want.updated_at) &&
        COLUMNS.filter((c) => c !== 'updated_at').every((c) => have[c] === want[c])
      if (!same) throw new Error(`orders row ${id}: got ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`)
    }
  })
}

interface Fresh {
  schema: string
  batches?: Batch[]
}

let made = 0
async function freshSchema(): Promise<Fresh> {
  const schema = `sluice_bench_${process.pid}_${made++}`
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}"`))
  return { schema }
}
const dropSchema = (p: Fresh) => withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${p.schema}" CASCADE`)).then(() => undefined)

export const upsert: Scenario<Order[]> = {
  name: 'postgres-upsert',
  title: 'memory → Postgres upsert, empty table, 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => generateOrders(rows),
  settings: () =>
    `${ORDER_COLUMNS} columns (int id, timestamptz, email, name, double, boolean, text) · 1 transaction per ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows · PostgreSQL over TCP 127.0.0.1, default config, same 2 cores · fresh schema per run`,
  cases: [
    defineCase<Order[], Fresh>({
      name: 'raw',
      label: 'raw loop: COPY into temp staging + INSERT…SELECT ON CONFLICT',
      kind: 'raw',
      prepare: freshSchema,
      run: (p, rows) => rawUpsert(p.schema, rows),
      verify: (p, rows) => verifyPg(p.schema, rows),
      cleanup: dropSchema,
    }),
    defineCase<Order[], Fresh>({
      name: 'sync',
      label: 'sluice sync(fromIterable → postgres): rows → Batch → COPY + merge',
      kind: 'library',
      prepare: freshSchema,
      async run(p, rows) {
        const report = await sync({
          source: fromIterable('orders', rows, { primaryKey: ['id'], batchSize: CHECKPOINT_ROWS }),
          destination: postgres({ connection: URL, schema: p.schema }),
        })
        if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
      },
      verify: (p, rows) => verifyPg(p.schema, rows),
      cleanup: dropSchema,
    }),
    defineCase<Order[], Fresh>({
      name: 'sink',
      label: 'sluice postgres sink alone, pre-built batches',
      kind: 'library',
      prepare: async (rows) => ({ ...(await freshSchema()), batches: chunks(rows, CHECKPOINT_ROWS).map((c) => batchFromRows(c, { table: 'orders' })) }),
      async run(p) {
        const sink = postgres({ connection: URL, schema: p.schema })
        await sink.open({ connectorId: 'bench', syncId: 'bench', tables: [{ table: 'orders', primaryKey: ['id'] }] })
        let done = 0
        for (const batch of p.batches!) {
          await sink.write({ message: { kind: 'records', table: 'orders', op: 'upsert', batch } })
          done += batch.length
          await sink.checkpoint({ state: { rows: done } })
        }
        await sink.close({ status: 'succeeded', report: benchReport(done) })
      },
      verify: (p, rows) => verifyPg(p.schema, rows),
      cleanup: dropSchema,
    }),
  ],
}

/** The source table, created once per row count (untimed) and reused by later runs. */
async function sourceTable(rows: readonly Order[]): Promise<string> {
  const table = `orders_${rows.length}`
  await withClient(async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS sluice_bench`)
    const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`sluice_bench.${table}`])
    if (exists.rows[0].ok) return
    await client.query('BEGIN')
    await client.query(`CREATE TABLE sluice_bench.${table} ${DDL}`)
    for (let start = 0; start < rows.length; start += 100_000) {
      await pipeline(Readable.from([copyText(rows, start, Math.min(start + 100_000, rows.length))]), client.query(copyFrom(`COPY sluice_bench.${table} FROM STDIN`)))
    }
    await client.query(`COMMIT; ANALYZE sluice_bench.${table}`)
  })
  return table
}

interface SourcePrepared {
  table: string
  dir: { path: string; remove(): void }
  db: string
}

const prepareSource = async (rows: Order[]): Promise<SourcePrepared> => {
  const dir = tempDir('pgsrc')
  return { table: await sourceTable(rows), dir, db: join(dir.path, 'warehouse.db') }
}

/** The hand-written cursor loop: DECLARE + FETCH 10k, pg's default parsing, each page handed to `page`. */
async function rawCursor(table: string, page: (rows: Record<string, unknown>[]) => void): Promise<number> {
  return withClient(async (client) => {
    let n = 0
    await client.query('BEGIN READ ONLY')
    await client.query(`DECLARE c NO SCROLL CURSOR FOR SELECT ${COLUMNS.join(', ')} FROM sluice_bench.${table} ORDER BY id`)
    for (;;) {
      const r = await client.query(`FETCH ${CHECKPOINT_ROWS} FROM c`)
      if (r.rows.length === 0) break
      page(r.rows)
      n += r.rows.length
    }
    await client.query('COMMIT')
    return n
  })
}

function verifySqlite(path: string, table: string, rows: readonly Order[]): void {
  const db = new Database(path, { readonly: true })
  try {
    const count = (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n
    if (count !== rows.length) throw new Error(`sqlite ${table} has ${count} rows, expected ${rows.length}`)
    const get = db.prepare(`SELECT email, amount FROM "${table}" WHERE id = ?`)
    for (let i = 0; i < rows.length; i += Math.max(1, Math.floor(rows.length / 997))) {
      const got = get.get(rows[i]!.id) as { email: string; amount: number }
      if (got.email !== rows[i]!.email || got.amount !== rows[i]!.amount) throw new Error(`sqlite row ${rows[i]!.id} differs: ${JSON.stringify(got)}`)
    }
  } finally {
    db.close()
  }
}

export const source: Scenario<Order[]> = {
  name: 'postgres-source',
  title: 'Postgres table → SQLite, 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => generateOrders(rows),
  settings: () =>
    `${ORDER_COLUMNS} columns · pages of ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows, 1 SQLite transaction (checkpoint) each · WAL, synchronous=NORMAL · PostgreSQL over TCP 127.0.0.1, same 2 cores`,
  cases: [
    defineCase<Order[], SourcePrepared>({
      name: 'raw',
      label: 'raw loop: pg cursor FETCH 10k → prepared INSERT per row',
      kind: 'raw',
      prepare: prepareSource,
      async run(p) {
        const db = new Database(p.db)
        db.pragma('journal_mode = WAL')
        db.pragma('synchronous = NORMAL')
        db.exec(`CREATE TABLE "${p.table}" (id INTEGER PRIMARY KEY, updated_at TEXT, email TEXT, name TEXT, amount REAL, active INTEGER, tags TEXT)`)
        const insert = db.prepare(`INSERT INTO "${p.table}" VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, email = excluded.email, name = excluded.name, amount = excluded.amount, active = excluded.active, tags = excluded.tags`)
        const write = db.transaction((rows: Record<string, unknown>[]) => {
          for (const r of rows) insert.run(r.id, (r.updated_at as Date).toISOString(), r.email, r.name, r.amount, r.active ? 1 : 0, r.tags)
        })
        await rawCursor(p.table, write)
        db.close()
      },
      verify: (p, rows) => verifySqlite(p.db, p.table, rows),
      cleanup: (p) => p.dir.remove(),
    }),
    defineCase<Order[], SourcePrepared>({
      name: 'sync',
      label: 'sluice sync(postgresSource → sqlite)',
      kind: 'library',
      prepare: prepareSource,
      async run(p) {
        const report = await sync({
          source: postgresSource({ connection: URL, schema: 'sluice_bench', tables: [p.table], batchSize: CHECKPOINT_ROWS }),
          destination: sqlite({ path: p.db }),
        })
        if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
      },
      verify: (p, rows) => verifySqlite(p.db, p.table, rows),
      cleanup: (p) => p.dir.remove(),
    }),
  ],
}

export const read: Scenario<Order[]> = {
  name: 'postgres-read',
  title: 'Postgres table read alone (no destination), 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => generateOrders(rows),
  settings: () => `${ORDER_COLUMNS} columns · pages of ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows · PostgreSQL over TCP 127.0.0.1, same 2 cores`,
  cases: [
    defineCase<Order[], SourcePrepared>({
      name: 'raw',
      label: 'raw loop: pg cursor FETCH 10k, default row objects',
      kind: 'raw',
      prepare: prepareSource,
      async run(p, rows) {
        let n = 0
        await rawCursor(p.table, (page) => (n += page.length))
        if (n !== rows.length) throw new Error(`read ${n} rows, expected ${rows.length}`)
      },
      cleanup: (p) => p.dir.remove(),
    }),
    defineCase<Order[], SourcePrepared>({
      name: 'source',
      label: 'sluice postgresSource: keyset cursor → columnar batches + checkpoints',
      kind: 'library',
      prepare: prepareSource,
      async run(p, rows) {
        const src = postgresSource({ connection: URL, schema: 'sluice_bench', tables: [p.table], batchSize: CHECKPOINT_ROWS })
        let n = 0
        for await (const m of src.read({ state: undefined, signal: new AbortController().signal, configuration: {}, recordError: () => {} })) {
          if (m.kind === 'records') n += m.batch.length
        }
        if (n !== rows.length) throw new Error(`read ${n} rows, expected ${rows.length}`)
      },
      cleanup: (p) => p.dir.remove(),
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

export default upsert
