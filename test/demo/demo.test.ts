import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function runDemo(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'demo/run.ts'], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 55_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error)
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
    })
  })
}

/** The number in a summary's `Operation | Calls` row, in the section after `after`. */
function callsAfter(stdout: string, after: string, operation: string): number {
  const section = stdout.slice(stdout.indexOf(after))
  const match = new RegExp(`^${operation}\\s*\\|\\s*([\\d,]+)$`, 'm').exec(section)
  if (!match) throw new Error(`no ${operation} after ${after} in:\n${stdout}`)
  return Number(match[1]!.replaceAll(',', ''))
}

describe('npm run demo', () => {
  const out = mkdtempSync(join(tmpdir(), 'sluice-demo-'))
  afterAll(() => rm(out, { recursive: true, force: true }))

  it('syncs the local API, then syncs only the changes (updates and deletes applied), and exits 0', async () => {
    const result = await runDemo({ DEMO_ORDERS: '2000', DEMO_OUT: out })
    expect(result.stderr).not.toContain('demo failed')
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain('FAIL')
    // 2,000 orders and 200 customers, then 2% + 0.5% + 1% of the orders and 2% of the customers.
    expect(callsAfter(result.stdout, '== First sync', 'Upserts')).toBe(2200)
    expect(callsAfter(result.stdout, '== Second sync', 'Upserts')).toBe(40 + 20 + 4)
    expect(callsAfter(result.stdout, '== Second sync', 'Deletes')).toBe(10)
    expect(result.stdout).toContain('ok   second sync wrote only the 74 changed rows')

    const db = new Database(join(out, 'warehouse.db'), { readonly: true })
    try {
      expect(db.prepare('SELECT COUNT(*) FROM orders').pluck().get()).toBe(2020)
      expect(db.prepare('SELECT COUNT(*) FROM orders WHERE _sluice_deleted = 1').pluck().get()).toBe(10)
      expect(db.prepare(`SELECT COUNT(*) FROM customers WHERE email LIKE 'new.%'`).pluck().get()).toBe(4)
    } finally {
      db.close()
    }
  })
})
