/**
 * The process that test/sink/postgres-crash.test.ts kills with SIGKILL: one sync of the first
 * `pages` pages of the deterministic crash stream (test/support/crash-source.ts) into a Postgres
 * schema, resumed from whatever state it holds. Fewer pages than the SQLite proof, because every
 * Postgres commit waits for a WAL flush and the whole proof must stay well under a minute.
 *
 *   node --import tsx test/support/crash-child-postgres.ts <postgres url> <schema> <pages>
 *
 * Prints `start <page>` once the sink is open, `checkpoint <page>` after each committed
 * checkpoint and `done <status>` at the end. Exits 0 only when the sync succeeded.
 */
// Direct module imports rather than the barrels (Arrow and friends): startup is paid at every kill.
import { postgres } from '../../src/sink/postgres/postgres-sink.js'
import { connector } from '../../src/source/connector.js'
import { op } from '../../src/source/op.js'
import { sync } from '../../src/sync/sync.js'
import { ACCOUNTS, crashPage, EVENTS } from './crash-source.js'

const [url, schema, pagesText] = process.argv.slice(2)
const pages = Number(pagesText)
if (!url || !schema || !Number.isInteger(pages) || pages < 1) {
  process.stderr.write('usage: crash-child-postgres.ts <postgres url> <schema> <pages>\n')
  process.exit(2)
}

/** crashSource() of crash-source.ts, cut to `pages` pages (the same pages, the same checkpoints). */
const source = connector({
  id: 'crash',
  schema: () => [
    { table: 'accounts', primaryKey: ['id'], columns: ACCOUNTS },
    { table: 'events', mode: 'append', columns: EVENTS },
  ],
  async *update(_configuration, state) {
    for (let p = typeof state.page === 'number' ? state.page : 0; p < pages; p++) {
      const page = crashPage(p)
      yield op.upsert('accounts', page.upserts)
      if (page.updates.length > 0) yield op.update('accounts', page.updates)
      if (page.deletes.length > 0) yield op.delete('accounts', page.deletes)
      yield op.upsert('events', page.events)
      yield op.checkpoint({ page: p + 1 })
    }
  },
})

// stdout to a pipe is synchronous on Linux: a line printed is a line the parent can read, even if killed next.
const say = (line: string) => process.stdout.write(`${line}\n`)

const report = await sync({
  source,
  destination: postgres({ connection: url, schema }),
  on: {
    syncStart: ({ state }) => say(`start ${typeof state?.page === 'number' ? state.page : 0}`),
    checkpoint: ({ state }) => say(`checkpoint ${String(state.page)}`),
  },
})
say(`done ${report.status}`)
if (report.status !== 'succeeded') process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
process.exit(report.status === 'succeeded' ? 0 : 1)
