import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { memory, sync, type ColumnType, type Row } from '../../../src/index.js'
import { fileSource } from '../../../src/files.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-file-exact-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0

// Raw text: JSON.stringify can't write these numbers.
const ROWS = ['{"id":9007199254740992,"d":1}', '{"id":9007199254740993,"d":12345678901234567890.123}']
const FILES: Record<string, string> = {
  'rows.ndjson': ROWS.join('\n'),
  'rows.json': `[${ROWS.join(',')}]`,
  'rows.csv': 'id,d\n9007199254740992,1\n9007199254740993,12345678901234567890.123\n',
}

async function read(name: string, columns?: Record<string, ColumnType>): Promise<{ rows: Row[]; types: Record<string, ColumnType> }> {
  const dir = join(root, `d${n++}`)
  mkdirSync(dir)
  writeFileSync(join(dir, name), FILES[name]!)
  const sink = memory()
  const report = await sync({ source: fileSource({ path: dir, table: 't', primaryKey: ['id'], ...(columns ? { columns } : {}) }), destination: sink })
  expect(report.status).toBe('succeeded')
  const layout = (await sink.describe!()).find((l) => l.table === 't')!
  return { rows: sink.rows('t').map((r) => ({ id: r['id'], d: r['d'] })), types: Object.fromEntries(layout.columns.map((c) => [c.source, c.type])) as Record<string, ColumnType> }
}

describe('fileSource keeps numbers beyond a double exact', () => {
  for (const name of Object.keys(FILES)) {
    it(`${name}: declared LONG and DECIMAL(38,3) land digit for digit`, async () => {
      const { rows, types } = await read(name, { id: 'LONG', d: 'DECIMAL(38,3)' })
      expect(types).toMatchObject({ id: 'LONG', d: 'DECIMAL(38,3)' })
      expect(rows).toEqual([
        { id: 9007199254740992n, d: '1' },
        { id: 9007199254740993n, d: '12345678901234567890.123' },
      ])
    })

    it(`${name}: undeclared ids beyond 2^53 stay two exact LONG keys`, async () => {
      const { rows, types } = await read(name)
      expect(types['id']).toBe('LONG')
      expect(rows.map((r) => r['id'])).toEqual([9007199254740992n, 9007199254740993n])
    })
  }
})
