/**
 * The process test/mar/mar-crash.test.ts kills with SIGKILL: one sync of the deterministic crash
 * source into a SQLite file (or, with `files`, a files directory) with MAR metering, resumed
 * from whatever the destination holds.
 *
 *   node --import tsx test/mar/mar-crash-child.ts <db path or dir> <mode> [sqlite|files]
 *
 * Prints `start <page>`, `checkpoint <page>` and `done <status>` lines like test/support/crash-child.ts.
 */
import { files } from '../../src/sink/files/files-sink.js'
import { sqlite } from '../../src/sink/sqlite/sqlite-sink.js'
import { sync } from '../../src/sync/sync.js'
import { crashSource } from '../support/crash-source.js'

const [path, mode, kind = 'sqlite'] = process.argv.slice(2)
if (!path || (mode !== 'exact' && mode !== 'approximate') || (kind !== 'sqlite' && kind !== 'files')) {
  process.stderr.write('usage: mar-crash-child.ts <db path or dir> exact|approximate [sqlite|files]\n')
  process.exit(2)
}
const say = (line: string) => process.stdout.write(`${line}\n`)
/** Every run meters into the same month, whenever it runs. */
const MONTH_MS = Date.UTC(2026, 10, 15)

const report = await sync({
  source: crashSource(),
  destination: kind === 'files' ? files({ dir: path, format: 'ndjson' }) : sqlite({ path }),
  mar: { mode, clock: { now: () => MONTH_MS } },
  on: {
    syncStart: ({ state }) => say(`start ${typeof state?.page === 'number' ? state.page : 0}`),
    checkpoint: ({ state }) => say(`checkpoint ${String(state.page)}`),
  },
})
say(`done ${report.status}`)
if (report.status !== 'succeeded') process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
process.exit(report.status === 'succeeded' ? 0 : 1)
