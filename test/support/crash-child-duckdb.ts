/**
 * The process that test/sink/duckdb-crash.test.ts kills with SIGKILL: one sync of the
 * deterministic crash source (test/support/crash-source.ts) into a DuckDB file, resumed from
 * whatever state the file holds.
 *
 *   node --import tsx test/support/crash-child-duckdb.ts <db path>
 *
 * Prints one line per event so the parent can time its kills:
 *   `start <page>` once the sink is open (the page the saved state resumes from),
 *   `checkpoint <page>` after each committed checkpoint, `done <status>` at the end.
 * Exits 0 only when the sync succeeded.
 */
// Direct module imports rather than the barrels: startup is paid at every kill.
import { duckdb } from '../../src/sink/duckdb/duckdb-sink.js'
import { sync } from '../../src/sync/sync.js'
import { crashSource } from './crash-source.js'

const path = process.argv[2]
if (!path) {
  process.stderr.write('usage: crash-child-duckdb.ts <db path>\n')
  process.exit(2)
}

// stdout to a pipe is synchronous on Linux: a line printed is a line the parent can read, even if killed next.
const say = (line: string) => process.stdout.write(`${line}\n`)

const report = await sync({
  source: crashSource(),
  destination: duckdb({ path }),
  on: {
    syncStart: ({ state }) => say(`start ${typeof state?.page === 'number' ? state.page : 0}`),
    checkpoint: ({ state }) => say(`checkpoint ${String(state.page)}`),
  },
})
say(`done ${report.status}`)
if (report.status !== 'succeeded') process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
process.exit(report.status === 'succeeded' ? 0 : 1)
