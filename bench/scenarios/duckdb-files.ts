/**
 * Two scenarios on the LIMITS.md "orders" rows (7 mixed columns), one transaction/checkpoint per
 * 10k rows:
 *
 * `duckdb` — memory → DuckDB upsert into an empty table with a primary key. The limit (LIMITS.md
 * 5) is what a user writes against `@duckdb/node-api`: the appender, row-wise `append*` calls,
 * one appender (= one commit) per 10k rows. The library adds what a sync must do on top: infer
 * types into a columnar batch, create the table, the system columns, upsert semantics (a batch
 * whose keys are all new is appended straight into the table; otherwise staged and merged with
 * ON CONFLICT), and the state committed with the rows. "re-upsert" is the merge path: the same
 * rows again over existing keys.
 *
 * `parquet-files` — memory → Parquet files. The limit: rows → Arrow with the stock
 * `vectorFromArray` per column → one `parquet-wasm` file. The library writes its columnar batches
 * (built once into Arrow) through `parquet-wasm` as a log with 4 system columns, a file per
 * checkpoint made durable (fsync, rename, manifest). The `hyparquet-writer` peer is the writer
 * the files sink did not choose, fed the same event batches as "sink alone" (the fair comparison
 * of the two writers). File sizes are printed by each run (stderr).
 */
import { DuckDBInstance } from '@duckdb/node-api'
import { Bool, Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { batchFromRows, fromIterable, sync, type Batch, type SyncReport } from '../../src/index.js'
import { duckdb } from '../../src/duckdb.js'
import { files } from '../../src/files.js'
import { logBatch } from '../../src/sink/files/log-batch.js'
import { planTable, reconcile } from '../../src/sink/layout/table-layout.js'
import { chunks, generateOrders, ORDER_COLUMNS, type Order } from '../harness/generate-orders.js'
import { defineCase, type Scenario } from '../harness/scenario.js'
import { tempDir } from '../harness/temp-dir.js'

const CHECKPOINT_ROWS = 10_000
const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const

interface Prepared {
  dir: { path: string; remove(): void }
  target: string
  batches?: Batch[]
}

const fresh = (prefix: string) => (): Prepared => {
  const dir = tempDir(prefix)
  return { dir, target: join(dir.path, 'warehouse.duckdb') }
}
const cleanup = (p: Prepared) => p.dir.remove()

/** The hand-written loop: appender, row-wise appends, one appender (one commit) per 10k rows. */
async function rawAppender(path: string, rows: readonly Order[]): Promise<void> {
  const instance = await DuckDBInstance.create(path)
  const connection = await instance.connect()
  await connection.run(
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TIMESTAMPTZ, email VARCHAR, name VARCHAR, amount DOUBLE, active BOOLEAN, tags VARCHAR)',
  )
  for (let start = 0; start < rows.length; start += CHECKPOINT_ROWS) {
    const appender = await connection.createAppender('orders')
    for (let i = start; i < Math.min(rows.length, start + CHECKPOINT_ROWS); i++) {
      const r = rows[i]!
      appender.appendInteger(r.id)
      appender.appendVarchar(r.updated_at) // DuckDB casts ISO text to TIMESTAMPTZ
      appender.appendVarchar(r.email)
      appender.appendVarchar(r.name)
      appender.appendDouble(r.amount)
      appender.appendBoolean(r.active)
      appender.appendVarchar(r.tags)
      appender.endRow()
    }
    appender.closeSync()
  }
  connection.closeSync()
  instance.closeSync()
}

/** Untimed: every row is there, and sampled rows hold exactly the input values. */
async function verifyDuckDb(path: string, rows: readonly Order[]): Promise<void> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  const connection = await instance.connect()
  try {
    const count = Number((await connection.runAndReadAll('SELECT count(*) FROM orders')).getRows()[0]![0])
    if (count !== rows.length) throw new Error(`orders has ${count} rows, expected ${rows.length}`)
    for (let i = 0; i < rows.length; i += Math.max(1, Math.floor(rows.length / 97))) {
      const want = rows[i]!
      const reader = await connection.runAndReadAll(
        `SELECT id, epoch_ms(updated_at) AS at, email, name, amount, active, CAST(tags AS VARCHAR) AS tags FROM orders WHERE id = ${want.id}`,
      )
      const got = reader.getRowObjectsJS()[0]!
      const expected = { id: want.id, at: BigInt(Date.parse(want.updated_at)), email: want.email, name: want.name, amount: want.amount, active: want.active, tags: want.tags }
      for (const [k, v] of Object.entries(expected)) {
        if (got[k] !== v) throw new Error(`orders id ${want.id} column ${k}: got ${String(got[k])}, expected ${String(v)}`)
      }
    }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

async function sinkAlone(path: string, batches: readonly Batch[]): Promise<void> {
  const sink = duckdb({ path })
  await sink.open({ connectorId: 'bench', syncId: 'bench', tables: [{ table: 'orders', primaryKey: ['id'] }] })
  let done = 0
  for (const batch of batches) {
    await sink.write({ message: { kind: 'records', table: 'orders', op: 'upsert', batch } })
    done += batch.length
    await sink.checkpoint({ state: { rows: done } })
  }
  await sink.close({ status: 'succeeded', report: benchReport(done) })
}

const prebuilt = (prefix: string) => (rows: Order[]): Prepared => ({
  ...fresh(prefix)(),
  batches: chunks(rows, CHECKPOINT_ROWS).map((c) => batchFromRows(c, { table: 'orders' })),
})

const duckdbScenario: Scenario<Order[]> = {
  name: 'duckdb',
  title: 'memory → DuckDB upsert, empty table with a primary key, 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => generateOrders(rows),
  settings: () =>
    `${ORDER_COLUMNS} columns (int id, ISO timestamp, email, name, double, boolean, JSON text) · 1 commit per ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows · DuckDB file, default settings · fresh file per run`,
  cases: [
    defineCase<Order[], Prepared>({
      name: 'raw',
      label: 'raw loop: appender, row-wise appends',
      kind: 'raw',
      prepare: fresh('duckdb'),
      run: (p, rows) => rawAppender(p.target, rows),
      verify: (p, rows) => verifyDuckDb(p.target, rows),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'sync',
      label: 'sluice sync(fromIterable → duckdb): rows → Batch → upsert',
      kind: 'library',
      prepare: fresh('duckdb'),
      async run(p, rows) {
        const report = await sync({ source: fromIterable('orders', rows, { primaryKey: ['id'], batchSize: CHECKPOINT_ROWS }), destination: duckdb({ path: p.target }) })
        if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
      },
      verify: (p, rows) => verifyDuckDb(p.target, rows),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'sink',
      label: 'sluice duckdb sink alone, pre-built batches',
      kind: 'library',
      prepare: prebuilt('duckdb'),
      run: (p) => sinkAlone(p.target, p.batches!),
      verify: (p, rows) => verifyDuckDb(p.target, rows),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 're-upsert',
      label: 'sluice duckdb sink, same rows again over existing keys (ON CONFLICT merge)',
      kind: 'library',
      async prepare(rows) {
        const p = prebuilt('duckdb')(rows)
        await sinkAlone(p.target, p.batches!) // untimed: the table already holds every key
        return p
      },
      run: (p) => sinkAlone(p.target, p.batches!),
      verify: (p, rows) => verifyDuckDb(p.target, rows),
      cleanup,
    }),
  ],
}

const ARROW_TYPES = { id: new Int32(), updated_at: new Utf8(), email: new Utf8(), name: new Utf8(), amount: new Float64(), active: new Bool(), tags: new Utf8() }

/** The hand-written Parquet loop: stock Arrow builders per column (timestamps left as text), one parquet-wasm file. */
async function rawParquet(dir: string, rows: readonly Order[]): Promise<void> {
  const wasm = await import('parquet-wasm')
  const batches = chunks(rows as Order[], CHECKPOINT_ROWS).map((chunk) => {
    const vectors = COLUMNS.map((c) => vectorFromArray(chunk.map((r) => r[c] as never), ARROW_TYPES[c] as never))
    const fields = COLUMNS.map((c, i) => new Field(c, vectors[i]!.type, true))
    const data = makeData({ type: new Struct(fields), length: chunk.length, nullCount: 0, children: vectors.map((v) => v.data[0]!) })
    return new RecordBatch(new Schema(fields), data)
  })
  const properties = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).build()
  const bytes = wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(new Table(batches), 'stream')), properties)
  writeFileSync(join(dir, 'orders.parquet'), bytes)
}

/**
 * Peer: the Parquet writer the files sink did not choose — `hyparquet-writer` (pure JS) — fed the
 * same event batches the sink writes (the 7 columns and the 4 system columns), so both encode
 * the same data; typed arrays where it takes them, booleans and bigint micros where it needs them.
 */
async function hyparquetWriter(dir: string, events: readonly Batch[]): Promise<void> {
  const { ParquetWriter, fileWriter } = await import('hyparquet-writer')
  const element = (name: string, type: string): Record<string, unknown> => {
    const base = { name, repetition_type: 'OPTIONAL' }
    if (type === 'INT') return { ...base, type: 'INT32' }
    if (type === 'DOUBLE') return { ...base, type: 'DOUBLE' }
    if (type === 'BOOLEAN') return { ...base, type: 'BOOLEAN' }
    if (type === 'UTC_DATETIME') return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }
    return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' }
  }
  const first = events[0]!
  const schema = [{ name: 'root', num_children: first.columns.length }, ...first.columns.map((c) => element(c.name, c.type))]
  const writer = new ParquetWriter({ writer: fileWriter(join(dir, 'orders.parquet')), schema: schema as never, codec: 'SNAPPY' })
  for (const batch of events) {
    const columnData = batch.columns.map((c) => {
      const n = batch.length
      let data: unknown = c.values
      if (c.type === 'UTC_DATETIME') data = BigInt64Array.from(c.values as string[], (t) => BigInt(Date.parse(t)) * 1000n)
      else if (c.type === 'BOOLEAN') data = Array.from(c.values as Uint8Array, (v) => v === 1)
      else if (c.nullCount > 0) data = Array.from({ length: n }, (_, i) => (c.validity![i >> 3]! >> (i & 7)) & 1 ? (c.values as string[])[i] : null)
      return { name: c.name, data }
    })
    await writer.write({ columnData: columnData as never, rowGroupSize: 100_000 })
  }
  await writer.finish()
}

function reportFiles(label: string, dir: string, rows: number): void {
  let bytes = 0
  let count = 0
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else if (e.name.endsWith('.parquet')) {
        bytes += statSync(join(d, e.name)).size
        count++
      }
    }
  }
  walk(dir)
  if (count === 0) throw new Error(`${label}: no Parquet file written`)
  process.stderr.write(`    ${label}: ${count} Parquet file(s), ${(bytes / 2 ** 20).toFixed(1)} MB, ${(bytes / rows).toFixed(1)} B/row\n`)
}

const filesScenario = (batchSize: number) => async (p: Prepared, rows: Order[]) => {
  const report = await sync({
    source: fromIterable('orders', rows, { primaryKey: ['id'], batchSize }),
    destination: files({ dir: p.dir.path, format: 'parquet' }),
  })
  if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.message}`)
}

export const parquetFiles: Scenario<Order[]> = {
  name: 'parquet-files',
  title: 'memory → Parquet files (Snappy), 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => generateOrders(rows),
  settings: () => `${ORDER_COLUMNS} columns · Snappy · library: a file per checkpoint, fsync + rename + manifest each · fresh directory per run`,
  cases: [
    defineCase<Order[], Prepared>({
      name: 'raw',
      label: 'raw loop: vectorFromArray per column → parquet-wasm, one file',
      kind: 'raw',
      prepare: fresh('parquet'),
      run: (p, rows) => rawParquet(p.dir.path, rows),
      verify: (p, rows) => reportFiles('raw', p.dir.path, rows.length),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'sync',
      label: `sluice sync(fromIterable → files parquet), checkpoint per ${CHECKPOINT_ROWS.toLocaleString('en-US')} rows`,
      kind: 'library',
      prepare: fresh('parquet'),
      run: filesScenario(CHECKPOINT_ROWS),
      verify: (p, rows) => reportFiles('sync 10k', p.dir.path, rows.length),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'sync-100k',
      label: 'sluice sync(fromIterable → files parquet), checkpoint per 100,000 rows',
      kind: 'library',
      prepare: fresh('parquet'),
      run: filesScenario(100_000),
      verify: (p, rows) => reportFiles('sync 100k', p.dir.path, rows.length),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'sink',
      label: 'sluice files sink alone (parquet-wasm), pre-built batches, one file',
      kind: 'library',
      prepare: prebuilt('parquet'),
      async run(p) {
        const sink = files({ dir: p.dir.path, format: 'parquet' })
        await sink.open({ connectorId: 'bench', syncId: 'bench', tables: [{ table: 'orders', primaryKey: ['id'] }] })
        let done = 0
        for (const batch of p.batches!) {
          await sink.write({ message: { kind: 'records', table: 'orders', op: 'upsert', batch } })
          done += batch.length
        }
        await sink.checkpoint({ state: { rows: done } })
        await sink.close({ status: 'succeeded', report: benchReport(done) })
      },
      verify: (p, rows) => reportFiles('sink', p.dir.path, rows.length),
      cleanup,
    }),
    defineCase<Order[], Prepared>({
      name: 'hyparquet-writer',
      label: 'hyparquet-writer (pure JS), the same event batches (11 columns), one file',
      kind: 'peer',
      prepare(rows) {
        const p = prebuilt('parquet')(rows)
        let layout = planTable({ table: 'orders', primaryKey: ['id'] }, new Set())
        p.batches = p.batches!.map((b) => {
          layout = reconcile(layout, b).layout
          return logBatch(layout, 'upsert', b, new Date().toISOString())
        })
        return p
      },
      run: (p) => hyparquetWriter(p.dir.path, p.batches!),
      verify: (p, rows) => reportFiles('hyparquet-writer', p.dir.path, rows.length),
      cleanup,
    }),
  ],
}

function benchReport(rows: number): SyncReport {
  const now = new Date().toISOString()
  return {
    status: 'succeeded', connectorId: 'bench', syncId: 'bench', startedAt: now, endedAt: now, durationMs: 0,
    rows, checkpoints: 0, schemaChanges: 0, tables: { orders: { upserts: rows, updates: 0, deletes: 0, truncates: 0 } },
  }
}

export default duckdbScenario
