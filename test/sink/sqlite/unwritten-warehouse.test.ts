import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sqlite } from '../../../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-unwritten-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

// Regression: `sluice serve` over a connector folder that never synced answered 500 for its schema
// changes, because schemaHistory (and readErrors) opened the missing file read-only and failed.
describe('sqlite readers on a warehouse no sync has written yet', () => {
  it('answer empty, like history and MAR, and create no file', async () => {
    const path = join(root, 'files', 'warehouse.db')
    const sink = sqlite({ path })
    expect(await sink.schemaHistory!()).toEqual([])
    expect(await sink.readErrors!()).toEqual([])
    expect(existsSync(path)).toBe(false)
  })
})
