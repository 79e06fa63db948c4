import { mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { op, sqlite, sync } from '../../src/index.js'
import { duckdb } from '../../src/duckdb.js'
import { warehouseFormat } from '../../src/cli/warehouse-format.js'
import { tempDir } from './run-cli.js'

describe('warehouseFormat', () => {
  const dir = tempDir('sluice-format-')
  afterAll(() => rm(dir, { recursive: true, force: true }))
  const source = { id: 'f', async *read() { yield op.upsert('t', [{ id: 1 }]); yield op.checkpoint({ done: true }) } }

  it('tells a SQLite warehouse from a DuckDB one by the file header', async () => {
    await sync({ source, destination: sqlite({ path: join(dir, 'a.db') }) })
    await sync({ source, destination: duckdb({ path: join(dir, 'b.db') }) })
    expect(warehouseFormat(join(dir, 'a.db'))).toBe('sqlite')
    expect(warehouseFormat(join(dir, 'b.db'))).toBe('duckdb')
  })

  it('is undefined for no file, an empty file or a folder in its place', () => {
    writeFileSync(join(dir, 'empty.db'), '')
    mkdirSync(join(dir, 'folder.db'))
    expect(warehouseFormat(join(dir, 'missing.db'))).toBeUndefined()
    expect(warehouseFormat(join(dir, 'empty.db'))).toBeUndefined()
    expect(warehouseFormat(join(dir, 'folder.db'))).toBeUndefined()
  })

  it('rejects any other file with WAREHOUSE_FORMAT naming it', () => {
    const path = join(dir, 'notes.db')
    writeFileSync(path, 'these are my notes, not a database')
    expect(() => warehouseFormat(path)).toThrow(expect.objectContaining({ code: 'WAREHOUSE_FORMAT', message: expect.stringContaining(`${path} is neither a SQLite nor a DuckDB database`) }))
  })
})
