/**
 * The process that test/source/postgres/cdc-crash.test.ts kills with SIGKILL: one bounded sync of
 * `postgresSource({ replication: 'logical' })` (tables accounts, events, notes; small pages and
 * frequent checkpoints) into the SQLite file at `path`, resumed from whatever state it holds.
 *
 *   node --import tsx test/support/cdc-child.ts <postgres url> <sqlite path> <batch size>
 *
 * (the proof runs it bundled by esbuild, as test/sink/matrix/crash.test.ts does). Prints one line
 * per event so the parent can time its kills: `start <phase> <lsn>` once the sink is open (from
 * the saved state: `none - 0:0` before any), `checkpoint <phase> <lsn> <progress>` after each
 * committed checkpoint, `done <status>` at the end. Exits 0 only when the sync succeeded.
 */
import { sqlite, sync, type State } from '../../src/index.js'
import { postgresSource } from '../../src/postgres.js'

const [url, path, batchText] = process.argv.slice(2)
const batchSize = Number(batchText)
if (!url || !path || !Number.isInteger(batchSize) || batchSize < 1) {
  process.stderr.write('usage: cdc-child.ts <postgres url> <sqlite path> <batch size>\n')
  process.exit(2)
}

// stdout to a pipe is synchronous on Linux: a line printed is a line the parent can read, even if killed next.
const say = (line: string) => process.stdout.write(`${line}\n`)

/**
 * `<phase> <lsn> <progress>` of a CDC state (`{ cdc: { phase, lsn, tables } }`); in the snapshot,
 * progress is `<tables done>:<last key read in the table being read>` (keyset progress as
 * readKeyset keeps it), which only grows while the snapshot resumes.
 */
function where(state: State | undefined): string {
  const cdc = (state as { cdc?: { phase?: string; lsn?: string; tables?: Record<string, { round?: string; key?: string[] }> } } | undefined)?.cdc
  if (!cdc) return 'none - 0:0'
  const tables = Object.values(cdc.tables ?? {})
  const done = tables.filter((t) => t.round === 'done').length
  const key = tables.find((t) => t.round !== 'done' && t.key)?.key?.[0] ?? '0'
  return `${cdc.phase ?? '?'} ${cdc.lsn ?? '-'} ${done}:${key}`
}

const report = await sync({
  connectorId: 'cdc',
  source: postgresSource({
    id: 'cdc',
    connection: url,
    tables: ['accounts', 'events', 'notes'],
    batchSize,
    replication: { checkpointEvery: { rows: 150, ms: 50 } },
  }),
  destination: sqlite({ path }),
  on: {
    syncStart: ({ state }) => say(`start ${where(state)}`),
    checkpoint: ({ state }) => say(`checkpoint ${where(state)}`),
  },
})
say(`done ${report.status}`)
if (report.status !== 'succeeded') process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
process.exit(report.status === 'succeeded' ? 0 : 1)
