/**
 * rows → Arrow, 10k rows per RecordBatch: what a sink that takes Arrow (DuckDB, Parquet, IPC)
 * pays before it writes. The limit is a hand-written build that knows the schema up front
 * (typed arrays, one `Buffer.write` per string into a column buffer, `makeData`); the library
 * infers and validates the types (`batchFromRows`) and then converts (`toArrow`); the peers
 * are apache-arrow's stock builders (`tableFromJSON`, `vectorFromArray`).
 *
 * Every case keeps every 10th output (untimed check afterwards) so all pay the same retention.
 */
import {
  Bool, Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, tableFromJSON, TimestampMicrosecond, Utf8, vectorFromArray,
  type Data, type Vector,
} from 'apache-arrow'
import { batchFromRows, type Batch } from '../../src/index.js'
import { toArrow } from '../../src/arrow.js'
import { chunks, ORDER_COLUMNS, type Order } from '../harness/generate-orders.js'
import { loadOrders } from '../harness/orders-file.js'
import { defineCase, type Scenario } from '../harness/scenario.js'

const BATCH_ROWS = 10_000
const KEEP_EVERY = 10 // batches: the kept outputs are checked after timing

const COLUMNS = ['id', 'updated_at', 'email', 'name', 'amount', 'active', 'tags'] as const

/** What the timed loop hands over for the check: the first row index and the Arrow output. */
interface Output {
  readonly start: number
  readonly table: { getChild(name: string): Vector | null; readonly numRows: number }
}

interface Kept {
  outputs: Output[]
  batches?: Batch[]
}

/** Runs `convert` over 10k-row slices, keeping every 10th result. */
function eachSlice(rows: readonly Order[], kept: Kept, convert: (slice: Order[]) => Output['table']): void {
  for (let start = 0, b = 0; start < rows.length; start += BATCH_ROWS, b++) {
    const out = convert(rows.slice(start, start + BATCH_ROWS))
    if (b % KEEP_EVERY === 0) kept.outputs.push({ start, table: out })
  }
}

// ---- the hand-written limit -------------------------------------------------------------------

const TWO32 = 4294967296

/** One UTF-8 buffer and Int32 offsets: one `Buffer.write` per string, no intermediate arrays. */
function rawUtf8(rows: readonly Order[], key: 'email' | 'name' | 'tags'): Data<Utf8> {
  const n = rows.length
  let capacity = 0
  for (let i = 0; i < n; i++) capacity += rows[i]![key].length * 3 // UTF-8 bytes ≤ 3 × UTF-16 units
  const bytes = Buffer.allocUnsafe(capacity)
  const offsets = new Int32Array(n + 1)
  let pos = 0
  for (let i = 0; i < n; i++) {
    pos += bytes.write(rows[i]![key], pos)
    offsets[i + 1] = pos
  }
  return makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes.subarray(0, pos) })
}

const RAW_FIELDS = [
  new Field('id', new Int32(), true),
  new Field('updated_at', new TimestampMicrosecond('UTC'), true),
  new Field('email', new Utf8(), true),
  new Field('name', new Utf8(), true),
  new Field('amount', new Float64(), true),
  new Field('active', new Bool(), true),
  new Field('tags', new Utf8(), true),
]

function rawRecordBatch(rows: readonly Order[]): RecordBatch {
  const n = rows.length
  const id = new Int32Array(n)
  const at = new BigInt64Array(n)
  const atWords = new Uint32Array(at.buffer) // two 32-bit words per value: no BigInt per row
  const amount = new Float64Array(n)
  const active = new Uint8Array((n + 7) >> 3)
  for (let i = 0; i < n; i++) {
    const r = rows[i]!
    id[i] = r.id
    const us = Date.parse(r.updated_at) * 1000
    const hi = Math.floor(us / TWO32)
    atWords[2 * i] = us - hi * TWO32
    atWords[2 * i + 1] = hi >>> 0
    amount[i] = r.amount
    if (r.active) active[i >> 3]! |= 1 << (i & 7)
  }
  const base = { length: n, nullCount: 0 }
  const children = [
    makeData({ type: new Int32(), ...base, data: id }),
    makeData({ type: new TimestampMicrosecond('UTC'), ...base, data: at }),
    rawUtf8(rows, 'email'),
    rawUtf8(rows, 'name'),
    makeData({ type: new Float64(), ...base, data: amount }),
    makeData({ type: new Bool(), ...base, data: active }),
    rawUtf8(rows, 'tags'),
  ]
  return new RecordBatch(new Schema(RAW_FIELDS), makeData({ type: new Struct(RAW_FIELDS), ...base, children }))
}

// ---- peers: apache-arrow's stock builders -----------------------------------------------------

function vectorsFromArrays(rows: readonly Order[]): Output['table'] {
  const n = rows.length
  const cols = { id: new Array<number>(n), updated_at: new Array<number>(n), email: new Array<string>(n), name: new Array<string>(n), amount: new Array<number>(n), active: new Array<boolean>(n), tags: new Array<string>(n) }
  for (let i = 0; i < n; i++) {
    const r = rows[i]!
    cols.id[i] = r.id
    cols.updated_at[i] = Date.parse(r.updated_at) // the Timestamp builder takes epoch ms
    cols.email[i] = r.email
    cols.name[i] = r.name
    cols.amount[i] = r.amount
    cols.active[i] = r.active
    cols.tags[i] = r.tags
  }
  const vectors: Record<string, Vector> = {
    id: vectorFromArray(cols.id, new Int32()),
    updated_at: vectorFromArray(cols.updated_at, new TimestampMicrosecond('UTC')),
    email: vectorFromArray(cols.email, new Utf8()),
    name: vectorFromArray(cols.name, new Utf8()),
    amount: vectorFromArray(cols.amount, new Float64()),
    active: vectorFromArray(cols.active, new Bool()),
    tags: vectorFromArray(cols.tags, new Utf8()),
  }
  return { numRows: n, getChild: (name) => vectors[name] ?? null }
}

// ---- the check ---------------------------------------------------------------------------------

/** Every kept output holds exactly the input values (timestamps compared as exact µs where typed). */
function verify(kept: Kept, rows: readonly Order[]): void {
  if (kept.outputs.length !== Math.ceil(rows.length / BATCH_ROWS / KEEP_EVERY)) throw new Error(`kept ${kept.outputs.length} outputs`)
  for (const { start, table } of kept.outputs) {
    const n = Math.min(BATCH_ROWS, rows.length - start)
    if (table.numRows !== n) throw new Error(`batch at row ${start} has ${table.numRows} rows, expected ${n}`)
    for (const name of COLUMNS) {
      const vector = table.getChild(name)
      if (!vector) throw new Error(`batch at row ${start} has no column ${name}`)
      const typedTimestamp = vector.type instanceof TimestampMicrosecond
      const micros = typedTimestamp ? (vector.data[0]!.values as BigInt64Array) : undefined
      for (let i = 0; i < n; i++) {
        const want = rows[start + i]![name]
        const got = micros ? micros[i] : vector.get(i)
        const expected = micros ? BigInt(Date.parse(want as string)) * 1000n : want
        if (got !== expected) throw new Error(`row ${start + i} column ${name}: got ${String(got)}, expected ${String(expected)}`)
      }
    }
  }
}

const keep = (): Kept => ({ outputs: [], batches: [] })

const scenario: Scenario<Order[]> = {
  name: 'arrow',
  title: 'rows → Arrow RecordBatch, 7 mixed columns',
  baseline: 'raw',
  generate: (rows) => loadOrders(rows),
  settings: () =>
    `${ORDER_COLUMNS} columns (int id, ISO timestamp → Timestamp(µs, UTC), email, name, double, boolean, JSON text) · ${BATCH_ROWS.toLocaleString('en-US')} rows per RecordBatch · outputs checked against the input after timing`,
  cases: [
    defineCase<Order[], Kept>({
      name: 'raw',
      label: 'raw: hand-built buffers, schema known',
      kind: 'raw',
      prepare: keep,
      run: (kept, rows) => eachSlice(rows, kept, rawRecordBatch),
      verify,
    }),
    defineCase<Order[], Kept>({
      name: 'library',
      label: 'sluice toArrow(batchFromRows(rows))',
      kind: 'library',
      prepare: keep,
      run: (kept, rows) => eachSlice(rows, kept, (slice) => toArrow(batchFromRows(slice))),
      verify,
    }),
    defineCase<Order[], Kept>({
      name: 'batch',
      label: 'sluice batchFromRows alone (rows → Batch)',
      kind: 'library',
      prepare: keep,
      run(kept, rows) {
        for (let start = 0, b = 0; start < rows.length; start += BATCH_ROWS, b++) {
          const batch = batchFromRows(rows.slice(start, start + BATCH_ROWS))
          if (b % KEEP_EVERY === 0) kept.batches!.push(batch)
        }
      },
      // The kept batches are converted here, after timing, so the same check covers this layer.
      verify(kept, rows) {
        kept.outputs = kept.batches!.map((batch, k) => ({ start: k * KEEP_EVERY * BATCH_ROWS, table: toArrow(batch) }))
        verify(kept, rows)
      },
    }),
    defineCase<Order[], Kept>({
      name: 'to-arrow',
      label: 'sluice toArrow alone, pre-built batches (Batch → Arrow)',
      kind: 'library',
      prepare: (rows) => ({ outputs: [], batches: chunks(rows, BATCH_ROWS).map((slice) => batchFromRows(slice)) }),
      run(kept) {
        const batches = kept.batches!
        for (let b = 0; b < batches.length; b++) {
          const out = toArrow(batches[b]!)
          if (b % KEEP_EVERY === 0) kept.outputs.push({ start: b * BATCH_ROWS, table: out })
        }
      },
      verify,
    }),
    defineCase<Order[], Kept>({
      name: 'vector-from-array',
      label: 'apache-arrow vectorFromArray per column, types given',
      kind: 'peer',
      runs: 1, // ~5 s a run: one is plenty to show a 5–10× gap
      prepare: keep,
      run: (kept, rows) => eachSlice(rows, kept, vectorsFromArrays),
      verify,
    }),
    defineCase<Order[], Kept>({
      name: 'table-from-json',
      label: 'apache-arrow tableFromJSON (infers; id as Float64, strings as Dictionary)',
      kind: 'peer',
      runs: 1,
      prepare: keep,
      run: (kept, rows) => eachSlice(rows, kept, (slice) => tableFromJSON(slice as unknown as Record<string, unknown>[])),
      verify,
    }),
  ],
}

export default scenario
