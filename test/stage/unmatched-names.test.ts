import { Schema } from 'effect'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { flatten, fromIterable, hashColumns, memory, op, select, sqlite, sync, validate, type Message, type Selection, type Source, type SyncReport } from '../../src/index.js'
import { page, scripted } from '../support/sources.js'

const SALT = 'unmatched-names-test-salt'
const dir = mkdtempSync(join(tmpdir(), 'sluice-names-'))
let n = 0

/** A source that declares no tables (like a connector without schema()); records whether it was read at all. */
function undeclared(messages: readonly Message[], seen: { read?: boolean } = {}): Source {
  return {
    async *read() {
      seen.read = true
      yield* messages
    },
  }
}

/** A declared source that records whether it was read at all. */
function declared(messages: readonly Message[], seen: { read: boolean }, tables = [{ table: 'users', primaryKey: ['id'] }]): Source {
  return { tables: () => tables, async *read() { seen.read = true; yield* messages } }
}

function expectConfigInvalid(report: SyncReport, ...parts: string[]): void {
  expect(report.status).toBe('failed')
  expect(report.error?.code, report.error?.message).toBe('CONFIG_INVALID')
  for (const part of parts) expect(report.error?.message).toContain(part)
}

describe('hashColumns: a name that matches nothing fails the sync', () => {
  it('a column typo fails with CONFIG_INVALID before any row of the table is written (SQLite), suggesting the near column', async () => {
    const path = join(dir, `typo${n++}.db`)
    const sink = sqlite({ path })
    const report = await sync({
      source: fromIterable('users', [{ id: 1, email: 'ada@example.com', name: 'Ada' }], { primaryKey: ['id'] }),
      stages: [hashColumns({ columns: ['users.emial'], salt: SALT })],
      destination: sink,
    })
    expectConfigInvalid(report, 'users.emial', 'email')
    expect(report.error?.context).toMatchObject({ table: 'users', suggestions: ['email'] })
    expect(await sink.read!({ table: 'users' })).toEqual([])
    for (const file of readdirSync(dir).filter((f) => f.startsWith(path.split('/').pop()!))) {
      expect(readFileSync(join(dir, file)).includes(Buffer.from('ada@example.com'))).toBe(false)
    }
  })

  it('a table typo fails before the source is read when the source declares its tables, suggesting the near table', async () => {
    const seen = { read: false }
    const sink = memory()
    const report = await sync({ source: declared(page('users', [{ id: 1, email: 'a@b.c' }], { n: 1 }), seen), stages: [hashColumns({ columns: ['usres.email'], salt: SALT })], destination: sink })
    expectConfigInvalid(report, 'usres.email', 'users')
    expect(report.error?.context).toMatchObject({ suggestions: ['users'] })
    expect(seen.read).toBe(false)
    expect(sink.rows('users')).toEqual([])
  })

  it('a table the source does not declare fails before the source is read, listing the declared tables', async () => {
    const seen = { read: false }
    const report = await sync({ source: declared(page('users', [{ id: 1, email: 'a@b.c' }], { n: 1 }), seen), stages: [hashColumns({ columns: ['customers.email'], salt: SALT })], destination: memory() })
    expectConfigInvalid(report, 'customers.email', 'users')
    expect(seen.read).toBe(false)
  })

  it('with a source that declares nothing, a table typo fails when the near table first appears; what came before is committed', async () => {
    const sink = memory()
    const report = await sync({
      source: undeclared([...page('orders', [{ id: 1 }], { n: 1 }), ...page('users', [{ id: 1, email: 'a@b.c' }], { n: 2 })]),
      stages: [hashColumns({ columns: ['usres.email'], salt: SALT })],
      destination: sink,
    })
    expectConfigInvalid(report, 'usres.email', 'users')
    expect(sink.rows('orders')).toHaveLength(1)
    expect(sink.rows('users')).toEqual([])
  })

  it('with a source that declares nothing, a table a typo away is fine when the destination has the named one (twins user, users)', async () => {
    const sink = memory()
    const stages = () => [hashColumns({ columns: ['user.ssn'], salt: SALT })]
    const first = await sync({ source: undeclared(page('user', [{ id: 1, ssn: '123' }], { n: 1 })), stages: stages(), destination: sink })
    expect(first.status, first.error?.message).toBe('succeeded')
    const twins = await sync({ source: undeclared([...page('users', [{ id: 1, email: 'a@b.c' }], { n: 2 }), ...page('user', [{ id: 2, ssn: '456' }], { n: 3 })]), stages: stages(), destination: sink })
    expect(twins.status, twins.error?.message).toBe('succeeded')
    expect(sink.rows('user').map((r) => r.ssn)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)])
  })

  it('with a source that declares nothing, a table never seen fails the sync at the end of the stream', async () => {
    const report = await sync({
      source: undeclared(page('users', [{ id: 1, email: 'a@b.c' }], { n: 1 })),
      stages: [hashColumns({ columns: ['customers.email'], salt: SALT })],
      destination: memory(),
    })
    expectConfigInvalid(report, 'customers.email', 'users')
  })

  it('a glob column of a named table must match a column; a glob table (*.ssn) is a blanket rule and may match nothing', async () => {
    const rows = [{ id: 1, email: 'a@b.c' }]
    const glob = await sync({ source: fromIterable('users', rows), stages: [hashColumns({ columns: ['users.mail_*'], salt: SALT })], destination: memory() })
    expectConfigInvalid(glob, 'users.mail_*', 'email')
    const blanket = await sync({ source: fromIterable('users', rows), stages: [hashColumns({ columns: ['*.ssn', 'users.email'], salt: SALT })], destination: memory() })
    expect(blanket.status, blanket.error?.message).toBe('succeeded')
  })

  it('a declared column absent from the first batch, or one the destination already has, is not an error (sparse rows)', async () => {
    const sink = memory()
    const sparse = [op.upsert('users', { id: 1, name: 'Ada' }), op.upsert('users', { id: 2, email: 'b@c.d' }), op.checkpoint({ n: 1 })]
    const typed = await sync({
      source: scripted(sparse, { tables: [{ table: 'users', primaryKey: ['id'], columns: { email: 'STRING' } }] }),
      stages: [hashColumns({ columns: ['users.email'], salt: SALT })],
      destination: sink,
    })
    expect(typed.status, typed.error?.message).toBe('succeeded')
    expect(sink.rows('users').find((r) => r.id === 2)?.email).toMatch(/^[0-9a-f]{64}$/)
    // Undeclared, but the column is in the destination from an earlier sync.
    const later = await sync({ source: undeclared(sparse), stages: [hashColumns({ columns: ['users.email'], salt: SALT })], destination: sink })
    expect(later.status, later.error?.message).toBe('succeeded')
    // Undeclared and nowhere to be seen in the first batch: refused (a hashColumns column must be in the first batch or declared).
    const fresh = await sync({ source: undeclared(sparse), stages: [hashColumns({ columns: ['users.email'], salt: SALT })], destination: memory() })
    expectConfigInvalid(fresh, 'users.email')
  })

  it('a first batch of keys only (a delete) proves nothing, the first upsert decides; a near column in an update fails at once', async () => {
    const late = await sync({
      source: scripted([op.delete('users', { id: 3 }), op.upsert('users', { id: 1, email: 'a@b.c' }), op.checkpoint({ n: 1 })]),
      stages: [hashColumns({ columns: ['users.email'], salt: SALT })],
      destination: memory(),
    })
    expect(late.status, late.error?.message).toBe('succeeded')
    const sink = memory()
    const update = await sync({
      source: scripted([op.update('users', { id: 1, email: 'a@b.c' }), op.checkpoint({ n: 1 })]),
      stages: [hashColumns({ columns: ['users.emial'], salt: SALT })],
      destination: sink,
    })
    expectConfigInvalid(update, 'users.emial', 'email')
    expect(sink.rows('users')).toEqual([])
  })

  it('names of tables a stage before derives (flatten) and columns a select before it blocks are not errors', async () => {
    const rows = [{ id: 1, email: 'a@b.c', tags: ['x'] }]
    const derived = await sync({
      source: fromIterable('users', rows, { primaryKey: ['id'] }),
      stages: [flatten({ arrays: 'table' }), hashColumns({ columns: ['users__tags.value', 'users.email'], salt: SALT })],
      destination: memory(),
    })
    expect(derived.status, derived.error?.message).toBe('succeeded')
    const projecting: Source = {
      async *read(args) {
        const selection = (args as { selection?: Selection }).selection
        yield op.upsert('users', rows.map(({ tags: _, ...r }) => Object.fromEntries(Object.entries(r).filter(([c]) => selection?.column('users', c) ?? true))))
        yield op.checkpoint({ n: 1 })
      },
    }
    const blocked = await sync({ source: projecting, stages: [select({ exclude: ['users.email'] }), hashColumns({ columns: ['users.email'], salt: SALT })], destination: memory() })
    expect(blocked.status, blocked.error?.message).toBe('succeeded')
  })
})

describe('select: a name that matches nothing fails the sync', () => {
  it('an excluded column typo fails before a row of the table is written (the column would have been synced)', async () => {
    const sink = memory()
    const report = await sync({ source: fromIterable('users', [{ id: 1, email: 'a@b.c' }], { primaryKey: ['id'] }), stages: [select({ exclude: ['users.emial'] })], destination: sink })
    expectConfigInvalid(report, 'users.emial', 'email')
    expect(sink.rows('users')).toEqual([])
  })

  it('an excluded or included table typo, or a table glob matching no declared table, fails before the source is read', async () => {
    for (const options of [{ exclude: ['audti_log'] }, { include: ['usres'] }, { exclude: ['adit_*'] }]) {
      const seen = { read: false }
      const tables = [{ table: 'users', primaryKey: ['id'] }, { table: 'audit_log', primaryKey: ['id'] }]
      const report = await sync({ source: declared(page('users', [{ id: 1 }], { n: 1 }), seen, tables), stages: [select(options)], destination: memory() })
      expectConfigInvalid(report, Object.values(options)[0]![0]!)
      expect(seen.read).toBe(false)
    }
  })

  it('an included column typo fails, naming the near column', async () => {
    const report = await sync({ source: fromIterable('users', [{ id: 1, email: 'a@b.c', name: 'Ada' }], { primaryKey: ['id'] }), stages: [select({ include: ['users.id', 'users.nmae'] })], destination: memory() })
    expectConfigInvalid(report, 'users.nmae', 'name')
  })

  it('after flatten, a select naming a source column (users.address) fails, suggesting the columns flatten made of it', async () => {
    const sink = memory()
    const report = await sync({
      source: fromIterable('users', [{ id: 1, address: { city: 'Brno', zip: '60200' } }], { primaryKey: ['id'], columns: { address: 'JSON' } }),
      stages: [flatten(), select({ exclude: ['users.address'] })],
      destination: sink,
    })
    expectConfigInvalid(report, 'users.address', 'address__city')
    expect(sink.rows('users')).toEqual([])
  })

  it('a column the source leaves out because the select blocks it is not an error', async () => {
    const rows = [{ id: 1, email: 'a@b.c', name: 'Ada' }]
    const projecting: Source = {
      async *read(args) {
        const selection = (args as { selection?: Selection }).selection
        yield op.upsert('users', rows.map((r) => Object.fromEntries(Object.entries(r).filter(([c]) => selection?.column('users', c) ?? true))))
        yield op.checkpoint({ n: 1 })
      },
    }
    const sink = memory()
    const report = await sync({ source: projecting, stages: [select({ exclude: ['users.email', 'users.nick*'] })], destination: sink })
    expectConfigInvalid(report, 'users.nick*')
    const ok = await sync({ source: projecting, stages: [select({ exclude: ['users.email'] })], destination: sink })
    expect(ok.status, ok.error?.message).toBe('succeeded')
    expect(sink.rows('users')[0]).not.toHaveProperty('email')
  })
})

describe('validate: a name that matches nothing fails the sync', () => {
  const User = Schema.Struct({ id: Schema.Number, email: Schema.String, nickname: Schema.optional(Schema.String) })

  it('a contract keyed by a table typo fails before the source is read', async () => {
    const seen = { read: false }
    const report = await sync({ source: declared(page('users', [{ id: 1, email: 'a@b.c' }], { n: 1 }), seen), stages: [validate({ usres: User }, { onError: 'skip' })], destination: memory() })
    expectConfigInvalid(report, 'usres', 'users')
    expect(seen.read).toBe(false)
  })

  it('a required field that names no column fails with CONFIG_INVALID, instead of sending every row to _sluice_errors', async () => {
    const sink = memory()
    const Typo = Schema.Struct({ id: Schema.Number, emial: Schema.String })
    const report = await sync({ source: fromIterable('users', [{ id: 1, email: 'a@b.c' }], { primaryKey: ['id'] }), stages: [validate({ users: Typo }, { onError: 'skip' })], destination: sink })
    expectConfigInvalid(report, 'emial', 'email')
    expect(report.errors ?? 0).toBe(0)
  })

  it('an optional field may be absent, unless a column no field names is a near miss of it', async () => {
    const ok = await sync({ source: fromIterable('users', [{ id: 1, email: 'a@b.c' }], { primaryKey: ['id'] }), stages: [validate({ users: User }, { onError: 'fail' })], destination: memory() })
    expect(ok.status, ok.error?.message).toBe('succeeded')
    const report = await sync({
      source: fromIterable('users', [{ id: 1, email: 'a@b.c', nick_name: 'ada' }], { primaryKey: ['id'] }),
      stages: [validate({ users: User }, { onError: 'fail' })],
      destination: memory(),
    })
    expectConfigInvalid(report, 'nickname', 'nick_name')
  })
})
