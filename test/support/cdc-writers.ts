/**
 * The concurrent writers of the Postgres CDC SIGKILL proof (test/source/postgres/cdc-crash.test.ts):
 * the schema, its seed (long enough that the initial snapshot spans many pages), and a seeded
 * workload of short transactions — inserts (some with a large out-of-line TOASTed `doc`), updates
 * of `balance` alone (the WAL then omits the unchanged `doc`), updates of `doc`, deletes,
 * transactions over several tables, and now and then a TRUNCATE — run by a few connections at once
 * until stopped. Each writer owns the account ids ≡ its number (mod writers), so writers never
 * wait on each other's row locks; tables are locked in one order (accounts, events, notes).
 */
import pg from 'pg'
import { prng } from './crash-source.js'

/** The tables the proof syncs, and the SQL that reads each as comparable rows (ordered by key). */
export const CDC_TABLES = {
  accounts: 'SELECT id::text AS id, name, balance::text AS balance, status, version::text AS version, doc FROM accounts ORDER BY id',
  events: 'SELECT id::text AS id, account_id::text AS account_id, amount::text AS amount, kind FROM events ORDER BY id',
  notes: 'SELECT id::text AS id, body FROM notes ORDER BY id',
} as const

export type CdcTable = keyof typeof CDC_TABLES

/** Creates and seeds the tables: `accounts` rows (small docs), some events and notes. */
export async function seedCdcTables(url: string, accounts: number): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`
      CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(14,2) NOT NULL, status text, version bigint NOT NULL, doc text);
      ALTER TABLE accounts ALTER COLUMN doc SET STORAGE EXTERNAL; -- out of line, uncompressed, once the row passes ~2 kB
      CREATE TABLE events (id bigserial PRIMARY KEY, account_id bigint NOT NULL, amount numeric(14,2) NOT NULL, kind text NOT NULL);
      CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);
      INSERT INTO accounts SELECT i, 'account ' || i, (i % 1000) * 1.25, CASE WHEN i % 3 = 0 THEN NULL ELSE 'active' END, 1, 'doc ' || i FROM generate_series(1, ${accounts}) i;
      INSERT INTO events (account_id, amount, kind) SELECT i, i * 0.5, 'seed' FROM generate_series(1, ${Math.ceil(accounts / 4)}) i;
      INSERT INTO notes (body) SELECT 'note ' || i FROM generate_series(1, 200) i;
      ANALYZE;`)
  } finally {
    await client.end()
  }
}

/** What the writers did, for the log. */
export interface WriterCounts {
  transactions: number
  inserts: number
  balanceOnly: number
  docUpdates: number
  deletes: number
  multiTable: number
  truncates: number
}

/** Running writers: `stop()` lets each finish its transaction and resolves to the counts. */
export interface CdcWriters {
  stop(): Promise<WriterCounts>
}

/** A random text of about `chars` characters that doesn't compress (md5s): stored out of line. */
const bigDoc = (chars: number) => `(SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, ${Math.ceil(chars / 32)}) g)`

/**
 * Starts `writers` connections, each running random transactions (seeded by `seed` and its
 * number) with `pauseMs` between them, over the seeded `accounts` ids 1…`accounts`.
 */
export async function startCdcWriters(url: string, options: { seed: number; writers: number; accounts: number; pauseMs: number }): Promise<CdcWriters> {
  const counts: WriterCounts = { transactions: 0, inserts: 0, balanceOnly: 0, docUpdates: 0, deletes: 0, multiTable: 0, truncates: 0 }
  let stopping = false
  const loops: Promise<void>[] = []
  for (let w = 0; w < options.writers; w++) {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const rand = prng(options.seed * 31 + w)
    const live: number[] = []
    for (let id = 1; id <= options.accounts; id++) if (id % options.writers === w) live.push(id)
    let next = options.accounts + w + options.writers // this writer's new ids: ≡ w (mod writers)
    const pick = () => live[Math.floor(rand() * live.length)]!
    const transaction = async (sql: string, params: unknown[] = []) => {
      await client.query(`BEGIN; ${sql}; COMMIT`.replace(/\$\d/g, (m) => pgLiteral(params[Number(m.slice(1)) - 1])))
      counts.transactions++
    }
    loops.push(
      (async () => {
        try {
          while (!stopping) {
            const r = rand()
            if (r < 0.3) {
              const id = (next += options.writers)
              const doc = rand() < 0.25 ? bigDoc(2500 + Math.floor(rand() * 4000)) : `'doc ${id}'`
              await transaction(`INSERT INTO accounts VALUES ($1, $2, $3, 'new', 1, ${doc})`, [id, `account ${id}`, (rand() * 1e6).toFixed(2)])
              live.push(id)
              counts.inserts++
            } else if (r < 0.55 && live.length) {
              // Only the column beside the TOASTed doc: pgoutput sends doc as 'unchanged'.
              await transaction('UPDATE accounts SET balance = balance + $1, version = version + 1 WHERE id = $2', [(rand() * 100).toFixed(2), pick()])
              counts.balanceOnly++
            } else if (r < 0.65 && live.length) {
              await transaction(`UPDATE accounts SET doc = ${bigDoc(3000)}, name = $1, status = NULL, version = version + 1 WHERE id = $2`, [`renamed ${Math.floor(rand() * 1e6)}`, pick()])
              counts.docUpdates++
            } else if (r < 0.75 && live.length) {
              const at = Math.floor(rand() * live.length)
              const [id] = live.splice(at, 1)
              await transaction('DELETE FROM accounts WHERE id = $1', [id])
              counts.deletes++
            } else if (r < 0.97 && live.length) {
              // One transaction over three tables: the changes land together.
              const id = pick()
              const amount = (rand() * 500).toFixed(2)
              await transaction(
                `UPDATE accounts SET balance = balance - $1, version = version + 1 WHERE id = $2;
                 INSERT INTO events (account_id, amount, kind) VALUES ($2, $1, 'debit'), ($2, 0.01, 'fee');
                 DELETE FROM events WHERE id = (SELECT min(id) FROM events WHERE kind = 'seed' AND account_id % ${options.writers} = ${w});
                 INSERT INTO notes (body) VALUES ($3)`,
                [amount, id, `debit of ${amount} on ${id}`],
              )
              counts.multiTable++
            } else if (w === 0) {
              await transaction('TRUNCATE notes; INSERT INTO notes (body) VALUES ($1)', [`after truncate ${counts.truncates + 1}`])
              counts.truncates++
            }
            if (options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs * (0.5 + rand())))
          }
        } finally {
          await client.end()
        }
      })(),
    )
  }
  return {
    async stop() {
      stopping = true
      await Promise.all(loops)
      return counts
    },
  }
}

/** A parameter as an SQL literal (numbers and our own strings only: no user input reaches here). */
function pgLiteral(value: unknown): string {
  if (typeof value === 'number') return String(value)
  return `'${String(value).replaceAll("'", "''")}'`
}
