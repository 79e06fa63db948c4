import { DuckDBInstance } from '@duckdb/node-api'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { files } from '../../../src/files.js'
import { op, sync, type Row, type State } from '../../../src/index.js'
import { loadOptional } from '../../../src/core/load-optional.js'
import { flatten } from '../../../src/stage/flatten.js'
import { normRows, page, scripted } from '../../support/sources.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-files-sink-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
// The shared suites run over every format (files-parquet, files-arrow, files-ndjson, files-csv) in
// test/sink/matrix/, where history mode is asserted refused: a lake is a log, it keeps no SCD2 versions.

const ALL = {
  id: 'INT', flag: 'BOOLEAN', small: 'SHORT', big: 'LONG', price: 'DECIMAL(20,4)', f: 'FLOAT', d: 'DOUBLE', day: 'NAIVE_DATE',
  local: 'NAIVE_DATETIME', at: 'UTC_DATETIME', bytes: 'BINARY', text: 'STRING', doc: 'JSON',
} as const
const typedRows: Row[] = [
  {
    id: 1, flag: true, small: -3, big: 2n ** 62n + 7n, price: '-12345678.9012', f: 0.1, d: 1 / 3, day: '1969-07-20', local: '2026-11-22T10:11:12.000001',
    at: '2026-11-22T10:11:12.123456Z', bytes: new Uint8Array([0, 1, 255]), text: 'quote " comma , newline \r\n and ž 🐎', doc: { a: [1, { b: null }], s: 'x"y' },
  },
  { id: 2, flag: false, small: 0, big: 0, price: '0.0000', f: -0, d: -1e300, day: '2026-02-28', local: '2026-01-01T00:00:00', at: '1970-01-01T00:00:00Z', bytes: new Uint8Array(0), text: '', doc: [] },
  { id: 3 },
]
const typedSource = (rows: Row[]) => ({
  tables: () => [{ table: 'typed', primaryKey: ['id'], columns: ALL }],
  async *read() {
    yield op.upsert('typed', rows).withTypes(ALL)
    yield op.checkpoint({ done: true })
  },
})
const withoutSystem = (rows: Row[]) => rows.map(({ _sluice_synced, _sluice_deleted, ...rest }) => rest)

/** What read() gives back for `typedRows`: FLOAT as the float's double, LONG beyond 2^53 as bigint, absent columns NULL. */
function expectedTyped(): Row[] {
  return typedRows.map((r) => {
    const out: Row = {}
    for (const k of Object.keys(ALL)) out[k] = r[k] === undefined ? null : k === 'f' ? Math.fround(r[k] as number) : k === 'big' && typeof r[k] === 'bigint' ? r[k] : r[k]
    if (out.local === '2026-01-01T00:00:00') out.local = '2026-01-01T00:00:00'
    return out
  })
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

describe('files sink', () => {
  for (const format of ['parquet', 'arrow', 'ndjson', 'csv'] as const) {
    it(`round-trips every column type exactly through ${format} files`, async () => {
      const dir = join(root, `typed-${format}`)
      const sink = files({ dir, format })
      expect((await sync({ destination: sink, source: typedSource(typedRows) })).status).toBe('succeeded')
      expect(withoutSystem(await sink.read!({ table: 'typed' }))).toEqual(expectedTyped())
    })
  }

  it('writes Parquet that other engines read with native types (DuckDB read_parquet)', async () => {
    const dir = join(root, 'interop-parquet')
    await sync({ destination: files({ dir, format: 'parquet' }), source: typedSource(typedRows) })
    const manifest = JSON.parse(readFileSync(join(dir, '_sluice', readdirSync(join(dir, '_sluice'))[0]!), 'utf8')) as { files: { path: string }[] }
    const file = join(dir, manifest.files[0]!.path)
    const types = await duck(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${file}'))`)
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
      id: 'INTEGER', flag: 'BOOLEAN', small: 'SMALLINT', big: 'BIGINT', price: 'DECIMAL(20,4)', f: 'FLOAT', d: 'DOUBLE', day: 'DATE',
      local: 'TIMESTAMP', at: 'TIMESTAMP WITH TIME ZONE', bytes: 'BLOB', text: 'VARCHAR', _sluice_synced: 'TIMESTAMP WITH TIME ZONE', _sluice_deleted: 'BOOLEAN', _sluice_op: 'VARCHAR',
    })
    expect(await duck(`SELECT price::VARCHAR AS p, epoch_us("at") AS us, "text" FROM read_parquet('${file}') WHERE id = 1`)).toEqual([
      { p: '-12345678.9012', us: '1795342272123456', text: 'quote " comma , newline \r\n and ž 🐎' },
    ])
  })

  it('writes RFC 4180 CSV with a header: quotes doubled, fields with commas or CR/LF quoted, NULL empty and the empty string ""', async () => {
    const dir = join(root, 'csv-text')
    await sync({ destination: files({ dir, format: 'csv' }), source: scripted([op.upsert('t', [{ id: 1, s: 'a "b", c\r\nd' }, { id: 2, s: '' }, { id: 3, s: null }]), op.checkpoint({})]) })
    const text = readFileSync(join(dir, 't', readdirSync(join(dir, 't'))[0]!), 'utf8')
    const lines = text.split('\r\n')
    expect(lines[0]).toBe('id,s,_sluice_synced,_sluice_deleted,_sluice_op,_sluice_columns')
    expect(text).toContain('1,"a ""b"", c\r\nd",')
    expect(lines.find((l) => l.startsWith('2,'))).toMatch(/^2,"",\S+Z,false,upsert,$/)
    expect(lines.find((l) => l.startsWith('3,'))).toMatch(/^3,,\S+Z,false,upsert,$/)
    // Another reader agrees (told that a quoted empty field is an empty string, not NULL).
    const file = join(dir, 't', readdirSync(join(dir, 't'))[0]!)
    expect(await duck(`SELECT id::INT AS id, s FROM read_csv('${file}', header = true, quote = '"', escape = '"', allow_quoted_nulls = false) ORDER BY id`)).toEqual([
      { id: 1, s: 'a "b", c\r\nd' }, { id: 2, s: '' }, { id: 3, s: null },
    ])
  })

  it('is a log: upserts, updates and deletes are event rows; an update lists the columns it sets', async () => {
    const dir = join(root, 'log')
    await sync({
      destination: files({ dir, format: 'ndjson' }),
      source: scripted([op.upsert('t', [{ id: 1, a: 'x', b: 'y' }]), op.update('t', { id: 1, b: null }), op.delete('t', { id: 1 }), op.checkpoint({})]),
    })
    const lines = readFileSync(join(dir, 't', readdirSync(join(dir, 't'))[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row)
    expect(lines.map(({ _sluice_synced, ...rest }) => rest)).toEqual([
      { id: 1, a: 'x', b: 'y', _sluice_deleted: false, _sluice_op: 'upsert', _sluice_columns: null },
      { id: 1, a: null, b: null, _sluice_deleted: false, _sluice_op: 'update', _sluice_columns: '["id","b"]' },
      { id: 1, a: null, b: null, _sluice_deleted: true, _sluice_op: 'delete', _sluice_columns: null },
    ])
    expect(normRows(await files({ dir, format: 'ndjson' }).read!({ table: 't' }))).toEqual([{ id: 1, a: 'x', b: null, _sluice_deleted: 1 }])
  })

  it('rotates files by rows and by bytes; a manifest lists each file with its rows, bytes and schema', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({ id: i, pad: 'x'.repeat(100) }))
    const byRows = join(root, 'rotate-rows')
    await sync({ destination: files({ dir: byRows, format: 'csv', rotate: { rows: 1000 } }), source: scripted([op.upsert('t', rows.slice(0, 1500)), op.upsert('t', rows.slice(1500)), op.checkpoint({})]) })
    const manifest = JSON.parse(readFileSync(join(byRows, '_sluice', readdirSync(join(byRows, '_sluice'))[0]!), 'utf8')) as { files: { path: string; rows: number; bytes: number; columns: unknown[] }[] }
    expect(manifest.files.map((f) => f.rows)).toEqual([1500, 1000])
    expect(manifest.files.every((f) => f.bytes === statSync(join(byRows, f.path)).size && f.columns.length === 6)).toBe(true)
    const byBytes = join(root, 'rotate-bytes')
    await sync({ destination: files({ dir: byBytes, format: 'ndjson', rotate: { bytes: 100_000 } }), source: scripted([...rows.map((r) => op.upsert('t', r)), op.checkpoint({})]) })
    expect(readdirSync(join(byBytes, 't')).length).toBeGreaterThan(3)
    expect(await files({ dir: byBytes, format: 'ndjson' }).read!({ table: 't' })).toHaveLength(2500)
  })

  it('keeps only committed files: a failed sync leaves no file behind, and files no manifest lists are removed at the next open', async () => {
    const dir = join(root, 'failed')
    const sink = files({ dir, format: 'parquet' })
    await sync({ destination: sink, source: scripted([...page('t', [{ id: 1 }], { n: 1 }), op.upsert('t', [{ id: 2 }])], { failWith: new Error('boom') }) })
    expect(readdirSync(join(dir, 't'))).toHaveLength(1)
    writeFileSync(join(dir, 't', 'part-crashed-00001.parquet.tmp'), 'half a file')
    writeFileSync(join(dir, 't', 'part-crashed-00002.parquet'), 'renamed but never committed')
    await sync({ destination: sink, source: scripted(page('t', [{ id: 3 }], { n: 2 })) })
    expect(readdirSync(join(dir, 't')).filter((f) => f.includes('crashed'))).toEqual([])
    expect((await sink.read!({ table: 't' })).map((r) => r.id)).toEqual([1, 3])
  })

  it('commits at the manifest: after a crash between the manifest and the state file the next sync resumes from the manifest', async () => {
    const dir = join(root, 'commit-point')
    const sink = files({ dir, format: 'ndjson' })
    await sync({ destination: sink, connectorId: 'c', source: scripted(page('t', [{ id: 1 }], { n: 1 })) })
    const stale = readFileSync(join(dir, '_sluice_state.json'), 'utf8')
    await sync({ destination: sink, connectorId: 'c', source: scripted(page('log', [{ id: 2 }], { n: 2 }), { tables: [{ table: 'log', mode: 'append' }] }) })
    writeFileSync(join(dir, '_sluice_state.json'), stale) // as if the process died right after writing the manifest
    let seen: State | undefined
    await sync({ destination: sink, connectorId: 'c', source: { async *read({ state }) { seen = state } } })
    expect(seen).toEqual({ n: 2 })
    expect(await sink.read!({ table: 'log' })).toHaveLength(1) // not re-read, so the append table has no duplicate
  })

  it('resets a connector so that no manifest brings its state back', async () => {
    const dir = join(root, 'reset')
    const sink = files({ dir, format: 'csv' })
    await sync({ destination: sink, connectorId: 'c', source: scripted(page('t', [{ id: 1 }], { n: 1 })) })
    await sink.resetState!({ connectorId: 'c' })
    let seen: State | undefined = { not: 'read' }
    await sync({ destination: sink, connectorId: 'c', source: { async *read({ state }) { seen = state } } })
    expect(seen).toBeUndefined()
  })

  it('records schema history and describes tables', async () => {
    const dir = join(root, 'history')
    const sink = files({ dir, format: 'arrow' })
    await sync({ destination: sink, source: scripted([...page('t', [{ id: 1 }], { n: 1 }), ...page('t', [{ id: 2, v: 1.5 }], { n: 2 })]) })
    expect((await sink.schemaHistory!()).map((h) => [h.change, h.column, h.newType])).toEqual([['create_table', null, null], ['add_column', 'v', 'DOUBLE']])
    expect((await sink.describe!())[0]).toMatchObject({ table: 't', name: 't', columns: [{ name: 'id', type: 'INT' }, { name: 'v', type: 'DOUBLE' }] })
  })

  it('keeps each sync report in its manifest (history, newest first, failed ones too) and pause flags in _sluice/connector-<id>.json', async () => {
    const dir = join(root, 'control')
    const sink = files({ dir, format: 'ndjson' })
    expect(await sink.history!({ connectorId: 'c' })).toEqual([])
    const first = await sync({ destination: sink, connectorId: 'c', source: scripted(page('t', [{ id: 1 }], { n: 1 })) })
    const failed = await sync({ destination: sink, connectorId: 'c', source: scripted([op.upsert('t', { id: 2 })], { failWith: new Error('boom') }) })
    await sync({ destination: sink, connectorId: 'other', source: scripted(page('t', [{ id: 3 }], { n: 1 })) })
    const history = await sink.history!({ connectorId: 'c' })
    expect(history.map((h) => h.syncId)).toEqual([failed.syncId, first.syncId])
    expect(history[0]).toMatchObject({ status: 'failed', error: { message: 'boom' } })
    expect(await sink.history!({ connectorId: 'c', limit: 1 })).toHaveLength(1)
    expect(await sink.loadConnector!({ connectorId: 'c' })).toBeUndefined()
    await sink.saveConnector!({ connectorId: 'c', paused: true })
    expect(await files({ dir, format: 'ndjson' }).loadConnector!({ connectorId: 'c' })).toMatchObject({ paused: true, updatedAt: expect.any(String) })
  })

  it('child tables from flatten() are logged keyed as their create_table message says', async () => {
    const sink = files({ dir: join(root, 'flatten'), format: 'parquet' })
    const run = (tags: string[]) =>
      sync({ destination: sink, source: scripted([op.upsert('users', { id: 1, tags }), op.checkpoint({})], { tables: [{ table: 'users', primaryKey: ['id'] }] }), stages: [flatten({ arrays: 'table' })] })
    expect((await run(['a', 'b'])).status).toBe('succeeded')
    expect((await run(['c', 'b'])).status).toBe('succeeded')
    const child = (await sink.describe!()).find((t) => t.table === 'users__tags')!
    expect(child.primaryKey).toEqual(['_sluice_parent_id', '_sluice_index'])
    const names = new Map(child.columns.map((c) => [c.source, c.name]))
    const rows = normRows(await sink.read!({ table: 'users__tags' })).map((r) => [r[names.get('_sluice_parent_id')!], r[names.get('_sluice_index')!], r.value])
    expect(rows.sort()).toEqual([[1, 0, 'c'], [1, 1, 'b']])
  })

  it('names the package to install when an optional Parquet library is missing', async () => {
    await expect(loadOptional('@sluice/not-installed-anywhere', 'Parquet files')).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('npm install @sluice/not-installed-anywhere'),
    })
  })

  it('refuses bad options when built, naming the option', () => {
    expect(() => files({ dir: '', format: 'csv' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('dir') }))
    expect(() => files({ dir: 'x', format: 'xlsx' as never })).toThrow(expect.objectContaining({ message: expect.stringContaining('format') }))
    expect(() => files({ dir: 'x', format: 'csv', rotate: { rows: 0 } })).toThrow(expect.objectContaining({ message: expect.stringContaining('rotate.rows') }))
  })
})
