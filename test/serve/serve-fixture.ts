import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createConnector, op, silentLogger, sqlite, type Connector, type Message, type Source } from '../../src/index.js'
import { serve, type ServeTarget } from '../../src/serve.js'
import type { ServerHandle } from '../../src/serve.js'
import { BUDGET, makeWarehouse } from './dashboard-warehouse.js'

export const KEY = 'serve-key-Q7'
export const SECRET = 'serve-secret-Jx93kLw0'
/** A configuration value of the `orders` folder: a secret that must never be served. */
export const CONFIG_SECRET = 'sk_live_folderSecret_8812'

/** Reads of the `orders` folder's connector wait here until a test opens them. */
export interface OrdersGate {
  reads: number
  open: () => void
  wait: Promise<void>
}

declare global {
  // eslint-disable-next-line no-var
  var __sluiceServeGate: OrdersGate | undefined
  // eslint-disable-next-line no-var
  var __sluiceServeFail: boolean | undefined
}

/** Closes the `orders` folder's gate: its next read waits until `open()`. */
export function closeGate(): OrdersGate {
  let open!: () => void
  const wait = new Promise<void>((r) => (open = r))
  const gate: OrdersGate = { reads: globalThis.__sluiceServeGate?.reads ?? 0, open, wait }
  globalThis.__sluiceServeGate = gate
  return gate
}

/** A connector folder as `sluice init` makes one: connector.ts (default export: a source) and configuration.json with a secret. */
export function ordersFolder(root: string): string {
  const dir = join(root, 'orders')
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'connector.ts'),
    // In-process under vitest, 'sluice' is not resolvable from a temp folder: import the sources by path (the CLI maps 'sluice' itself).
    `import { op } from ${JSON.stringify(join(process.cwd(), 'src', 'index.ts'))}
export default {
  id: 'orders',
  tables: () => [{ table: 'orders', primaryKey: ['id'] }],
  async *read({ configuration }) {
    const gate = globalThis.__sluiceServeGate
    if (gate) { gate.reads++; await gate.wait }
    if (globalThis.__sluiceServeFail) throw new Error('the API refused key ' + configuration.api_key)
    if (typeof configuration.api_key !== 'string') throw new Error('api_key missing')
    yield op.upsert('orders', [{ id: 1, total: 5 }, { id: 2, total: 7 }])
    yield op.checkpoint({ n: 2 })
  },
}
`,
  )
  writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ api_key: CONFIG_SECRET, region: 'eu' }))
  return dir
}

/** `ledger`: a Connector made in code, with a 15-minute schedule and a MAR budget. */
export function ledgerConnector(root: string): { connector: Connector; target: ServeTarget } {
  const source: Source = {
    id: 'ledger',
    tables: () => [{ table: 'entries', primaryKey: ['id'] }],
    async *read(): AsyncGenerator<Message> {
      yield op.upsert('entries', [{ id: 1, amount: 3 }])
      yield op.checkpoint({ n: 1 })
    },
  }
  const destination = sqlite({ path: join(root, 'ledger.db') })
  const schedule = { every: '15m' } as const
  const mar = { budget: { monthly: 1000, warnAt: [0.8] } }
  const connector = createConnector({ id: 'ledger', source, destination, schedule, mar, logger: silentLogger })
  return { connector, target: { destination, label: 'ledger.db', connector, schedule, mar } }
}

/**
 * A server over three kinds of target: the warehouse of the dashboard test (shop, crm; made by
 * real syncs: successes, a failure, a schema change, MAR over two months, a lease) read only, the
 * `orders` connector folder, and the `ledger` Connector.
 */
export async function startServe(root: string, now: number, extra: readonly ServeTarget[] = []): Promise<{ server: ServerHandle; warehouse: Awaited<ReturnType<typeof makeWarehouse>>; ledger: Connector }> {
  const warehouse = await makeWarehouse(join(root, 'shop'), now)
  ordersFolder(root)
  const ledger = ledgerConnector(root)
  await ledger.connector.sync()
  const server = await serve({
    targets: [{ warehouse: 'shop/files/warehouse.db' }, { dir: 'orders' }, ledger.target, ...extra],
    cwd: root,
    auth: { key: KEY, secret: SECRET },
    logger: silentLogger,
  })
  return { server, warehouse, ledger: ledger.connector }
}

export { BUDGET }

/** `fetch` with HTTP Basic `key:secret`; the body parsed as JSON. */
export async function call(url: string, init: { method?: string; body?: unknown; key?: string; secret?: string; auth?: boolean } = {}): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (init.auth !== false) headers.authorization = `Basic ${Buffer.from(`${init.key ?? KEY}:${init.secret ?? SECRET}`).toString('base64')}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) })
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, body, text }
}
