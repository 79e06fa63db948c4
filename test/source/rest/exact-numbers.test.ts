import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memory, sqlite, sync } from '../../../src/index.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'
import { localServer, type LocalServer } from '../../http/local-server.js'
import { destRows, expectSucceeded, syncInto } from './rest-fixtures.js'

// Written by hand: JSON.stringify can't write these numbers, and the point is the text the API sends.
const PAGE = '[{"id":9007199254740992,"d":1,"v":"a"},{"id":9007199254740993,"d":12345678901234567890.123,"v":"b"}]'

let server: LocalServer
beforeAll(async () => {
  server = await localServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(PAGE)
  })
})
const dir = mkdtempSync(join(tmpdir(), 'sluice-rest-exact-'))
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

async function read(over: Partial<RestStream> = {}) {
  const sink = memory()
  const report = await syncInto(rest({ baseUrl: server.url, retry: false, streams: [{ table: 't', path: '/', primaryKey: ['id'], ...over }] }), sink)
  expectSucceeded(report)
  return { report, rows: destRows(sink, 't'), layout: (await sink.describe!()).find((l) => l.table === 't')! }
}

describe('rest keeps numbers beyond a double exact', () => {
  it('lands two ids one apart beyond 2^53 as two rows with exact bigint ids (they used to collapse into one)', async () => {
    const { report, rows, layout } = await read()
    expect(report.rows).toBe(2)
    expect(rows.map((r) => r['id'])).toEqual([9007199254740992n, 9007199254740993n])
    expect(layout.columns.find((c) => c.source === 'id')?.type).toBe('LONG')
  })

  it('keeps declared LONG and DECIMAL(38,3) columns exact', async () => {
    const { rows, layout } = await read({ columns: { id: 'LONG', d: 'DECIMAL(38,3)' } })
    expect(rows).toEqual([
      { id: 9007199254740992n, d: '1', v: 'a' },
      { id: 9007199254740993n, d: '12345678901234567890.123', v: 'b' },
    ])
    expect(Object.fromEntries(layout.columns.map((c) => [c.source, c.type]))).toMatchObject({ id: 'LONG', d: 'DECIMAL(38,3)' })
  })
  it('makes a declared LONG an INTEGER column in SQLite holding the exact ids, and DECIMAL(38,3) exact text (it became REAL)', async () => {
    const path = join(dir, 'w.db')
    const report = await sync({
      source: rest({ baseUrl: server.url, retry: false, streams: [{ table: 't', path: '/', primaryKey: ['id'], columns: { id: 'LONG', d: 'DECIMAL(38,3)' } }] }),
      destination: sqlite({ path }),
    })
    expect(report.status).toBe('succeeded')
    const db = new Database(path, { readonly: true })
    try {
      const types = db.prepare(`SELECT name, type FROM pragma_table_info('t') WHERE name IN ('id', 'd') ORDER BY name`).all()
      expect(types).toEqual([{ name: 'd', type: 'TEXT' }, { name: 'id', type: 'INTEGER' }])
      const rows = db.prepare('SELECT id, typeof(id) AS kind, d FROM t ORDER BY id').safeIntegers(true).all()
      expect(rows).toEqual([
        { id: 9007199254740992n, kind: 'integer', d: '1' },
        { id: 9007199254740993n, kind: 'integer', d: '12345678901234567890.123' },
      ])
    } finally {
      db.close()
    }
  })
})
