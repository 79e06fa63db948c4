import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mockOrders as restOrders } from '../../../templates/rest/mock-api.js'
import { mockOrders as graphqlOrders } from '../../../templates/graphql/mock-api.js'
import { calls, runCli, tempDir, warehouseValue } from '../run-cli.js'

/** Each template as scaffolded: the configuration key that says "mock", and the mock's data at a step. */
const TEMPLATES = [
  { template: 'rest', key: 'base_url', cursor: 'updated_at', orders: (step: number) => restOrders(step) as unknown as Record<string, unknown>[] },
  { template: 'graphql', key: 'endpoint', cursor: 'updatedAt', orders: (step: number) => graphqlOrders(step) as unknown as Record<string, unknown>[] },
] as const

const cwd = tempDir()
afterAll(() => rm(cwd, { recursive: true, force: true }))

for (const { template, key, cursor, orders } of TEMPLATES) {
  describe(`sluice init --template ${template} → debug → debug against the bundled mock API`, () => {
    const dir = join(cwd, `shop_${template}`)

    it('scaffolds a configuration that selects the mock, and a README that says how to point it at the real API', async () => {
      const result = await runCli(['init', `shop_${template}`, '--template', template], { cwd })
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(join(`shop_${template}`, 'mock-api.ts'))
      const configuration = JSON.parse(readFileSync(join(dir, 'configuration.json'), 'utf8')) as Record<string, string>
      expect(configuration[key]).toBe('mock')
      const readme = readFileSync(join(dir, 'README.md'), 'utf8')
      expect(readme).toContain('## The mock API, and pointing it at your API')
      expect(readme).toMatch(new RegExp(`"${key}": "https://`))
    })

    it('the first debug works with no other step: it reads every order of the mock', async () => {
      const result = await runCli(['debug', `shop_${template}`], { cwd })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(calls(result.stdout, 'Upserts')).toBe(orders(0).length)
      expect(warehouseValue(dir, 'SELECT COUNT(*) FROM orders')).toBe(orders(0).length)
      // This run's new MAR and the month's so far, each labelled: on a first run both are every order.
      expect(result.stdout).toMatch(/^Table +\|.*\| New MAR this run \| MAR \d{4}-\d{2} \| Rows in warehouse \|/m)
      expect(result.stdout).toMatch(new RegExp(`^orders +\\|.*\\| +${orders(0).length} \\| +${orders(0).length} \\| +${orders(0).length} \\| +0$`, 'm'))
    })

    it('the second debug is incremental: it upserts only the orders that changed or arrived since', async () => {
      const before = orders(0)
      const after = orders(1)
      const seen = new Map(before.map((o) => [o.id, JSON.stringify(o)]))
      const changed = after.filter((o) => seen.get(o.id) !== JSON.stringify(o))
      expect(changed.length).toBeGreaterThan(0)
      expect(changed.length).toBeLessThan(after.length / 10)
      // rest() and graphql() both skip the orders at the saved bound (read again: a closed bound) by key.

      const result = await runCli(['debug', `shop_${template}`], { cwd })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(calls(result.stdout, 'Upserts')).toBe(changed.length)
      expect(warehouseValue(dir, 'SELECT COUNT(*) FROM orders')).toBe(after.length)
      const last = changed.at(-1)!
      // The destination column is snake case: updatedAt lands in updated_at.
      expect(warehouseValue(dir, `SELECT updated_at FROM orders WHERE id = ${Number(last.id)}`)).toBe(last[cursor])
    })
  })
}
