import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memory } from '../../../src/index.js'
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
afterAll(() => server.close())

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
})
