import { Table, tableToIPC } from 'apache-arrow'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { batchFromRows, memory, op, sync, type Row, type Stage } from '../../../src/index.js'
import { toArrow } from '../../../src/arrow.js'
import { files, fileSource } from '../../../src/files.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-file-source-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshDir = () => {
  const dir = join(root, `d${n++}`)
  mkdirSync(dir, { recursive: true })
  return dir
}
/** Writes a file with a given modification time (seconds since epoch): the order the source reads in. */
function put(dir: string, name: string, data: string | Uint8Array, mtime: number): string {
  const path = join(dir, name)
  writeFileSync(path, data)
  utimesSync(path, mtime, mtime)
  return path
}
/** Parquet written by another writer (arrow-rs, through parquet-wasm), from Arrow as sluice builds it. */
async function writeParquet(table: Table): Promise<Uint8Array> {
  const wasm = await import('parquet-wasm')
  return wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, 'stream')), new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).build())
}
const strip = (rows: Row[]) => rows.map(({ _sluice_synced, _sluice_deleted, _sluice_id, ...rest }) => rest)

describe('fileSource', () => {
  it('reads CSV with quotes, commas and newlines inside fields exactly; NULL and the empty string stay apart', async () => {
    const dir = freshDir()
    put(dir, 'notes.csv', 'id,note,tag,score,zip\r\n1,"line one\r\nline ""two"", still",,1.5,007\r\n2,"",x,,01234\n3,plain,"a,b",-4,x\n', 1_700_000_000)
    const sink = memory()
    const report = await sync({ source: fileSource({ path: dir, primaryKey: ['id'] }), destination: sink })
    expect(report.status).toBe('succeeded')
    expect(strip(sink.rows('notes'))).toEqual([
      { id: 1, note: 'line one\r\nline "two", still', tag: null, score: 1.5, zip: '007' },
      { id: 2, note: '', tag: 'x', score: null, zip: '01234' },
      { id: 3, note: 'plain', tag: 'a,b', score: -4, zip: 'x' },
    ])
    expect(sink.rows('notes').length).toBe(3)
  })

  it('reads a .tsv file as tab-separated', async () => {
    const dir = freshDir()
    put(dir, 'people.tsv', 'id\tname\n1\tAda, Countess\n', 1_700_000_000)
    const sink = memory()
    await sync({ source: fileSource({ path: dir, primaryKey: ['id'] }), destination: sink })
    expect(strip(sink.rows('people'))).toEqual([{ id: 1, name: 'Ada, Countess' }])
  })

  it('applies declared column types to CSV text (JSON parsed, BINARY from base64, DECIMAL exact)', async () => {
    const dir = freshDir()
    put(dir, 't.csv', 'id,doc,raw,price,at\n1,"{""a"":[1,2]}",AAH/,12345678901234.5678,2026-01-02T03:04:05.123456Z\n', 1_700_000_000)
    const sink = memory()
    await sync({
      source: fileSource({ path: join(dir, 't.csv'), table: 't', primaryKey: ['id'], columns: { doc: 'JSON', raw: 'BINARY', price: 'DECIMAL(20,4)', at: 'UTC_DATETIME' } }),
      destination: sink,
    })
    expect(strip(sink.rows('t'))).toEqual([{ id: 1, doc: { a: [1, 2] }, raw: new Uint8Array([0, 1, 255]), price: '12345678901234.5678', at: '2026-01-02T03:04:05.123456Z' }])
  })

  it('records a truncated Parquet file in _sluice_errors and still syncs the other files', async () => {
    const dir = freshDir()
    const good = await writeParquet(new Table([toArrow(batchFromRows([{ id: 1, v: 'a' }, { id: 2, v: 'b' }]))]))
    put(dir, 'a.parquet', good, 1_700_000_000)
    put(dir, 'b.parquet', good.subarray(0, good.length - 20), 1_700_000_001) // footer cut off
    put(dir, 'c.parquet', await writeParquet(new Table([toArrow(batchFromRows([{ id: 3, v: 'c' }]))])), 1_700_000_002)
    const sink = memory()
    const report = await sync({ source: fileSource({ path: dir, table: 'items', primaryKey: ['id'] }), destination: sink })
    expect(report.status).toBe('succeeded')
    expect(strip(sink.rows('items'))).toEqual([{ id: 1, v: 'a' }, { id: 2, v: 'b' }, { id: 3, v: 'c' }])
    const errors = await sink.readErrors!()
    expect(errors).toEqual([expect.objectContaining({ kind: 'file', table: 'items', code: 'FILE_PARSE', context: expect.objectContaining({ path: join(dir, 'b.parquet') }) })])
    expect(errors[0]!.message).toContain('b.parquet')
  })

  it('records a broken NDJSON line and keeps reading the lines after it (policy: line-level)', async () => {
    const dir = freshDir()
    put(dir, 'events.ndjson', '{"id":1,"v":"a"}\n{"id":2,"v":\n\n{"id":3,"big":12345678901234567890}\r\n[1,2]\n{"id":4}', 1_700_000_000)
    const sink = memory()
    const report = await sync({ source: fileSource({ path: dir, primaryKey: ['id'] }), destination: sink })
    expect(report.status).toBe('succeeded')
    expect(report.errors).toBe(2)
    expect(strip(sink.rows('events'))).toEqual([
      { id: 1, v: 'a', big: null },
      { id: 3, v: null, big: '12345678901234567890' },
      { id: 4, v: null, big: null },
    ])
    expect(await sink.readErrors!()).toEqual([
      expect.objectContaining({ kind: 'record', code: 'FILE_PARSE', context: { path: join(dir, 'events.ndjson'), line: 2 }, record: { text: '{"id":2,"v":' } }),
      expect.objectContaining({ kind: 'record', code: 'FILE_PARSE', context: { path: join(dir, 'events.ndjson'), line: 5 }, message: expect.stringContaining('expected a JSON object') }),
    ])
  })

  it('records a CSV file with a broken quote as a whole (rows before the error are kept) and syncs the next file', async () => {
    const dir = freshDir()
    put(dir, 'a.csv', 'id,v\n1,x\n2,"never closed\n', 1_700_000_000)
    put(dir, 'b.csv', 'id,v\n3,y\n', 1_700_000_001)
    const sink = memory()
    await sync({ source: fileSource({ path: join(dir, '*.csv'), table: 't', primaryKey: ['id'], batchSize: 1 }), destination: sink })
    expect(strip(sink.rows('t'))).toEqual([{ id: 1, v: 'x' }, { id: 3, v: 'y' }])
    expect(await sink.readErrors!()).toEqual([expect.objectContaining({ kind: 'file', code: 'FILE_PARSE', context: expect.objectContaining({ line: 3 }) })])
  })

  it('records a CSV file whose field declared JSON is no JSON as FILE_PARSE naming the column (it was a raw SyntaxError, recorded as FILE_READ)', async () => {
    const dir = freshDir()
    put(dir, 'a.csv', 'id,doc\n1,"{""a"":1}"\n2,{oops\n', 1_700_000_000)
    const sink = memory()
    await sync({ source: fileSource({ path: join(dir, 'a.csv'), table: 't', primaryKey: ['id'], columns: { doc: 'JSON' } }), destination: sink })
    expect(await sink.readErrors!()).toEqual([expect.objectContaining({ kind: 'file', code: 'FILE_PARSE', message: expect.stringContaining('CSV column doc is declared JSON'), context: expect.objectContaining({ column: 'doc' }) })])
  })

  it('records a Parquet file whose JSON column holds text that is no JSON as FILE_PARSE naming the column (it was a raw SyntaxError, recorded as FILE_READ)', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer')
    const dir = freshDir()
    const buffer = parquetWriteBuffer({
      columnData: [{ name: 'id', data: [1, 2], type: 'INT32' }, { name: 'doc', data: ['{"a":1}', '{oops'], type: 'STRING' }],
      kvMetadata: [{ key: 'sluice.types', value: JSON.stringify({ id: 'INT', doc: 'JSON' }) }],
    })
    put(dir, 'a.parquet', new Uint8Array(buffer), 1_700_000_000)
    const sink = memory()
    await sync({ source: fileSource({ path: join(dir, 'a.parquet'), table: 't', primaryKey: ['id'] }), destination: sink })
    expect(await sink.readErrors!()).toEqual([expect.objectContaining({ kind: 'file', code: 'FILE_PARSE', message: expect.stringContaining('Parquet column doc'), context: expect.objectContaining({ column: 'doc' }) })])
  })

  it('records a file that is not valid UTF-8 instead of replacing bytes', async () => {
    const dir = freshDir()
    put(dir, 'bad.ndjson', Buffer.concat([Buffer.from('{"id":1,"v":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]), 1_700_000_000)
    const sink = memory()
    await sync({ source: fileSource({ path: dir }), destination: sink })
    expect(sink.rows('bad')).toEqual([])
    expect(await sink.readErrors!()).toEqual([expect.objectContaining({ kind: 'file', code: 'FILE_PARSE', message: expect.stringContaining('UTF-8') })])
  })

  it('reads a JSON array of objects, one element at a time, and records a bad element', async () => {
    const dir = freshDir()
    put(dir, 'people.json', '[\n {"id": 1, "tags": ["a", "]"]},\n {"id": 2, "name": "Ada \\"The\\" Countess"},\n 42\n]', 1_700_000_000)
    const sink = memory()
    await sync({ source: fileSource({ path: dir, primaryKey: ['id'] }), destination: sink })
    expect(strip(sink.rows('people'))).toEqual([{ id: 1, tags: ['a', ']'], name: null }, { id: 2, tags: null, name: 'Ada "The" Countess' }])
    expect(await sink.readErrors!()).toEqual([expect.objectContaining({ kind: 'record', context: expect.objectContaining({ line: 3 }) })])
  })

  it('reads every Parquet type exactly: DECIMAL digits, microsecond timestamps (zoned and naive), dates, 64-bit integers, bytes', async () => {
    const dir = freshDir()
    const row = {
      id: 1, flag: true, small: -3, big: 2n ** 60n + 1n, f: 0.5, d: 0.1, price: '12345678901234567.8912', at: '2026-11-22T10:11:12.123456Z',
      local: '2026-11-22T10:11:12.654321', day: '1969-07-20', bytes: new Uint8Array([0, 255]), text: 'žluť', doc: { a: [1, null] },
    }
    const types = { small: 'SHORT', big: 'LONG', f: 'FLOAT', price: 'DECIMAL(38,4)', local: 'NAIVE_DATETIME', day: 'NAIVE_DATE', doc: 'JSON' } as const
    put(dir, 'all.parquet', await writeParquet(new Table([toArrow(batchFromRows([row, { id: 2 }], { columns: types }))])), 1_700_000_000)
    const sink = memory()
    const report = await sync({ source: fileSource({ path: dir, primaryKey: ['id'] }), destination: sink })
    expect(report.status).toBe('succeeded')
    const [first, second] = strip(sink.rows('all'))
    expect(first).toEqual({ ...row, price: '12345678901234567.8912', doc: '{"a":[1,null]}' })
    expect(Object.values(second!).filter((v) => v !== null)).toEqual([2])
    const described = (await sink.describe!())[0]!.columns.map((c) => [c.name, c.type])
    expect(described).toEqual([
      ['id', 'INT'], ['flag', 'BOOLEAN'], ['small', 'SHORT'], ['big', 'LONG'], ['f', 'FLOAT'], ['d', 'DOUBLE'], ['price', 'DECIMAL(38,4)'], ['at', 'UTC_DATETIME'],
      ['local', 'NAIVE_DATETIME'], ['day', 'NAIVE_DATE'], ['bytes', 'BINARY'], ['text', 'STRING'], ['doc', 'STRING'],
    ])
  })

  it("reads the files sink's own Parquet back with its types, JSON included (from the file's sluice.types metadata)", async () => {
    const lake = freshDir()
    const columns = { id: 'INT', doc: 'JSON', price: 'DECIMAL(30,4)', at: 'UTC_DATETIME' } as const
    const row = { id: 1, doc: { n: 12345678901234567890n, s: 'x' }, price: '-123456789012345678901234.5678', at: '9999-12-31T23:59:59.999Z' }
    await sync({ destination: files({ dir: lake, format: 'parquet' }), source: { tables: () => [{ table: 't', primaryKey: ['id'], columns }], async *read() { yield op.upsert('t', [row]).withTypes(columns); yield op.checkpoint({}) } } })
    const sink = memory()
    const texts: unknown[] = []
    const spy: Stage = async function* (messages) {
      for await (const m of messages) {
        if (m.kind === 'records') texts.push(m.batch.column('doc')?.values[0])
        yield m
      }
    }
    await sync({ source: fileSource({ path: join(lake, 't'), table: 't', primaryKey: ['id'] }), destination: sink, stages: [spy] })
    expect(texts).toEqual(['{"n":12345678901234567890,"s":"x"}'])
    const [got] = sink.rows('t')
    // A bigint inside a JSON value is stored as the exact JSON number, and read back (valueAt) as the bigint.
    expect(got).toMatchObject({ id: 1, doc: { n: 12345678901234567890n, s: 'x' }, price: '-123456789012345678901234.5678', at: '9999-12-31T23:59:59.999Z', _sluice_op: 'upsert' })
    expect(Object.fromEntries((await sink.describe!())[0]!.columns.map((c) => [c.name, c.type]))).toMatchObject({ doc: 'JSON', price: 'DECIMAL(30,4)', at: 'UTC_DATETIME' })
  })

  it('a second sync reads only files added or modified since (by modification time, then path)', async () => {
    const dir = freshDir()
    put(dir, 'a.csv', 'id,v\n1,a\n', 1_700_000_000)
    put(dir, 'b.csv', 'id,v\n2,b\n', 1_700_000_010)
    const sink = memory()
    const read: string[] = []
    const spy: Stage = async function* (messages) {
      for await (const m of messages) {
        if (m.kind === 'records') read.push(...m.batch.toRows().map((r) => String(r.v)))
        yield m
      }
    }
    const source = () => fileSource({ path: dir, table: 't', primaryKey: ['id'], id: 'files' })
    await sync({ source: source(), destination: sink, stages: [spy] })
    expect(read).toEqual(['a', 'b'])
    read.length = 0
    await sync({ source: source(), destination: sink, stages: [spy] })
    expect(read).toEqual([])
    put(dir, 'c.csv', 'id,v\n3,c\n', 1_700_000_020) // new
    put(dir, 'a.csv', 'id,v\n1,a2\n', 1_700_000_030) // modified: read again, after c
    put(dir, 'old.csv', 'id,v\n9,old\n', 1_600_000_000) // new but older than what was read: not picked up (by design)
    await sync({ source: source(), destination: sink, stages: [spy] })
    expect(read).toEqual(['c', 'a2'])
    expect(strip(sink.rows('t'))).toEqual([{ id: 1, v: 'a2' }, { id: 2, v: 'b' }, { id: 3, v: 'c' }])
  })

  it('resumes a stopped sync inside a file after the last batch written: an append table gets every row once', async () => {
    const dir = freshDir()
    put(dir, 'log.ndjson', Array.from({ length: 10 }, (_, i) => JSON.stringify({ seq: i })).join('\n'), 1_700_000_000)
    const sink = memory()
    let batches = 0
    const failAfterThree: Stage = async function* (messages) {
      for await (const m of messages) {
        if (m.kind === 'records' && ++batches === 4) throw new Error('crash in the middle of the file')
        yield m
      }
    }
    const source = () => fileSource({ path: dir, table: 'log', mode: 'append', batchSize: 3, id: 'log' })
    const first = await sync({ source: source(), destination: sink, stages: [failAfterThree] })
    expect(first.status).toBe('failed')
    expect(sink.rows('log').map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    await sync({ source: source(), destination: sink })
    expect(sink.rows('log').map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('takes the table name from the file name and finds files by glob (** across directories) or directory', async () => {
    const dir = freshDir()
    mkdirSync(join(dir, '2026', '01'), { recursive: true })
    put(dir, '2026/01/orders.ndjson', '{"id":1}\n', 1_700_000_000)
    put(dir, '2026/customers.ndjson', '{"id":7}\n', 1_700_000_001)
    put(dir, '2026/01/notes.txt', 'not data', 1_700_000_002)
    put(dir, '_in_progress.ndjson', '{"id":99}\n', 1_700_000_003)
    const sink = memory()
    const report = await sync({ source: fileSource({ path: join(dir, '**/*.ndjson') }), destination: sink })
    expect(Object.keys(report.tables).sort()).toEqual(['customers', 'orders'])
    const viaDir = memory()
    await sync({ source: fileSource({ path: dir }), destination: viaDir })
    expect((await viaDir.describe!()).map((t) => t.table).sort()).toEqual(['customers', 'orders'])
  })

  it('refuses bad options when built, naming the option', () => {
    expect(() => fileSource({ path: '' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('path') }))
    expect(() => fileSource({ path: 'x', format: 'xml' as never })).toThrow(expect.objectContaining({ message: expect.stringContaining('format') }))
    expect(() => fileSource({ path: 'x', batchSize: 0 })).toThrow(expect.objectContaining({ message: expect.stringContaining('batchSize') }))
    expect(() => fileSource({ path: 'x', columns: { a: 'NUMBER' as never } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('fails the sync with a clear error when the path does not exist', async () => {
    const report = await sync({ source: fileSource({ path: join(root, 'missing', '*.csv') }), destination: memory() })
    expect(report.status).toBe('failed')
    expect(report.error?.message).toContain('does not exist')
  })

  it('stops reading when the sync is aborted, at the next checkpoint', async () => {
    const dir = freshDir()
    put(dir, 'big.ndjson', Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: i })).join('\n'), 1_700_000_000)
    const controller = new AbortController()
    let seen = 0
    const stopper: Stage = async function* (messages) {
      for await (const m of messages) {
        if (m.kind === 'records' && ++seen === 2) controller.abort()
        yield m
      }
    }
    const sink = memory()
    const report = await sync({ source: fileSource({ path: dir, primaryKey: ['id'], batchSize: 100 }), destination: sink, stages: [stopper], signal: controller.signal })
    expect(report.status).toBe('stopped')
    expect(sink.rows('big').length).toBe(200)
  })
})
