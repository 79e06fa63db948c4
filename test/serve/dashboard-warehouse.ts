import { fileURLToPath } from 'node:url'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { op, sqlite, sync, type Message, type Sink, type Source, type SyncReport } from '../../src/index.js'
import type { ConnectorStore } from '../../src/contracts/connector-store.js'
import type { MarStore } from '../../src/contracts/mar-store.js'

/** The MAR budget of `shop`: small, so that the 50 % and 100 % thresholds fire. */
export const BUDGET = { monthly: 6, warnAt: [0.5, 1] } as const

const DAY = 86_400_000

/** `YYYY-MM` of a time. */
export function month(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7)
}

/** The first day of the month before `now`'s, at noon UTC. */
export function lastMonth(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1, 12)
}

export type Store = Sink & ConnectorStore & MarStore

/**
 * `shop`: orders and customers. Each read upserts `ids` of orders (a new `email` column from the
 * second sync on: a schema change) and, with `bad`, records one rejected record in `_sluice_errors`.
 */
export function shopSource(ids: readonly number[], opts: { email?: boolean; bad?: boolean; stop?: AbortController } = {}): Source {
  return {
    id: 'shop',
    tables: () => [{ table: 'orders', primaryKey: ['id'] }, { table: 'customers', primaryKey: ['id'] }],
    async *read({ recordError }): AsyncGenerator<Message> {
      if (opts.bad) recordError({ kind: 'record', table: 'orders', code: 'VALIDATION_FAILED', message: 'total: expected a number, got "n/a"', record: { id: 99, total: 'n/a' } })
      yield op.upsert('orders', ids.map((id) => ({ id, total: id * 10, ...(opts.email ? { email: `o${id}@example.com` } : {}) })))
      yield op.upsert('customers', [{ id: 1, name: 'Ada' }])
      yield op.checkpoint({ n: ids.at(-1) ?? 0 })
      if (opts.stop) {
        // Stopped from outside (a deadline or an abort) after the first checkpoint: the sync ends `stopped`.
        opts.stop.abort()
        yield op.upsert('orders', [{ id: 5, total: 55, email: 'o5@example.com' }])
        yield op.checkpoint({ n: 5 })
      }
    },
  }
}

/** `crm`: one contact, or (`down`) an API that fails. */
export function crmSource(down: boolean): Source {
  return {
    id: 'crm',
    tables: () => [{ table: 'contacts', primaryKey: ['id'] }],
    async *read() {
      // The API's error page comes back in the message: markup the dashboard must show as text.
      if (down) throw new Error('crm api down: 503 Service Unavailable <img src=x onerror="alert(1)">')
      yield op.upsert('contacts', [{ id: 1 }])
      yield op.checkpoint({ n: 1 })
    },
  }
}

/** The API token in the `billing` folder's configuration.json: it must never reach the page. */
export const BILLING_TOKEN = 'sk_live_billing_9Qw7e2Rt'

/** The warehouses made by real syncs, and the connector folder `billing`. */
export interface Warehouses {
  readonly shop: Store
  readonly crm: Store
  readonly billingDir: string
  readonly reports: SyncReport[]
}

function sqliteAt(dir: string): Store {
  mkdirSync(join(dir, 'files'), { recursive: true })
  return sqlite({ path: join(dir, 'files', 'warehouse.db') }) as Store
}

/**
 * Warehouses made by real syncs. `shop/`: synced last month (3 orders) and this month (2 new
 * orders with a new column — a schema change — and a rejected record), passing 50 % of its MAR
 * budget, then a sync stopped by an abort; it also holds the lease of `billing`, as a sync running
 * in another process does. `crm/`: succeeded once, then failed. `billing/`: a connector folder as
 * `sluice init` makes it (connector.ts and a configuration.json with an API token), not synced yet.
 */
export async function makeWarehouses(root: string, now: number): Promise<Warehouses> {
  const shop = sqliteAt(join(root, 'shop'))
  const crm = sqliteAt(join(root, 'crm'))
  const reports: SyncReport[] = []
  const before = lastMonth(now)
  const clock = (ms: number) => ({ now: () => ms })
  reports.push(await sync({ connectorId: 'shop', destination: shop, mar: { budget: BUDGET, clock: clock(before) }, source: shopSource([1, 2, 3]) }))
  reports.push(await sync({ connectorId: 'shop', destination: shop, mar: { budget: BUDGET, clock: clock(now - DAY) }, source: shopSource([4, 5], { email: true, bad: true }) }))
  reports.push(await sync({ connectorId: 'shop', destination: shop, mar: { budget: BUDGET, clock: clock(now) }, source: shopSource([5], { email: true }) }))
  const stop = new AbortController()
  reports.push(await sync({ connectorId: 'shop', destination: shop, signal: stop.signal, mar: { budget: BUDGET, clock: clock(now) }, source: shopSource([5], { email: true, stop }) }))
  reports.push(await sync({ connectorId: 'crm', destination: crm, mar: { clock: clock(now) }, source: crmSource(false) }))
  reports.push(await sync({ connectorId: 'crm', destination: crm, mar: { clock: clock(now) }, source: crmSource(true) }))
  await shop.acquireLease!({ name: 'connector:billing', holder: 'worker-7 (pid 4242)', ttlMs: 86_400_000, now })

  const billingDir = join(root, 'billing')
  mkdirSync(billingDir, { recursive: true })
  writeFileSync(join(billingDir, 'configuration.json'), JSON.stringify({ api_token: BILLING_TOKEN }))
  writeFileSync(
    join(billingDir, 'connector.ts'),
    [
      // The repository's own sources by path: in-process, vitest resolves the folder's imports itself,
      // and `'sluice'` would need a built dist/ (a fresh clone has none). The CLI tests cover `'sluice'`.
      `import { connector, op } from ${JSON.stringify(fileURLToPath(new URL('../../src/index.ts', import.meta.url)))}`,
      'export default connector({',
      "  id: 'billing',",
      "  required: ['api_token'],",
      "  schema: () => [{ table: 'invoices', primaryKey: ['id'] }],",
      '  async *update() {',
      "    yield op.upsert('invoices', [{ id: 1, amount: 10 }])",
      '    yield op.checkpoint({ done: true })',
      '  },',
      '})',
      '',
    ].join('\n'),
  )
  return { shop, crm, billingDir, reports }
}

/**
 * One SQLite warehouse made by real syncs, read by the API and metrics tests (serve-fixture.ts):
 * `shop` synced last month (3 orders) and this month (2 new orders with a new column, and a
 * rejected record), passing 50 % of its budget; `crm` succeeded once, then failed; `billing`
 * holds a lease, as a sync running in another process does.
 */
export async function makeWarehouse(dir: string, now: number): Promise<{ path: string; store: Store; reports: SyncReport[] }> {
  mkdirSync(join(dir, 'files'), { recursive: true })
  const path = join(dir, 'files', 'warehouse.db')
  const store = sqlite({ path }) as Store
  const reports: SyncReport[] = []
  const before = lastMonth(now)
  const clock = (ms: number) => ({ now: () => ms })
  reports.push(await sync({ connectorId: 'shop', destination: store, mar: { budget: BUDGET, clock: clock(before) }, source: shopSource([1, 2, 3]) }))
  reports.push(await sync({ connectorId: 'shop', destination: store, mar: { budget: BUDGET, clock: clock(now - DAY) }, source: shopSource([4, 5], { email: true, bad: true }) }))
  reports.push(await sync({ connectorId: 'shop', destination: store, mar: { budget: BUDGET, clock: clock(now) }, source: shopSource([5], { email: true }) }))
  reports.push(await sync({ connectorId: 'crm', destination: store, mar: { clock: clock(now) }, source: crmSource(false) }))
  reports.push(await sync({ connectorId: 'crm', destination: store, mar: { clock: clock(now) }, source: crmSource(true) }))
  await store.acquireLease!({ name: 'connector:billing', holder: 'worker-7 (pid 4242)', ttlMs: 3_600_000, now })
  return { path, store, reports }
}
