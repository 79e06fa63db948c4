/**
 * Change data capture scenarios, each case on a private PostgreSQL cluster of its own
 * (`wal_level = logical`, test/support/private-postgres.ts; started and filled untimed in
 * `prepare`, stopped in `cleanup`):
 *
 * - `cdc` — N row changes (60% inserts, 30% updates, 10% soft deletes, in transactions of 100,
 *   written after the slot exists so they are all in its WAL) streamed into SQLite. The limit is
 *   `cdc-raw-loop.ts`: pg + pg-copy-streams `both()`, a hand-written pgoutput decode of the bench
 *   table, prepared upserts, one SQLite transaction and one acknowledgement per source transaction.
 *   The library is `sync(postgresSource({ replication: 'logical' }) → sqlite)`, bounded, resumed
 *   from a first sync that created the slot and copied the (then empty) table.
 * - `cdc-snapshot` — the initial copy of an N-row table: `postgresSource`'s keyset read (the
 *   baseline) against the CDC source's snapshot (slot created, table copied from its exported
 *   snapshot in keyset pages, then the stream read up to the server position: nothing).
 *
 * Replication lag at the end (pg_current_wal_lsn() − confirmed_flush_lsn of the slot) is printed
 * after each run. `BENCH_ROWS` sets N (1M by default; `BENCH_ROWS=100000` for a quick run).
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import pg from 'pg'
import { sqlite, sync } from '../../src/index.js'
import { postgresSource } from '../../src/postgres.js'
import { startPrivatePostgres, type PrivatePostgres } from '../../test/support/private-postgres.js'
import { defineCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'
import { lsnToBig, rawReplicationLoop } from './cdc-raw-loop.js'

const BATCH = 10_000
const TX_CHANGES = 100
const DDL = 'CREATE TABLE changes (id integer PRIMARY KEY, updated_at timestamptz, email text, name text, amount double precision, active boolean, tags text)'
/** One generated row for id `g` (SQL expression list). */
const ROW = `g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', 'user' || g || '@example.com', 'name ' || g, g * 1.25, g % 2 = 0, 'tag' || (g % 10)`

interface Prepared {
  pg: PrivatePostgres
  dir: { path: string; remove(): void }
  db: string
  slot: string
  /** The SQLite table and its deleted-flag column. */
  deleted: string
}

async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(sql, params)).rows as T[]
  } finally {
    await client.end()
  }
}

/**
 * `changes` row changes in transactions of 100: transaction i inserts ids 60i+1…60i+60, updates
 * 30 rows and deletes 10 of the previous transaction's (of its own, for the first). Server-side, one
 * COMMIT per transaction, so the WAL holds ⌈changes/100⌉ transactions.
 */
async function writeChanges(url: string, changes: number): Promise<void> {
  const transactions = Math.ceil(changes / TX_CHANGES)
  await query(url, `DO $$
    DECLARE base int; prev int;
    BEGIN
      FOR i IN 0..${transactions - 1} LOOP
        base := i * 60;
        prev := base - 60;
        INSERT INTO changes SELECT ${ROW} FROM generate_series(base + 1, base + 60) g;
        IF i = 0 THEN
          UPDATE changes SET name = 'updated ' || id, amount = amount + 1 WHERE id BETWEEN 21 AND 50;
          DELETE FROM changes WHERE id BETWEEN 51 AND 60;
        ELSE
          UPDATE changes SET name = 'updated ' || id, amount = amount + 1, updated_at = updated_at + interval '1 day' WHERE id BETWEEN prev + 11 AND prev + 40;
          DELETE FROM changes WHERE id BETWEEN prev + 1 AND prev + 10;
        END IF;
        COMMIT;
      END LOOP;
    END $$`)
  await query(url, 'VACUUM ANALYZE changes') // untimed, so autovacuum doesn't compete with the timed read
}

async function startCluster(): Promise<Pick<Prepared, 'pg' | 'dir' | 'db'>> {
  const cluster = await startPrivatePostgres({ max_wal_size: '4GB', shared_buffers: '256MB' })
  await query(cluster.url, DDL)
  const dir = tempDir('cdc')
  return { pg: cluster, dir, db: join(dir.path, 'warehouse.db') }
}

const librarySource = (url: string, replication: boolean) =>
  postgresSource({ id: 'bench', connection: url, tables: ['changes'], batchSize: BATCH, ...(replication ? { replication: 'logical' as const } : {}) })

async function librarySync(p: Prepared, replication = true): Promise<void> {
  const report = await sync({ connectorId: 'bench', source: librarySource(p.pg.url, replication), destination: sqlite({ path: p.db }) })
  if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.code} ${report.error?.message}`)
}

/** Untimed: SQLite's live rows are the source's rows (count, and every 97th id's values); deleted ids are gone from the source. */
async function verify(p: Prepared, table: string, label: string): Promise<void> {
  // First: reading the table prunes pages the updates and deletes left, which writes WAL.
  if (p.slot) {
    const [lag] = await query<{ lag: string; retained: string }>(p.pg.url, `SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::text AS lag, (pg_current_wal_lsn() - restart_lsn)::text AS retained FROM pg_replication_slots WHERE slot_name = $1`, [p.slot])
    process.stderr.write(`  ${label}: replication lag at the end ${lag?.lag ?? '?'} bytes (slot ${p.slot} retains ${lag?.retained ?? '?'} bytes of WAL)\n`)
  }
  const live = await query<{ id: number; email: string; name: string; amount: number }>(p.pg.url, 'SELECT id, email, name, amount FROM changes ORDER BY id')
  const db = new Database(p.db, { readonly: true })
  try {
    const rows = db.prepare(`SELECT id, email, name, amount, ${p.deleted} AS deleted FROM "${table}"`).all() as { id: number; email: string; name: string; amount: number; deleted: number | null }[]
    const alive = new Map(rows.filter((r) => !r.deleted).map((r) => [Number(r.id), r]))
    if (alive.size !== live.length) throw new Error(`${label}: SQLite has ${alive.size} live rows, the source ${live.length}`)
    for (let i = 0; i < live.length; i += 97) {
      const want = live[i]!
      const got = alive.get(want.id)
      if (!got || got.email !== want.email || got.name !== want.name || Number(got.amount) !== want.amount) {
        throw new Error(`${label}: row ${want.id} is ${JSON.stringify(got)}, the source has ${JSON.stringify(want)}`)
      }
    }
  } finally {
    db.close()
  }
}

const cleanup = async (p: Prepared) => {
  await p.pg.stop()
  p.dir.remove()
}

export const cdc: Scenario<number> = {
  name: 'cdc',
  title: 'Postgres logical replication (pgoutput) → SQLite, N row changes (60% inserts, 30% updates, 10% deletes)',
  baseline: 'raw',
  generate: (rows) => rows,
  settings: () =>
    `7 columns (int id, timestamptz, email, name, double, boolean, text) · ${TX_CHANGES} changes per source transaction · private PostgreSQL 15 (wal_level=logical, fsync=off) over TCP 127.0.0.1, same 2 cores · SQLite WAL, synchronous=NORMAL`,
  cases: [
    defineCase<number, Prepared>({
      name: 'raw',
      label: 'raw loop: pg copy-both + hand-written pgoutput decode → prepared upserts, ack per transaction',
      kind: 'raw',
      async prepare(changes) {
        const c = await startCluster()
        await query(c.pg.url, 'CREATE PUBLICATION bench_raw FOR TABLE changes')
        await query(c.pg.url, `SELECT pg_create_logical_replication_slot('bench_raw', 'pgoutput')`)
        await writeChanges(c.pg.url, changes)
        return { ...c, slot: 'bench_raw', deleted: '_deleted' }
      },
      async run(p, changes) {
        const [{ lsn }] = (await query<{ lsn: string }>(p.pg.url, 'SELECT pg_current_wal_lsn()::text AS lsn')) as [{ lsn: string }]
        const db = new Database(p.db)
        db.pragma('journal_mode = WAL')
        db.pragma('synchronous = NORMAL')
        const applied = await rawReplicationLoop(p.pg.url, 'bench_raw', 'bench_raw', db, lsnToBig(lsn))
        db.close()
        if (applied !== Math.ceil(changes / TX_CHANGES) * TX_CHANGES) throw new Error(`raw loop applied ${applied} changes`)
      },
      verify: (p) => verify(p, 'changes', 'cdc:raw'),
      cleanup,
    }),
    defineCase<number, Prepared>({
      name: 'library',
      label: "sluice sync(postgresSource({ replication: 'logical' }) → sqlite), bounded",
      kind: 'library',
      async prepare(changes) {
        const c = await startCluster()
        const p: Prepared = { ...c, slot: 'sluice_bench', deleted: '_sluice_deleted' }
        await librarySync(p) // creates the slot and the publication, copies the empty table: now streaming
        await writeChanges(c.pg.url, changes)
        return p
      },
      run: (p) => librarySync(p),
      verify: (p) => verify(p, 'changes', 'cdc:library'),
      cleanup,
    }),
  ],
}

/** The N-row table of `cdc-snapshot`, written untimed. */
async function snapshotTable(rows: number): Promise<Pick<Prepared, 'pg' | 'dir' | 'db'>> {
  const c = await startCluster()
  await query(c.pg.url, `INSERT INTO changes SELECT ${ROW} FROM generate_series(1, ${rows}) g`)
  // Now, untimed: else autovacuum runs in the timed part, and creating a slot waits for its transaction.
  await query(c.pg.url, 'VACUUM ANALYZE changes')
  return c
}

export const snapshot: Scenario<number> = {
  name: 'cdc-snapshot',
  title: "Postgres table → SQLite: the CDC source's initial snapshot against the keyset read",
  baseline: 'keyset',
  generate: (rows) => rows,
  settings: () => `7 columns · pages of ${BATCH.toLocaleString('en-US')} rows, a checkpoint each · private PostgreSQL 15 (fsync=off) over TCP 127.0.0.1, same 2 cores`,
  cases: [
    defineCase<number, Prepared>({
      name: 'keyset',
      label: 'sluice sync(postgresSource → sqlite): keyset pages',
      kind: 'library',
      prepare: async (rows) => ({ ...(await snapshotTable(rows)), slot: '', deleted: '_sluice_deleted' }),
      run: (p) => librarySync(p, false),
      verify: (p) => verify(p, 'changes', 'cdc-snapshot:keyset'),
      cleanup,
    }),
    defineCase<number, Prepared>({
      name: 'cdc',
      label: "sluice sync(postgresSource({ replication: 'logical' }) → sqlite): slot snapshot",
      kind: 'library',
      prepare: async (rows) => ({ ...(await snapshotTable(rows)), slot: 'sluice_bench', deleted: '_sluice_deleted' }),
      run: (p) => librarySync(p),
      verify: (p) => verify(p, 'changes', 'cdc-snapshot:cdc'),
      cleanup,
    }),
  ],
}

export default cdc
