/**
 * The process that test/source/rest/moving-api.test.ts kills with SIGKILL: one sync of every documented incremental
 * configuration (test/support/moving-configs.ts) from the moving API into a SQLite file, resumed from whatever state
 * the file holds.
 *
 *   node --import tsx test/support/moving-child.ts <api url> <db path>
 *
 * Prints `start` once the sink is open, `checkpoint` after each committed checkpoint and `done <status>` at the end.
 * Exits 0 only when the sync succeeded.
 */
// Direct module imports rather than the barrel, which also loads Arrow: startup is paid at every kill.
import { sqlite } from '../../src/sink/sqlite/sqlite-sink.js'
import { rest } from '../../src/source/rest/rest-source.js'
import { sync } from '../../src/sync/sync.js'
import { movingStreams } from './moving-configs.js'

const [url, path] = process.argv.slice(2)
if (!url || !path) {
  process.stderr.write('usage: moving-child.ts <api url> <db path>\n')
  process.exit(2)
}

// stdout to a pipe is synchronous on Linux: a line printed is a line the parent can read, even if killed next.
const say = (line: string) => process.stdout.write(`${line}\n`)
const streams = movingStreams()
const report = await sync({
  source: rest({ baseUrl: url, retry: false, concurrency: streams.length, streams }),
  destination: sqlite({ path }),
  on: { syncStart: () => say('start'), checkpoint: () => say('checkpoint') },
})
say(`done ${report.status}`)
if (report.status !== 'succeeded') process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
process.exit(report.status === 'succeeded' ? 0 : 1)
