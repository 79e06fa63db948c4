/**
 * The process that test/source/mysql/cdc/binlog-crash.test.ts kills with SIGKILL: bounded binlog
 * syncs of table `items` from a private MariaDB into a SQLite file, one after another, resumed
 * each time from the state the file holds (`once`: a single sync, then exit).
 *
 *   node --import tsx test/support/cdc-mysql-child.ts <mysql url> <sqlite path> <batchSize> [once]
 *
 * Prints `start <phase>` when a sync starts, `checkpoint <phase>` after each committed checkpoint
 * and `done <status>` after each sync, so the parent can time its kills and tell a kill during
 * the snapshot from one during streaming. Exits 0 after a `once` sync that succeeded.
 */
import { sqlite, sync } from '../../src/index.js'
import { mysqlSource } from '../../src/mysql.js'

const [url, path, batchText, once] = process.argv.slice(2)
if (!url || !path || !batchText) {
  process.stderr.write('usage: cdc-mysql-child.ts <mysql url> <sqlite path> <batchSize> [once]\n')
  process.exit(2)
}
// stdout to a pipe is synchronous on Linux: a line printed is a line the parent can read, even if killed next.
const say = (line: string) => process.stdout.write(`${line}\n`)
const phase = (state: unknown) => ((state as { cdc?: { phase?: string } } | undefined)?.cdc?.phase ?? 'new')

const source = mysqlSource({
  connection: url,
  tables: ['items'],
  id: 'crash',
  batchSize: Number(batchText),
  replication: { checkpointEvery: { rows: 150, ms: 100 } },
})
for (;;) {
  const report = await sync({
    source,
    destination: sqlite({ path }),
    on: {
      syncStart: ({ state }) => say(`start ${phase(state)}`),
      checkpoint: ({ state }) => say(`checkpoint ${phase(state)}`),
    },
  })
  say(`done ${report.status}`)
  if (report.status !== 'succeeded') {
    process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
    process.exit(1)
  }
  if (once) process.exit(0)
}
