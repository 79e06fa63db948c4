/**
 * The process that test/sync/crash-resume.test.ts kills with SIGKILL: one sync of the
 * deterministic crash source into a SQLite file, resumed from whatever state the file holds.
 *
 *   node --import tsx test/support/crash-child.ts <db path> [thread]
 *
 * With `thread`, the sink is `sqlite({ path, thread: true })`: the kill then also lands while
 * detached writes are on their way to (or inside) the worker thread.
 *
 * Prints one line per event so the parent can time its kills:
 *   `start <page>` once the sink is open (the page the saved state resumes from),
 *   `checkpoint <page>` after each committed checkpoint, `done <status>` at the end.
 * Exits 0 only when the sync succeeded.
 */
// Direct module imports rather than the barrel, which also loads Arrow: startup is paid at every kill.
import { sqlite } from '../../src/sink/sqlite/sqlite-sink.js'
import { sync } from '../../src/sync/sync.js'
import { crashSource } from './crash-source.js'

const path = process.argv[2]
const thread = process.argv[3] === 'thread'
if (!path || (process.argv[3] !== undefined && !thread)) {
  process.stderr.write('usage: crash-child.ts <db path> [thread]\n')
  process.exit(2)
}

// stdout to a pipe is synchronous on Linux: a line printed is a line the parent can read, even if killed next.
const say = (line: string) => process.stdout.write(`${line}\n`)

const report = await sync({
  source: crashSource(),
  destination: sqlite({ path, thread }),
  on: {
    syncStart: ({ state }) => say(`start ${typeof state?.page === 'number' ? state.page : 0}`),
    checkpoint: ({ state }) => say(`checkpoint ${String(state.page)}`),
  },
})
say(`done ${report.status}`)
if (report.status !== 'succeeded') process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
process.exit(report.status === 'succeeded' ? 0 : 1)
