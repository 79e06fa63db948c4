import { describe, expect, it } from 'vitest'
import { flatten, keepsNames, memory, memoryState, op, select, sync, type Message, type Sink, type SinkMessage, type Stage } from '../../src/index.js'
import { serializeState } from '../../src/core/json-state.js'
import type { SourceCatalog } from '../../src/contracts/source.js'
import type { StateStore } from '../../src/contracts/state-store.js'

/** A memory sink that logs what reaches it, in order. */
function logged(log: string[], options: { errors?: boolean } = {}): { sink: Sink; inner: ReturnType<typeof memory> } {
  const inner = memory()
  const sink: Sink = {
    ...inner,
    async write(args: { readonly message: SinkMessage }) {
      const m = args.message
      log.push(m.kind === 'errors' ? `errors ${m.errors.map((e) => e.message).join(',')}` : m.kind === 'records' ? `records ${m.table}` : m.kind)
      return inner.write(args)
    },
    async checkpoint(args) {
      log.push(`checkpoint ${args.serialized}`)
      return inner.checkpoint(args)
    },
  }
  if (options.errors === false) delete (sink as { recordErrors?: unknown }).recordErrors
  return { sink, inner }
}

describe('what commits together travels in the stream', () => {
  it('error records reach the sink through write(), each batch right before the message that was in the making', async () => {
    const log: string[] = []
    const { sink, inner } = logged(log)
    const report = await sync({
      destination: sink,
      source: {
        tables: () => [{ table: 't', primaryKey: ['id'] }],
        async *read({ recordError }) {
          recordError({ kind: 'request', table: 't', code: 'HTTP_STATUS', message: 'a' })
          recordError({ kind: 'request', table: 't', code: 'HTTP_STATUS', message: 'b' })
          yield op.upsert('t', [{ id: 1 }])
          yield op.checkpoint({ n: 1 })
          recordError({ kind: 'record', table: 't', code: 'VALIDATION_FAILED', message: 'c', record: { id: 9 } })
          yield op.upsert('t', [{ id: 2 }])
          yield op.checkpoint({ n: 2 })
          recordError({ kind: 'record', table: 't', code: 'VALIDATION_FAILED', message: 'd', record: { id: 10 } })
        },
      },
    })
    expect(report.status).toBe('succeeded')
    expect(report.errors).toBe(4)
    expect(log).toEqual(['errors a,b', 'records t', 'checkpoint {"n":1}', 'errors c', 'records t', 'checkpoint {"n":2}', 'errors d'])
    // The last errors came after the last checkpoint: written before close, committed by a successful close.
    expect((await inner.readErrors!()).map((e) => e.message)).toEqual(['a', 'b', 'c', 'd'])
  })

  it('errors recorded by a stage travel the same way', async () => {
    const log: string[] = []
    const { sink } = logged(log)
    const dropOdd: Stage = async function* (messages, context) {
      for await (const m of messages) {
        if (m.kind === 'records' && m.batch.length === 1 && m.batch.column('id')!.values[0] === 1) {
          context.recordError({ kind: 'record', table: m.table, code: 'VALIDATION_FAILED', message: 'odd', record: { id: 1 } })
          continue
        }
        yield m
      }
    }
    await sync({ destination: sink, stages: [dropOdd], source: {
        async *read() {
          yield op.upsert('t', [{ id: 1 }])
          yield op.upsert('t', [{ id: 2 }])
          yield op.checkpoint({ n: 1 })
        },
      },
    })
    expect(log).toEqual(['errors odd', 'records t', 'checkpoint {"n":1}'])
  })

  it('a sink without error records (no recordErrors) gets no errors message; the report still counts them', async () => {
    const log: string[] = []
    const { sink } = logged(log, { errors: false })
    const report = await sync({
      destination: sink,
      source: {
        async *read({ recordError }) {
          recordError({ kind: 'request', table: 't', code: 'HTTP_STATUS', message: 'lost' })
          yield op.upsert('t', [{ id: 1 }])
          yield op.checkpoint({ n: 1 })
        },
      },
    })
    expect(report.status).toBe('succeeded')
    expect(report.errors).toBe(1)
    expect(log).toEqual(['records t', 'checkpoint {"n":1}'])
  })

  it('the checkpoint state is serialised once and handed to the sink and the state store as text', async () => {
    const log: string[] = []
    const { sink } = logged(log)
    const saved: (string | undefined)[] = []
    const store = memoryState()
    const spy: StateStore = { ...store, save: async (args) => (saved.push(args.serialized), store.save(args)) }
    const state = { b: [1, 2], a: 'x' }
    await sync({ destination: sink, state: spy, source: { async *read() { yield op.checkpoint(state) } } })
    expect(log).toEqual([`checkpoint ${serializeState(state)}`])
    expect(saved).toEqual(['{"a":"x","b":[1,2]}'])
    expect(await store.load({ connectorId: 'default' })).toEqual(state)
  })

  it('a checkpoint made by hand (not op.checkpoint) is serialised by sync, and a bad state still fails with STATE_INVALID', async () => {
    const log: string[] = []
    const good = await sync({ destination: logged(log).sink, source: { async *read() { yield { kind: 'checkpoint', state: { z: 1 } } as const } } })
    expect(good.status).toBe('succeeded')
    expect(log).toEqual(['checkpoint {"z":1}'])
    const bad = await sync({ destination: memory(), source: { async *read() { yield { kind: 'checkpoint', state: { at: new Date(0) as never } } as const } } })
    expect(bad.error).toMatchObject({ code: 'STATE_INVALID' })
  })
})

describe('the source gets a declared catalog', () => {
  const tables = () => [
    { table: 'users', primaryKey: ['id'], columns: { id: 'LONG' as const, email: 'STRING' as const, name: 'STRING' as const } },
    { table: 'audit', primaryKey: ['id'] },
  ]

  async function catalogSeen(stages: readonly Stage[]): Promise<SourceCatalog | undefined> {
    let seen: SourceCatalog | undefined
    await sync({
      destination: memory(),
      stages,
      source: {
        tables,
        async *read({ catalog }) {
          seen = catalog
          yield op.checkpoint({ n: 1 })
        },
      },
    })
    return seen
  }

  it('holds the declared tables as the select stages narrow them, and their selection', async () => {
    const catalog = await catalogSeen([select({ exclude: ['audit', 'users.email'] })])
    expect(catalog?.tables.map((t) => [t.table, Object.keys(t.columns ?? {})])).toEqual([['users', ['id', 'name']]])
    expect(catalog?.selection?.column('users', 'email')).toBe(false)
    expect(catalog?.selection?.table('users')).toBe(true)
  })

  it('has every declared table and no selection without a select stage', async () => {
    const catalog = await catalogSeen([])
    expect(catalog?.tables.map((t) => t.table)).toEqual(['users', 'audit'])
    expect(catalog?.selection).toBeUndefined()
  })

  it('reads what stages declare: a select after a stage that may rename stays out, after one declaring keepsNames it counts', async () => {
    expect((await catalogSeen([flatten(), select({ exclude: ['audit'] })]))?.tables.map((t) => t.table)).toEqual(['users', 'audit'])
    const passThrough: Stage = async function* (messages) {
      yield* messages
    }
    expect((await catalogSeen([keepsNames(passThrough), select({ exclude: ['audit'] })]))?.tables.map((t) => t.table)).toEqual(['users'])
    // The declaration is a plain property: a stage may carry it without the helper.
    const declared: Stage = Object.assign(
      async function* (messages: AsyncIterable<Message>) {
        yield* messages
      },
      { keepsNames: true },
    )
    expect((await catalogSeen([declared, select({ exclude: ['audit'] })]))?.tables.map((t) => t.table)).toEqual(['users'])
  })
})
