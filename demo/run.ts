// `npm run demo`: a local shop API, a first full sync into demo/.out/warehouse.db, a change to the
// data, and a second sync that reads only what changed. Set DEMO_ORDERS for a smaller or larger
// data set (default 100_000) and DEMO_OUT for another output folder.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { loadConnector } from '../src/cli/load-connector.js'
import { progress } from '../src/cli/progress.js'
import { formatSummary } from '../src/cli/summary.js'
import { warehouseCounts } from '../src/cli/warehouse-counts.js'
import { sqlite, sync, type Source, type SyncReport } from '../src/index.js'
import { startDemoApi } from './api-server.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const orders = Number(process.env.DEMO_ORDERS ?? 100_000)
const out = resolve(process.env.DEMO_OUT ?? join(here, '.out'))
const warehouse = join(out, 'warehouse.db')

async function run(title: string, source: Source, baseUrl: string): Promise<SyncReport> {
  process.stdout.write(`\n== ${title}\n\n`)
  const destination = sqlite({ path: warehouse })
  const shown = progress({ write: (text) => process.stderr.write(text), tty: process.stderr.isTTY === true, intervalMs: process.stderr.isTTY ? 250 : 2000 })
  const report = await sync({
    source,
    destination,
    configuration: { base_url: baseUrl, page_size: '5000' },
    stages: [shown.stage],
    on: { checkpoint: (event) => shown.checkpoint(event) },
  })
  shown.stop()
  process.stdout.write(formatSummary(report, warehouseCounts(warehouse, (await destination.describe?.()) ?? [])))
  if (report.status !== 'succeeded') throw new Error(`${title} ${report.status}: ${report.error?.code} ${report.error?.message}`)
  return report
}

function check(ok: boolean, what: string): void {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`)
  if (!ok) process.exitCode = 1
}

async function main(): Promise<void> {
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  await writeFile(join(out, '.gitignore'), '*\n') // the output folder ignores itself
  const started = Date.now()
  const api = await startDemoApi({ orders })
  process.stdout.write(`Demo shop API on ${api.url} with ${orders.toLocaleString('en')} orders (built in ${Date.now() - started} ms)\n`)
  try {
    const { source } = await loadConnector(here)
    const first = await run('First sync: everything', source, api.url)

    const changes = api.advance()
    process.stdout.write(
      `\n== The API changes: ${changes.orders.updated} orders updated, ${changes.orders.deleted} deleted, ` +
        `${changes.orders.created} created; ${changes.customers.updated} customers updated\n`,
    )
    const second = await run('Second sync: only what changed, from the saved state', source, api.url)

    const db = new Database(warehouse, { readonly: true })
    try {
      const totals = db.prepare(`SELECT COUNT(*) AS rows, SUM("_sluice_deleted" = 1) AS deleted, SUM("status" = 'returned') AS returned FROM "orders"`).get() as Record<string, number>
      const customers = db.prepare(`SELECT COUNT(*) AS n FROM "customers"`).pluck().get() as number
      const state = db.prepare(`SELECT "state" FROM "_sluice_state" WHERE "connector_id" = 'demo_shop'`).pluck().get() as string
      const sample = db
        .prepare(`SELECT "id", "status", "amount", "updated_at", "_sluice_deleted" AS deleted FROM "orders" ORDER BY "updated_at" DESC, "id" DESC LIMIT 5`)
        .all()
      process.stdout.write(`\n== The warehouse (${warehouse})\n\n`)
      process.stdout.write(`orders: ${totals.rows} rows, ${totals.deleted} soft-deleted, ${totals.returned} returned; customers: ${customers} rows\n`)
      process.stdout.write(`saved state: ${state}\nlatest orders:\n`)
      for (const row of sample) process.stdout.write(`  ${JSON.stringify(row)}\n`)
      process.stdout.write('\n')

      const changed = changes.orders.updated + changes.orders.deleted + changes.orders.created + changes.customers.updated
      check(first.rows === orders + Math.round(orders / 10), `first sync wrote every row (${first.rows})`)
      check(second.rows === changed, `second sync wrote only the ${changed} changed rows (${second.rows}, ${((100 * second.rows) / first.rows).toFixed(1)}% of the first)`)
      check(totals.rows === orders + changes.orders.created, `orders table holds ${totals.rows} rows (old + new)`)
      check(totals.deleted === changes.orders.deleted, `${totals.deleted} orders soft-deleted, as the API deleted`)
    } finally {
      db.close()
    }
  } finally {
    await api.close()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
