import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { duckdb } from '../../../src/duckdb.js'
import { sqlite } from '../../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-locked-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a lease asked of a destination another process keeps locked reads as held by someone else', () => {
  it('SQLite: a write lock held past the busy timeout', async () => {
    const path = join(dir, 'locked.db')
    const sink = sqlite({ path, busyTimeoutMs: 20 })
    await sink.saveConnector!({ connectorId: 'c', paused: false }) // creates the file and its tables
    const locker = new Database(path)
    locker.exec('BEGIN IMMEDIATE')
    try {
      expect(await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1000, now: 0 })).toEqual({ acquired: false, holder: expect.stringContaining('another writer'), expiresAt: 1000 })
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
    expect(await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1000, now: 0 })).toEqual({ acquired: true, expiresAt: 1000 })
  })

  it('DuckDB: the file open in another process', async () => {
    const path = join(dir, 'locked.duckdb')
    const sink = duckdb({ path })
    await sink.saveConnector!({ connectorId: 'c', paused: false })
    const api = createRequire(import.meta.url).resolve('@duckdb/node-api')
    const holder = spawn(
      process.execPath,
      ['-e', `const { DuckDBInstance } = require(${JSON.stringify(api)}); DuckDBInstance.create(${JSON.stringify(path)}).then(() => console.log('open')); process.stdin.on('end', () => process.exit(0)); process.stdin.resume()`],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    const exited = new Promise((r) => holder.on('close', r))
    try {
      await new Promise<void>((ready, failed) => {
        createInterface({ input: holder.stdout! }).on('line', (l) => l === 'open' && ready())
        holder.on('close', () => failed(new Error('the process holding the file exited early')))
      })
      expect(await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1000, now: 0 })).toEqual({ acquired: false, holder: expect.stringContaining('another process'), expiresAt: 1000 })
    } finally {
      holder.stdin!.end()
      await exited
    }
    expect(await sink.acquireLease!({ name: 'connector:c', holder: 'a', ttlMs: 1000, now: 0 })).toEqual({ acquired: true, expiresAt: 1000 })
  })
})
