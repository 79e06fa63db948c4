import { createHmac } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { batchFromRows, memory, op, sqlite, sync, type Message, type RecordsMessage, type Row, type Sink, type State } from '../../src/index.js'
import { hashColumns } from '../../src/stage/hash-columns.js'
import { schemaDrift } from '../../src/schema-drift/schema-drift.js'
import { page, scripted } from '../support/sources.js'

const SALT = 'pepper-Zq81-secret-salt-value'
const hmac = (text: string | Uint8Array) => createHmac('sha256', SALT).update(text).digest('hex')
const dir = mkdtempSync(join(tmpdir(), 'sluice-hash-'))
let n = 0

/** Runs the stage alone over messages and collects what it yields. */
async function through(stage: ReturnType<typeof hashColumns>, messages: Message[]): Promise<Message[]> {
  async function* input() {
    yield* messages
  }
  const context = { connectorId: 'c', syncId: 's', tables: [], signal: new AbortController().signal, recordError: () => {} }
  const out: Message[] = []
  for await (const m of stage(input(), context)) out.push(m)
  return out
}
const rowsOf = (m: Message | undefined) => (m as RecordsMessage).batch.toRows()

describe('hashColumns', () => {
  it('is HMAC-SHA256 hex of the canonical text of each type; NULL stays NULL; the column becomes STRING', async () => {
    const rows = [
      { id: 1, s: 'ada@example.com', i: 42, big: 2n ** 60n, d: 1.5, b: true, dec: '0012.50', at: '2026-01-01T10:00:00.120+00:00', doc: { b: 1, a: [2] }, bytes: new Uint8Array([0, 255]) },
      { id: 2, s: null, i: null, big: null, d: null, b: false, dec: null, at: null, doc: null, bytes: null },
    ]
    const batch = batchFromRows(rows, { columns: { dec: 'DECIMAL(10,2)', big: 'LONG' } })
    const stage = hashColumns({ columns: ['t.*'], salt: SALT, workerMinRows: Infinity })
    const [out] = await through(stage, [{ kind: 'records', table: 't', op: 'upsert', batch }])
    const got = rowsOf(out)
    expect(got[0]).toEqual({
      id: hmac('1'), s: hmac('ada@example.com'), i: hmac('42'), big: hmac(String(2n ** 60n)), d: hmac('1.5'), b: hmac('true'), dec: hmac('12.5'),
      at: hmac('2026-01-01T10:00:00.12Z'), doc: hmac('{"a":[2],"b":1}'), bytes: hmac(new Uint8Array([0, 255])),
    })
    expect(got[1]).toEqual({ id: hmac('2'), s: null, i: null, big: null, d: null, b: hmac('false'), dec: null, at: null, doc: null, bytes: null })
    expect((out as RecordsMessage).batch.columns.every((c) => c.type === 'STRING')).toBe(true)
  })

  it('timestamps 1 µs apart past year 2255 hashed alike (canonical text went through a rounded number); now apart', async () => {
    const batch = batchFromRows(
      [
        { at: '9999-12-31T23:59:59.999998Z', naive: '9999-12-31T23:59:59.999998' },
        { at: '9999-12-31T23:59:59.999999Z', naive: '9999-12-31 23:59:59.999999' },
      ],
      { columns: { naive: 'NAIVE_DATETIME' } },
    )
    const [out] = await through(hashColumns({ columns: ['t.*'], salt: SALT, workerMinRows: Infinity }), [{ kind: 'records', table: 't', op: 'upsert', batch }])
    expect(rowsOf(out)).toEqual([
      { at: hmac('9999-12-31T23:59:59.999998Z'), naive: hmac('9999-12-31T23:59:59.999998') },
      { at: hmac('9999-12-31T23:59:59.999999Z'), naive: hmac('9999-12-31T23:59:59.999999') },
    ])
  })

  it('hashes alike on the worker thread and inline, for multi-byte text too, without touching the input batch', async () => {
    const values = Array.from({ length: 5000 }, (_, i) => ({ id: i, email: i % 7 === 0 ? null : `žluť-${i}-🐎@x.io` }))
    const batch = batchFromRows(values)
    const before = batch.toRows()
    const message: RecordsMessage = { kind: 'records', table: 'users', op: 'upsert', batch }
    const [onWorker] = await through(hashColumns({ columns: ['users.email'], salt: SALT, workerMinRows: 1 }), [message])
    const [inline] = await through(hashColumns({ columns: ['users.email'], salt: SALT, workerMinRows: Infinity }), [message])
    expect(rowsOf(onWorker)).toEqual(rowsOf(inline))
    expect(rowsOf(onWorker)[1]!.email).toBe(hmac('žluť-1-🐎@x.io'))
    expect(rowsOf(onWorker)[0]!.email).toBeNull()
    expect(batch.toRows()).toEqual(before)
  })

  it('column names compare after normalisation; other tables and columns pass untouched', async () => {
    const batch = batchFromRows([{ id: 1, Email: 'a@x', name: 'Ada' }])
    const stage = hashColumns({ columns: ['Users.email'], salt: SALT })
    const [a, b] = await through(stage, [
      { kind: 'records', table: 'users', op: 'upsert', batch },
      { kind: 'records', table: 'orders', op: 'upsert', batch },
    ])
    expect(rowsOf(a)).toEqual([{ id: 1, Email: hmac('a@x'), name: 'Ada' }])
    expect((b as RecordsMessage).batch).toBe(batch)
  })

  it('announces hashed columns as STRING in schema messages', async () => {
    const stage = hashColumns({ columns: ['t.ssn'], salt: SALT })
    const out = await through(stage, [
      { kind: 'schema', table: 't', change: { type: 'add_column', column: 'ssn', columnType: 'LONG' } },
      { kind: 'schema', table: 't', change: { type: 'create_table', spec: { table: 't', columns: { ssn: 'INT', x: 'INT' } } } },
    ])
    expect(out.map((m) => (m.kind === 'schema' ? m.change : undefined))).toEqual([
      { type: 'add_column', column: 'ssn', columnType: 'STRING' },
      { type: 'create_table', spec: { table: 't', columns: { ssn: 'STRING', x: 'INT' } } },
    ])
  })

  it('gives the same hashes across runs and sinks, so joins on hashed keys work; deletes by hashed key match', async () => {
    const users = Array.from({ length: 3000 }, (_, i) => ({ id: i, email: `user${i}@mail.io` }))
    const orders = users.map((u, i) => ({ order_id: i, email: u.email }))
    const runInto = async (sink: Sink) => {
      const r = await sync({
        destination: sink,
        source: scripted([op.upsert('users', users), op.upsert('orders', orders), op.delete('users', { id: 5 }), op.checkpoint({ done: 1 })], {
          tables: [{ table: 'users', primaryKey: ['id'] }, { table: 'orders', primaryKey: ['order_id'] }],
        }),
        stages: [hashColumns({ columns: ['*.email'], salt: SALT })],
      })
      expect(r.status).toBe('succeeded')
      return { users: await sink.read!({ table: 'users' }), orders: await sink.read!({ table: 'orders' }) }
    }
    const a = await runInto(memory())
    const b = await runInto(sqlite({ path: join(dir, `w${n++}.db`) }))
    const c = await runInto(sqlite({ path: join(dir, `w${n++}.db`) }))
    const emails = (rows: Row[]) => rows.map((r) => r.email).sort()
    expect(emails(b.users)).toEqual(emails(a.users))
    expect(emails(c.orders)).toEqual(emails(b.orders))
    expect(emails(a.users)).toEqual(emails(a.orders)) // the join key survives hashing
    expect(b.users.find((r) => r.id === 0)?.email).toBe(hmac('user0@mail.io'))
    expect(b.users.find((r) => r.id === 5)?._sluice_deleted).toBe(1)
  })

  it('never puts the salt in a report, an error, a table or the SQLite file bytes', async () => {
    const path = join(dir, `secret${n++}.db`)
    const sink = sqlite({ path })
    const reports = [
      await sync({
        destination: sink,
        source: scripted(page('people', [{ id: 1, email: 'x@y', note: SALT.slice(0, 5) }], { n: 1 })),
        stages: [hashColumns({ columns: ['people.email'], salt: SALT }), schemaDrift({ columns: 'discard_value' })],
      }),
      await sync({
        destination: sink,
        source: scripted(page('people', [{ id: 2, email: 'z@y', extra: 'dropped' }], { n: 2 }), { failWith: new Error('boom') }),
        stages: [hashColumns({ columns: ['people.email'], salt: SALT }), schemaDrift({ columns: 'discard_value' })],
      }),
    ]
    expect(reports.map((r) => r.status)).toEqual(['succeeded', 'failed'])
    expect(JSON.stringify(reports)).not.toContain(SALT)
    expect(JSON.stringify(await sink.readErrors!())).not.toContain(SALT)
    const files = readdirSync(dir).filter((f) => f.startsWith(path.split('/').pop()!))
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) {
      const bytes = readFileSync(join(dir, file))
      expect(bytes.includes(Buffer.from(SALT))).toBe(false)
      expect(bytes.includes(Buffer.from(SALT, 'utf16le'))).toBe(false)
    }
    expect((await sink.read!({ table: 'people' }))[0]!.email).toBe(hmac('x@y'))
    let bad: unknown
    try {
      hashColumns({ columns: ['t.c'], salt: 12345 as never })
    } catch (e) {
      bad = e
    }
    expect(bad).toMatchObject({ code: 'CONFIG_INVALID' })
    expect(String((bad as Error).message)).not.toContain('12345')
  })

  it('a failing source still commits what it checkpointed before the failure (read-ahead drains first)', async () => {
    const sink = memory()
    const r = await sync({
      destination: sink,
      connectorId: 'ra',
      source: scripted([...page('t', [{ id: 1, email: 'a' }], { n: 1 }), op.upsert('t', { id: 2, email: 'b' })], { failWith: new Error('page 2') }),
      stages: [hashColumns({ columns: ['t.email'], salt: SALT })],
    })
    expect(r.status).toBe('failed')
    expect(sink.rows('t').map((x) => x.id)).toEqual([1])
    let state: State | undefined
    await sync({ destination: sink, connectorId: 'ra', source: { async *read(args) { state = args.state } } })
    expect(state).toEqual({ n: 1 })
  })

  it('stops at a checkpoint when asked (abort), closing the source and the worker', async () => {
    const sink = memory()
    const ac = new AbortController()
    let closed = false
    let pages = 0
    const endless = {
      tables: () => [{ table: 't', primaryKey: ['id'] }],
      async *read() {
        try {
          for (let p = 0; ; p++) {
            pages++
            yield op.upsert('t', Array.from({ length: 3000 }, (_, i) => ({ id: p * 3000 + i, email: `u${i}@x` })))
            yield op.checkpoint({ p })
          }
        } finally {
          closed = true
        }
      },
    }
    const r = await sync({ destination: sink, source: endless, signal: ac.signal, on: { checkpoint: () => ac.abort() }, stages: [hashColumns({ columns: ['t.email'], salt: SALT, workerMinRows: 1 })] })
    expect(r.status).toBe('stopped')
    expect(closed).toBe(true)
    expect(sink.rows('t')).toHaveLength(3000)
    expect(pages).toBeLessThan(5) // read-ahead is bounded
  })

  it('refuses bad options when built', () => {
    expect(() => hashColumns({ columns: [], salt: SALT })).toThrow(/non-empty list/)
    expect(() => hashColumns({ columns: ['email'], salt: SALT })).toThrow(/must name a column as 'table.column'/)
    expect(() => hashColumns({ columns: ['t.email'], salt: '' })).toThrow(/hashColumns.salt must be a non-empty string/)
    expect(() => hashColumns({ columns: ['t.email'], salt: SALT, workerMinRows: 0 })).toThrow(/workerMinRows/)
  })
})
