/**
 * The process that test/sink/matrix/crash.test.ts kills with SIGKILL: one sync of the first
 * `pages` pages of the deterministic crash stream (crash-source.ts) into one destination of
 * test/sink/destinations.ts at `location`, resumed from whatever state it holds, metering MAR
 * (exact, into one month) where the destination declares it.
 *
 *   node --import tsx test/support/crash-child.ts <destination> <location> <pages>
 *
 * (the proof runs it bundled by esbuild: start-up is paid at every kill). Prints one line per
 * event so the parent can time its kills: `start <page>` once the sink is open (the page the saved
 * state resumes from), `checkpoint <page>` after each committed checkpoint, `done <status>` at the
 * end. Exits 0 only when the sync succeeded.
 */
import { destination, SRC } from '../sink/destinations.js'
import { crashSource } from './crash-source.js'

const [name, location, pagesText] = process.argv.slice(2)
const pages = Number(pagesText)
if (!name || !location || !Number.isInteger(pages) || pages < 1) {
  process.stderr.write('usage: crash-child.ts <destination> <location> <pages>\n')
  process.exit(2)
}

// stdout to a pipe is synchronous on Linux: a line printed is a line the parent can read, even if killed next.
const say = (line: string) => process.stdout.write(`${line}\n`)

/** Every run meters into the same month, whenever it runs. */
const MONTH_MS = Date.UTC(2026, 10, 15)

const { sync } = await SRC.core()
const target = destination(name)
const report = await sync({
  source: crashSource(pages),
  destination: await target.open(SRC, location),
  // MAR commits with the data: the proof also checks that no kill loses or double-counts a row.
  ...(target.capabilities.mar ? { mar: { mode: 'exact' as const, clock: { now: () => MONTH_MS } } } : {}),
  on: {
    syncStart: ({ state }) => say(`start ${typeof state?.page === 'number' ? state.page : 0}`),
    checkpoint: ({ state }) => say(`checkpoint ${String(state.page)}`),
  },
})
say(`done ${report.status}`)
if (report.status !== 'succeeded') process.stderr.write(`${JSON.stringify(report.error ?? report)}\n`)
process.exit(report.status === 'succeeded' ? 0 : 1)
