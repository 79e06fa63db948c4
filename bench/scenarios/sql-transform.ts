/**
 * One projection over the orders shape, in flight, 10k-row batches: as a `transform()` in
 * TypeScript (the baseline: what a user writes today) and as `sql()` (in-memory SQLite), plus the
 * columnar `transform({ batch })` as the fast limit. Each case runs its stage over pre-built
 * record batches (built untimed), so the table shows the stage's own cost per row: rows/s and the
 * ratio to the row transform. Target: `sql()` costs at most 1.5× the row transform per row.
 *
 * The projection: keep id, updated_at and email, compute gross = amount × 1.2, drop the rest. It
 * keeps every row, so SQLite returns only `gross` (the batch goes on with it); the `-where` cases
 * keep the active rows (~70%), so SQLite also returns which rows it kept: the stage's other path.
 */
import { Batch, batchFromRows, sql, transform, type Message, type Stage, type StageContext } from '../../src/index.js'
import { chunks } from '../harness/generate-orders.js'
import { loadOrders } from '../harness/orders-file.js'
import { defineCase, type Scenario } from '../harness/scenario.js'

const BATCH_ROWS = 10_000

interface Data {
  readonly rows: number
}

interface Prepared {
  readonly batches: readonly Batch[]
  /** Every output batch, for the untimed check. */
  readonly out: Batch[]
}

const context: StageContext = {
  connectorId: 'bench',
  syncId: 'bench',
  tables: [{ table: 'orders', primaryKey: ['id'] }],
  signal: new AbortController().signal,
  recordError: () => {},
}

function prepare(data: Data): Prepared {
  const rows = loadOrders(data.rows)
  return { batches: chunks(rows, BATCH_ROWS).map((page) => batchFromRows(page, { table: 'orders', columns: { updated_at: 'UTC_DATETIME' } })), out: [] }
}

async function* messages(batches: readonly Batch[]): AsyncGenerator<Message> {
  for (const batch of batches) yield { kind: 'records', table: 'orders', op: 'upsert', batch }
}

async function runStage(stage: Stage, p: Prepared): Promise<void> {
  for await (const m of stage(messages(p.batches), context)) if (m.kind === 'records') p.out.push(m.batch)
}

/** Untimed: every row (or every active one) came through with the four columns, gross = amount × 1.2 (sampled). */
function verifyRows(p: Prepared, data: Data, activeOnly: boolean): void {
  const n = p.out.reduce((s, b) => s + b.length, 0)
  const expected = activeOnly ? p.batches.reduce((s, b) => s + b.toRows().filter((r) => r.active === true).length, 0) : data.rows
  if (n !== expected) throw new Error(`${n} rows out, expected ${expected}`)
  const input = p.batches[0]!.toRows().filter((r) => !activeOnly || r.active === true)
  const output = p.out[0]!.toRows()
  if (p.out[0]!.names.join(',') !== 'id,updated_at,email,gross') throw new Error(`columns ${p.out[0]!.names.join(',')}`)
  for (let i = 0; i < input.length; i += 997) {
    const a = input[i]!
    const b = output[i]!
    if (b.id !== a.id || b.email !== a.email || b.updated_at !== a.updated_at || Math.abs(Number(b.gross) - Number(a.amount) * 1.2) > 1e-9) {
      throw new Error(`row ${i}: ${JSON.stringify(b)} from ${JSON.stringify(a)}`)
    }
  }
}

const verify = (p: Prepared, data: Data) => verifyRows(p, data, false)
const verifyActive = (p: Prepared, data: Data) => verifyRows(p, data, true)

const scenario: Scenario<Data> = {
  name: 'sql-transform',
  title: 'one projection (id, updated_at, email, amount × 1.2) over 10k-row batches: transform() in TypeScript vs sql()',
  baseline: 'transform',
  generate: (rows) => ({ rows }),
  settings: () => `batches of ${BATCH_ROWS.toLocaleString('en-US')} rows built untimed · the stage alone, no source or sink · sql() on in-memory SQLite (better-sqlite3)`,
  cases: [
    defineCase<Data, Prepared>({
      name: 'transform',
      label: 'transform((row) => ({ id, updated_at, email, gross }))',
      kind: 'raw',
      prepare,
      run: (p) => runStage(transform((r) => ({ id: r.id, updated_at: r.updated_at, email: r.email, gross: Number(r.amount) * 1.2 })), p),
      verify,
    }),
    defineCase<Data, Prepared>({
      name: 'sql',
      label: "sql({ query: 'SELECT id, updated_at, email, amount * 1.2 AS gross FROM {{ source }}' })",
      kind: 'library',
      prepare,
      run: (p) => runStage(sql({ table: 'orders', query: 'SELECT id, updated_at, email, amount * 1.2 AS gross FROM {{ source }}' }), p),
      verify,
    }),
    defineCase<Data, Prepared>({
      name: 'transform-where',
      label: 'the same, active rows only: transform((row) => row.active ? { … } : null)',
      kind: 'library',
      prepare,
      run: (p) => runStage(transform((r) => (r.active ? { id: r.id, updated_at: r.updated_at, email: r.email, gross: Number(r.amount) * 1.2 } : null)), p),
      verify: verifyActive,
    }),
    defineCase<Data, Prepared>({
      name: 'sql-where',
      label: "the same, active rows only: sql({ query: '… FROM {{ source }} WHERE active' })",
      kind: 'library',
      prepare,
      run: (p) => runStage(sql({ table: 'orders', query: 'SELECT id, updated_at, email, amount * 1.2 AS gross FROM {{ source }} WHERE active' }), p),
      verify: verifyActive,
    }),
    defineCase<Data, Prepared>({
      name: 'transform-batch',
      label: 'transform({ batch }) columnar (select + a gross column)',
      kind: 'library',
      prepare,
      run: (p) =>
        runStage(
          transform({
            batch: (b) => {
              const amount = b.column('amount')!
              const gross = new Float64Array(b.length)
              const values = amount.values as Float64Array
              for (let i = 0; i < b.length; i++) gross[i] = values[i]! * 1.2
              return b.select(['id', 'updated_at', 'email']).withColumn({ name: 'gross', type: 'DOUBLE', values: gross, validity: amount.validity, nullCount: amount.nullCount })
            },
          }),
          p,
        ),
      verify,
    }),
  ],
}

export default scenario
