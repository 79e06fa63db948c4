import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConnector, silentLogger, type SyncReport } from '../../src/index.js'
import { serve } from '../../src/serve.js'
import { fleet, runWorker, type Fleet, type FleetWorker } from '../../src/bullmq.js'
import { dropPrefix, REDIS, testPrefix } from '../fleet/fleet-support.js'
import type { ServerHandle } from '../../src/serve/server.js'
import { BILLING_TOKEN, BUDGET, crmSource, lastMonth, makeWarehouses, month, shopSource, type Warehouses } from './dashboard-warehouse.js'

const CHROMIUM = '/usr/bin/chromium'
const KEY = 'dash-key'
const SECRET = 'dash-secret-Zp4kR8v1'
const NOW = Date.now()
const root = mkdtempSync(join(tmpdir(), 'sluice-dashboard-'))
// The README's screenshots: `UPDATE_SCREENSHOTS=1 npx vitest run test/serve/dashboard.test.ts`
// rewrites docs/images/; any other run takes them into its temp folder, so tests leave the tree clean.
const IMAGES = process.env.UPDATE_SCREENSHOTS ? join(process.cwd(), 'docs', 'images') : join(root, 'images')
let browser: Browser
let server: ServerHandle
let w: Warehouses
let reports: SyncReport[]
let page: Page
let control: Fleet
let worker: FleetWorker
const prefix = testPrefix()
const consoleErrors: string[] = []

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does: apt-get install chromium)`)
  w = await makeWarehouses(root, NOW)
  reports = w.reports
  // What a service embedding sluice serves: two destinations with the connectors that sync into
  // them (shop with its MAR budget, crm on an hourly schedule), and a connector folder. The
  // server's clock runs two hours ahead of the syncs: crm (every 1h) is late, shop (no schedule) is not.
  const shop = createConnector({ id: 'shop', source: shopSource([6], { email: true }), destination: w.shop, mar: { budget: BUDGET }, logger: silentLogger })
  const crm = createConnector({ id: 'crm', source: crmSource(true), destination: w.crm, schedule: { every: '1h' }, logger: silentLogger })
  // A fleet (sluice/bullmq) with one worker, for the page's fleet section: its workers and queue depths.
  const fleetConnectors = [{ id: 'shop', source: shopSource([6]), destination: w.shop, logger: silentLogger }]
  control = await fleet({ connection: REDIS, prefix, connectors: fleetConnectors })
  worker = await runWorker({ connection: REDIS, prefix, connectors: fleetConnectors, name: 'dash-worker-1', logger: silentLogger })
  server = await serve({
    fleet: control,
    targets: [
      { destination: w.shop, label: 'shop/files/warehouse.db', connector: shop, mar: { budget: BUDGET } },
      { destination: w.crm, label: 'crm/files/warehouse.db', connector: crm, schedule: { every: '1h' } },
      { dir: 'billing' },
    ],
    cwd: root,
    auth: { key: KEY, secret: SECRET },
    now: () => Date.now() + 2 * 3_600_000,
    logger: silentLogger,
  })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()) })
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  await page.goto(server.url)
  await page.waitForSelector('body[data-ready="true"]')
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await worker?.close()
  await control?.close()
  await dropPrefix(prefix)
  rmSync(root, { recursive: true, force: true })
})

// The tests type-check without the DOM lib (it would leak browser globals into the Node sources):
// these are the few browser shapes the page functions below use.
interface BrowserWindow {
  readonly document: { readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number } }
  getComputedStyle(el: unknown): { readonly color: string }
}
const dialogOpen = () => page.locator('#auth').evaluate((d) => (d as unknown as { open: boolean }).open)

/** Waits for the page to show something: generous, as a loaded CI machine runs other files beside this one. */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 })

const row = (id: string) => page.locator(`#connectors tbody tr[data-id="${id}"]`)

describe('the sluice serve dashboard in Chromium', () => {
  it('lists each connector with its state, last success and failure, freshness, MAR this month, and marks a late one red', async () => {
    await poll(() => row('shop').count()).toBe(1)
    expect(await row('shop').locator('td.state').innerText()).toContain('idle')
    expect(await row('shop').locator('td.last-success').innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/)
    // This month: orders 4 and 5 (5 again in the third sync is not new) and customer 1.
    expect(await row('shop').locator('td.mar').innerText()).toBe('3')
    expect((await row('shop').getAttribute('class')) ?? '').not.toContain('late')
    expect(await row('crm').locator('td.state').innerText()).toContain('failing')
    expect(await row('crm').locator('td.last-success').innerText()).toMatch(/^\d{4}-/)
    expect(await row('crm').locator('td.last-failure').innerText()).toMatch(/^\d{4}-/)
    expect(await row('crm').getAttribute('class')).toContain('late')
    expect(await row('crm').locator('td.lag').innerText()).toContain('late')
    expect(await row('crm').locator('td.next-run').innerText()).toContain('every 1h')
    const color = await row('crm').locator('td.lag').evaluate((el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).color)
    expect(color).toBe('rgb(220, 38, 38)')
  })

  it("shows the fleet's workers and its queues' depths", async () => {
    await poll(() => page.locator('#fleet-workers').innerText()).toContain('dash-worker-1')
    expect(await page.locator('#fleet').isVisible()).toBe(true)
    const queue = (await page.locator('#queues tr[data-queue="default"]').innerText()).split('\t').map((c) => c.trim())
    expect(queue).toEqual(['default', '0', '0', '0', '0', '0'])
  })

  it('shows the current leases', async () => {
    const text = await page.locator('#leases tbody').innerText()
    expect(text).toContain('connector:billing')
    expect(text).toContain('worker-7 (pid 4242)')
  })

  it('shows the sync timeline, and a click opens a sync\'s rows per table and its _sluice_errors rows', async () => {
    await page.locator('#connectors a.conn', { hasText: 'shop' }).click()
    await poll(() => page.locator('#detail-id').innerText()).toBe('shop')
    await poll(() => page.locator('#syncs tbody tr').count()).toBe(4)
    expect(await page.locator('#timeline .tick.succeeded').count()).toBe(3)
    expect(await page.locator('#timeline .tick.stopped').count()).toBe(1)
    expect(await page.locator('#syncs tbody tr').first().innerText()).toMatch(/stopped\s+aborted/)
    const second = reports[1]!
    await page.locator(`#timeline .tick[data-sync-id="${second.syncId}"]`).click()
    const detail = page.locator('#sync-detail')
    await poll(() => detail.innerText()).toContain('Recorded errors (1)')
    const text = await detail.innerText()
    expect(text).toContain('VALIDATION_FAILED')
    expect(text).toContain('total: expected a number, got "n/a"')
    expect(text).toContain('"total":"n/a"')
    const orders = await detail.locator('table.sync-tables tr', { hasText: 'orders' }).innerText()
    expect(orders.split('\t').map((s) => s.trim())).toEqual(['orders', '2', '0', '0', '0'])
  })

  it('shows MAR per table per month as a chart with the budget line, and the thresholds that fired', async () => {
    const [before, current] = [month(lastMonth(NOW)), month(NOW)]
    expect(await page.locator('#mar-chart canvas').count()).toBeGreaterThan(0)
    const legend = await page.locator('#mar-chart .u-legend').innerText()
    for (const series of ['orders', 'customers', 'total', 'budget']) expect(legend).toContain(series)
    const head = await page.locator('#mar-table thead').innerText()
    expect(head).toContain(before)
    expect(head).toContain(current)
    const cells = async (t: string) => (await page.locator(`#mar-table tr[data-table="${t}"]`).innerText()).split('\t').map((s) => s.trim())
    expect(await cells('orders')).toEqual(['orders', '3', '2'])
    expect(await cells('customers')).toEqual(['customers', '1', '1'])
    expect(await page.locator('#mar-table tr.budget').innerText()).toContain(String(BUDGET.monthly))
    const fired = await page.locator('#thresholds').innerText()
    expect(fired).toContain(`${current}: 50 % of the budget reached`)
    expect(fired).toContain(`${before}: 50 % of the budget reached`)
  })

  it('shows the schema change log', async () => {
    const text = await page.locator('#schema-changes tbody').innerText()
    expect(text).toMatch(/orders\s+email\s+add_column/)
  })

  it('opens a failed sync\'s error', async () => {
    await page.locator('#connectors a.conn', { hasText: 'crm' }).click()
    await poll(() => page.locator('#syncs tbody tr').count()).toBe(2)
    await page.locator('#syncs tbody tr').first().click()
    await poll(() => page.locator('#sync-detail .error-box').innerText()).toContain('crm api down: 503 Service Unavailable')
    expect(await page.locator('#sync-detail .error-box').innerText()).toContain('SOURCE_FAILED')
    // Markup from a message is text, never an element.
    expect(await page.locator('#sync-detail .error-box').innerText()).toContain('<img src=x onerror="alert(1)">')
    expect(await page.locator('#sync-detail img').count()).toBe(0)
  })

  it('takes the screenshots for the README at 1280×800 and at phone width', async () => {
    await page.locator('#connectors a.conn', { hasText: 'shop' }).click()
    await poll(() => page.locator('#syncs tbody tr').count()).toBe(4)
    // At 1280 px the connectors table fits: its actions are not scrolled out of sight.
    expect(await page.locator('#connectors').evaluate((t) => { const e = t as unknown as { scrollWidth: number; parentElement: { clientWidth: number } }; return e.scrollWidth - e.parentElement.clientWidth })).toBeLessThanOrEqual(0)
    mkdirSync(IMAGES, { recursive: true })
    await page.screenshot({ path: join(IMAGES, 'dashboard.png'), fullPage: true })
    await page.setViewportSize({ width: 375, height: 800 })
    // Readable at phone width: nothing makes the page itself scroll sideways (wide tables scroll in their box).
    await poll(() => page.evaluate(() => { const { documentElement: e } = (globalThis as unknown as BrowserWindow).document; return e.scrollWidth - e.clientWidth })).toBeLessThanOrEqual(0)
    await page.screenshot({ path: join(IMAGES, 'dashboard-phone.png') })
    await page.setViewportSize({ width: 1280, height: 800 })
    for (const image of ['dashboard.png', 'dashboard-phone.png']) expect(statSync(join(IMAGES, image)).size, image).toBeGreaterThan(10_000)
  })

  it('the trigger button asks for the API key once, refuses a wrong one, and starts a sync that then appears in the timeline', async () => {
    await page.locator('#connectors a.conn', { hasText: 'shop' }).click()
    await poll(() => page.locator('#syncs tbody tr').count()).toBe(4)
    await row('shop').locator('button.sync').click()
    await page.locator('#auth-key').fill(KEY)
    await page.locator('#auth-secret').fill('wrong-secret')
    await page.locator('#auth-ok').click()
    // 401: the page forgets the pair and asks again.
    await poll(() => dialogOpen()).toBe(true)
    await page.locator('#auth-key').fill(KEY)
    await page.locator('#auth-secret').fill(SECRET)
    await page.locator('#auth-ok').click()
    await poll(() => page.locator('#syncs tbody tr').count()).toBe(5)
    const [newest] = await w.shop.history!({ connectorId: 'shop', limit: 1 })
    expect(newest).toMatchObject({ status: 'succeeded', tables: { orders: { upserts: 1 } } })
    expect(await page.locator('#syncs tbody tr').first().getAttribute('data-sync-id')).toBe(newest!.syncId)
  })

  it('pause and resume change the connector\'s paused flag in the warehouse, without asking again', async () => {
    await row('shop').locator('button.pause').click()
    await poll(() => row('shop').locator('td.state').innerText()).toContain('paused')
    expect((await w.shop.loadConnector!({ connectorId: 'shop' }))?.paused).toBe(true)
    // The server refuses to sync a paused connector: the page doesn't offer it.
    expect(await row('shop').locator('button.sync').isDisabled()).toBe(true)
    expect(await dialogOpen()).toBe(false)
    await row('shop').locator('button.resume').click()
    await poll(() => row('shop').locator('td.state').innerText()).toContain('idle')
    expect((await w.shop.loadConnector!({ connectorId: 'shop' }))?.paused).toBe(false)
  })

  it('shows a connector folder, and never its configuration\'s token nor the API secret', async () => {
    await poll(() => row('billing').count()).toBe(1)
    // Its lease is held by another process: it is syncing there.
    expect(await row('billing').locator('td.state').innerText()).toContain('syncing')
    await page.locator('#connectors a.conn', { hasText: 'billing' }).click()
    await poll(() => page.locator('#detail-id').innerText()).toBe('billing')
    const html = await page.content()
    expect(html).not.toContain(SECRET)
    expect(html).not.toContain(BILLING_TOKEN)
  })

  it('nothing on the page logged an error', async () => {
    // Chromium itself logs the refused request of the wrong secret above; nothing else may show.
    const refused = consoleErrors.filter((e) => /status of 401/.test(e))
    expect(refused).toHaveLength(1)
    expect(consoleErrors.filter((e) => !refused.includes(e))).toEqual([])
  })
})
