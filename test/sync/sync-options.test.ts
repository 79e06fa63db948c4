import { describe, expect, it } from 'vitest'
import { connector, fromIterable, memory, op, schemaDrift, select, sync, type SluiceError, type SyncOptions } from '../../src/index.js'

const source = () => fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] })

/** The error `sync(options)` rejects with (it fails the test if sync resolves instead). */
async function refusal(options: unknown): Promise<SluiceError> {
  const outcome = await sync(options as SyncOptions).then(
    (report) => ({ report }),
    (error: unknown) => ({ error }),
  )
  if (!('error' in outcome)) throw new Error(`sync resolved: ${JSON.stringify(outcome.report.error ?? outcome.report.status)}`)
  return outcome.error as SluiceError
}

describe('sync() options', () => {
  // Regression: a missing source and `source: 'rest'` threw a raw TypeError, and a stage given
  // without its array (`stages: schemaDrift()`) failed the run as SOURCE_FAILED.
  it.each([
    ['no source', { destination: memory() }, 'sync.source', 'got nothing'],
    ["source: 'rest'", { source: 'rest', destination: memory() }, 'sync.source', 'got "rest"'],
    ['a source that is a plain object', { source: { table: 't' }, destination: memory() }, 'sync.source', 'got an object'],
    ['stages: schemaDrift() (not an array)', { source: source(), destination: memory(), stages: schemaDrift() }, 'sync.stages', 'an array of stages'],
    ['a stage that is not a function', { source: source(), destination: memory(), stages: [{ columns: 'evolve' }] }, 'sync.stages[0]', 'got an object'],
    ['an unknown option (destinaton)', { source: source(), destinaton: memory() }, 'sync.destinaton', 'did you mean `destination`'],
    ['a destination that is not a sink', { source: source(), destination: { path: 'warehouse.db' } }, 'destination', 'must be a sink'],
    ['no destination', { source: source() }, 'destination', 'must be a sink'],
    ['a malformed deadline', { source: source(), destination: memory(), deadline: '50 seconds please' }, 'sync.deadline', 'must be a duration'],
    ['a deadline that is an object', { source: source(), destination: memory(), deadline: { seconds: 50 } }, 'sync.deadline', 'got an object'],
    ['a negative grace', { source: source(), destination: memory(), grace: -1 }, 'sync.grace', 'must be a duration'],
    ['an empty connectorId', { source: source(), destination: memory(), connectorId: ' ' }, 'sync.connectorId', 'non-empty string'],
    ['configuration that is a file name', { source: source(), destination: memory(), configuration: 'configuration.json' }, 'sync.configuration', 'got "configuration.json"'],
    ['a state that is not a store', { source: source(), destination: memory(), state: { path: 'state.json' } }, 'sync.state', 'state store'],
    ['a signal that is not an AbortSignal', { source: source(), destination: memory(), signal: new AbortController() }, 'sync.signal', 'AbortSignal'],
    ['an unknown event name', { source: source(), destination: memory(), on: { synComplete: () => {} } }, 'sync.on.synComplete', 'did you mean `syncComplete`'],
    ['an event handler that is not a function', { source: source(), destination: memory(), on: { checkpoint: 'log' } }, 'sync.on.checkpoint', 'a function'],
    ['an unknown mar option', { source: source(), destination: memory(), mar: { budjet: { monthly: 10 } } }, 'mar.budjet', 'did you mean `budget`'],
    ['options that are not an object', undefined, 'sync', 'options object'],
  ])('refuses %s with CONFIG_INVALID at call time, naming it', async (_name, options, option, says) => {
    const error = await refusal(options)
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toContain(option)
    expect(error.message).toContain(says)
  })

  it('lists the valid options when refusing an unknown one', async () => {
    const error = await refusal({ source: source(), destination: memory(), retries: 3 })
    expect(error.message).toBe('`sync.retries` is not an option of sync; its options are source, destination, stages, connectorId, configuration, state, deadline, signal, grace, on, mar, fleet')
    expect(error.context).toMatchObject({ option: 'sync.retries' })
  })

  it('runs with every option given right', async () => {
    const report = await sync({
      source: source(), destination: memory(), stages: [schemaDrift()], connectorId: 'c', configuration: {}, deadline: '50s', grace: 1000,
      signal: new AbortController().signal, on: { syncComplete: () => {} }, mar: {},
    })
    expect(report.status).toBe('succeeded')
  })
})

describe('sync() report.tables', () => {
  // Regression: a table with no changes had no entry (`report.tables.orders` was undefined), so
  // the README's `report.tables.orders.upserts` threw on a quiet run.
  it('has an entry, zeros included, for every declared table and every table written', async () => {
    const source = connector({
      id: 'shop',
      schema: () => [{ table: 'orders', primaryKey: ['id'] }, { table: 'customers', primaryKey: ['id'] }],
      async *update() {
        yield op.upsert('customers', [{ id: 1 }])
        yield op.checkpoint({ done: true })
      },
    })
    const report = await sync({ source, destination: memory() })
    expect(report.tables).toEqual({
      orders: { upserts: 0, updates: 0, deletes: 0, truncates: 0 },
      customers: { upserts: 1, updates: 0, deletes: 0, truncates: 0 },
    })
    const quiet = await sync({ source: fromIterable('orders', [], { primaryKey: ['id'] }), destination: memory() })
    expect(quiet.tables.orders).toEqual({ upserts: 0, updates: 0, deletes: 0, truncates: 0 })
  })

  it('leaves out the declared tables a select() blocks', async () => {
    const source = connector({
      id: 'shop',
      schema: () => [{ table: 'orders', primaryKey: ['id'] }, { table: 'customers', primaryKey: ['id'] }],
      async *update() {
        yield op.checkpoint({ done: true })
      },
    })
    const report = await sync({ source, destination: memory(), stages: [select({ exclude: ['customers'] })] })
    expect(Object.keys(report.tables)).toEqual(['orders'])
  })
})
