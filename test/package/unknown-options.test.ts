import { Schema } from 'effect'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }
import * as arrowEntry from '../../src/arrow.js'
import * as duckdbEntry from '../../src/duckdb.js'
import * as filesEntry from '../../src/files.js'
import * as main from '../../src/index.js'
import * as mysqlEntry from '../../src/mysql.js'
import * as postgresEntry from '../../src/postgres.js'
import * as bullmqEntry from '../../src/bullmq.js'
import * as serveEntry from '../../src/serve.js'
import { authFromConfig } from '../../src/http/auth/auth-from-config.js'
import { buildUrl } from '../../src/http/build-url.js'
import { redactUrl } from '../../src/http/redact.js'
import { redactFields } from '../../src/log/redact-fields.js'
import { adaptiveSize } from '../../src/retry/adaptive-size.js'
import { runSchedule } from '../../src/schedule/run-schedule.js'
import { parseSchedule } from '../../src/schedule/schedule.js'

// Every public factory refuses an option it doesn't know (a typo such as `destinaton`, an option
// sluice doesn't have such as `replication`) with CONFIG_INVALID naming the key and listing the valid
// ones: accepting and ignoring it is a silent downgrade. Each function an entry module exports is
// classified below, as a factory (minimal valid options, to which the test adds a bogus key) or as
// not one (with the reason), so a new export without an entry fails this file.

const tmp = mkdtempSync(join(tmpdir(), 'sluice-unknown-options-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

type Extra = Record<string, unknown>
interface Factory {
  /** Calls the factory with minimal valid options plus `extra` (sync or async). */
  readonly call: (extra: Extra) => unknown
  /** A valid option the refusal must list. */
  readonly lists: string
  /** Releases what a successful call built, if anything. */
  readonly release?: (built: unknown) => Promise<void> | void
}
type Entry = Factory | { readonly notAFactory: string }

const BOGUS = 'notAnOption'
const REDIS = { host: '127.0.0.1', port: 6379 }
const fleetConnector = () => ({ id: 'c', source: main.fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }), destination: main.memory(), logger: main.silentLogger })
const PG = 'postgres://postgres@127.0.0.1:5432/test'
const MY = 'mysql://root@127.0.0.1:3306/test'
const none = () => (async function* () {})()
const contract = Schema.Struct({ id: Schema.Number })
const close = (built: unknown) => (built as { close(): Promise<void> }).close()

const SLUICE: Record<string, Entry> = {
  SluiceError: { notAFactory: 'an error class: options are its fields' },
  isSluiceError: { notAFactory: 'a type guard' },
  Batch: { notAFactory: 'a data class built from columns' },
  isNull: { notAFactory: 'reads a column' },
  valueAt: { notAFactory: 'reads a column' },
  batchFromRows: { call: (x) => main.batchFromRows([{ id: 1 }], { table: 't', ...x }), lists: 'columns' },
  ExactDecimal: { notAFactory: 'a value class (a decimal kept as its exact text)' },
  decodeConfig: { notAFactory: 'a validator: its schema refuses excess properties itself' },
  check: { call: (x) => main.check({ destination: main.memory(), ...x }), lists: 'destination' },
  checkPassed: { notAFactory: 'builds a result from two strings' },
  checkFailed: { notAFactory: 'builds a result from an error' },
  connector: { call: (x) => main.connector({ id: 'c', update: none, ...x }), lists: 'update' },
  checkConfiguration: { notAFactory: 'a validator of configuration.json values' },
  configurationInteger: { notAFactory: 'reads one configuration key' },
  fromIterable: { call: (x) => main.fromIterable('t', [], { ...x }), lists: 'batchSize' },
  configuredSource: { notAFactory: 'takes an id and a build function, no options object' },
  sqlite: { call: (x) => main.sqlite({ path: ':memory:', ...x }), lists: 'busyTimeoutMs' },
  memory: { notAFactory: 'takes no options' },
  memoryState: { notAFactory: 'takes no options' },
  fileState: { call: (x) => main.fileState({ path: join(tmp, 'state.json'), ...x }), lists: 'shared' },
  sync: { call: (x) => main.sync({ source: main.fromIterable('t', []), destination: main.memory(), ...x }), lists: 'destination' },
  retry: { call: (x) => main.retry(async () => 1, main.exponentialBackoff(), { ...x }), lists: 'onRetry' },
  exponentialBackoff: { call: (x) => main.exponentialBackoff({ ...x }), lists: 'initialMs' },
  constantBackoff: { call: (x) => main.constantBackoff({ delayMs: 1, attempts: 1, ...x }), lists: 'delayMs' },
  fakeClock: { call: (x) => main.fakeClock({ ...x }), lists: 'autoAdvance' },
  rateLimit: { call: (x) => main.rateLimit({ requests: 1, perMs: 1000, ...x }), lists: 'perMs' },
  isRetryable: { notAFactory: 'a predicate' },
  httpClient: { call: (x) => main.httpClient({ ...x }), lists: 'timeouts', release: close },
  apiKeyAuth: { call: (x) => main.apiKeyAuth({ key: 'k', ...x }), lists: 'prefix' },
  bearerAuth: { call: (x) => main.bearerAuth({ token: 't', ...x }), lists: 'token' },
  basicAuth: { call: (x) => main.basicAuth({ username: 'u', password: 'p', ...x }), lists: 'username' },
  oauth2ClientCredentials: {
    call: (x) => main.oauth2ClientCredentials({ tokenUrl: 'https://api.test/token', clientId: 'i', clientSecret: 's', ...x }),
    lists: 'clientSecret',
  },
  rest: { call: (x) => main.rest({ baseUrl: 'https://api.test', streams: [{ table: 't', path: '/t' }], ...x }), lists: 'streams' },
  offset: { call: (x) => main.offset({ limit: 10, ...x }), lists: 'limit' },
  pageNumber: { call: (x) => main.pageNumber({ ...x }), lists: 'pageParam' },
  cursor: { call: (x) => main.cursor({ next: 'meta.next', ...x }), lists: 'next' },
  linkHeader: { call: (x) => main.linkHeader({ ...x }), lists: 'rel' },
  nextUrl: { call: (x) => main.nextUrl({ path: 'next', ...x }), lists: 'path' },
  idCursor: { call: (x) => main.idCursor({ table: 't', fetch: async () => [], ...x }), lists: 'idField' },
  timeWindows: { call: (x) => main.timeWindows({ table: 't', start: '2026-01-01T00:00:00Z', fetch: async () => [], ...x }), lists: 'minWindow' },
  graphql: {
    call: (x) => main.graphql({ endpoint: 'https://api.test/graphql', query: 'query($first: Int, $after: String) { items(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', connection: 'data.items', table: 't', ...x }),
    lists: 'endpoint',
  },
  createConnector: {
    call: (x) => main.createConnector({ id: 'c', source: main.fromIterable('t', []), destination: main.memory(), logger: main.silentLogger, ...x }),
    lists: 'destination',
  },
  marReport: { call: (x) => main.marReport({ destination: main.memory(), ...x }), lists: 'month' },
  estimateMar: { call: (x) => main.estimateMar(main.fromIterable('t', []), { ...x }), lists: 'sample' },
  dbtProject: { call: (x) => main.dbtProject({ destination: main.memory(), dialect: 'sqlite', ...x }), lists: 'schedule' },
  HyperLogLog: { notAFactory: 'a sketch class' },
  webhook: { call: (x) => main.webhook({ url: 'https://hooks.test/x', ...x }), lists: 'timeoutMs' },
  log: { call: (x) => main.log({ ...x }), lists: 'logger' },
  jsonLogger: { call: (x) => main.jsonLogger({ ...x }), lists: 'level' },
  redactLogger: { call: (x) => main.redactLogger(main.silentLogger, { ...x }), lists: 'keys' },
  progressTracker: { call: (x) => main.progressTracker({ ...x }), lists: 'intervalMs' },
  schemaDrift: { call: (x) => main.schemaDrift({ ...x }), lists: 'preset' },
  select: { call: (x) => main.select({ include: ['t'], ...x }), lists: 'exclude' },
  hashColumns: { call: (x) => main.hashColumns({ columns: ['t.email'], salt: 'a salt of some length', ...x }), lists: 'salt' },
  keepsNames: { notAFactory: 'marks a stage, no options' },
  validate: { call: (x) => main.validate(contract, { onError: 'fail', ...x }), lists: 'onError' },
  transform: { call: (x) => main.transform({ rows: (row) => row, ...x }), lists: 'rows' },
  sql: { call: (x) => main.sql({ table: 't', query: 'SELECT * FROM {{ source }}', ...x }), lists: 'query' },
  flatten: { call: (x) => main.flatten({ ...x }), lists: 'maxDepth' },
}

// Factories that are internal since the public surface was made deliberate (docs/public-api.md): they
// still refuse an unknown option, checked here from their own files.
const INTERNAL: Record<string, Factory> = {
  adaptiveSize: { call: (x) => adaptiveSize({ ...x }), lists: 'growAfter' },
  buildUrl: { call: (x) => buildUrl({ baseUrl: 'https://api.test', path: '/a', ...x }), lists: 'query' },
  redactUrl: { call: (x) => redactUrl('https://api.test/?a=1', { ...x }), lists: 'params' },
  authFromConfig: { call: (x) => authFromConfig({ bearer: 't', ...x }), lists: 'oauth2' },
  parseSchedule: { call: (x) => parseSchedule({ every: '15m', ...x }), lists: 'jitter' },
  runSchedule: {
    call: (x) => runSchedule({ schedule: parseSchedule({ every: '1h' }), clock: main.fakeClock(), logger: main.silentLogger, run: async () => 'succeeded', signal: AbortSignal.abort(), ...x }),
    lists: 'lastRunAt',
  },
  redactFields: { call: (x) => redactFields({ a: 1 }, { ...x }), lists: 'values' },
}

const ENTRIES: Record<string, { readonly module: Record<string, unknown>; readonly entries: Record<string, Entry> }> = {
  sluice: { module: main, entries: SLUICE },
  'sluice/postgres': {
    module: postgresEntry,
    entries: {
      postgres: { call: (x) => postgresEntry.postgres({ connection: PG, ...x }), lists: 'schema' },
      postgresSource: { call: (x) => postgresEntry.postgresSource({ connection: PG, tables: ['t'], ...x }), lists: 'batchSize' },
    },
  },
  'sluice/mysql': {
    module: mysqlEntry,
    entries: { mysqlSource: { call: (x) => mysqlEntry.mysqlSource({ connection: MY, tables: ['t'], ...x }), lists: 'database' } },
  },
  'sluice/duckdb': {
    module: duckdbEntry,
    entries: {
      duckdb: { call: (x) => duckdbEntry.duckdb({ path: join(tmp, 'w.duckdb'), ...x }), lists: 'path' },
    },
  },
  'sluice/arrow': {
    module: arrowEntry,
    entries: { toArrow: { notAFactory: 'converts a batch' } },
  },
  'sluice/serve': {
    module: serveEntry,
    entries: {
      serve: { call: (x) => serveEntry.serve({ targets: [], ...x }), release: (h) => (h as { close(): Promise<void> }).close(), lists: 'targets' },
      startServer: { call: (x) => serveEntry.startServer({ targets: [], ...x }), release: (h) => (h as { close(): Promise<void> }).close(), lists: 'auth' },
      serveHandler: { call: (x) => serveEntry.serveHandler({ targets: [], ...x }), lists: 'host' },
      createFacts: { call: (x) => serveEntry.createFacts({ targets: [], ...x }), lists: 'targets' },
      servePage: { notAFactory: 'answers a request' },
    },
  },
  'sluice/bullmq': {
    module: bullmqEntry,
    entries: {
      fleet: { call: (x) => bullmqEntry.fleet({ connection: REDIS, connectors: [fleetConnector()], prefix: `unknown${process.pid}`, ...x }), release: (f) => (f as { close(): Promise<void> }).close(), lists: 'connectors' },
      runWorker: { call: (x) => bullmqEntry.runWorker({ connection: REDIS, connectors: [fleetConnector()], prefix: `unknown${process.pid}`, logger: main.silentLogger, ...x }), release: (w) => (w as { close(): Promise<void> }).close(), lists: 'concurrency' },
      apiRateLimit: { notAFactory: 'names an API of a worker; its limits are the worker\'s apis option' },
    },
  },
  'sluice/files': {
    module: filesEntry,
    entries: {
      files: { call: (x) => filesEntry.files({ dir: join(tmp, 'lake'), format: 'ndjson', ...x }), lists: 'rotate' },
      fileSource: { call: (x) => filesEntry.fileSource({ path: tmp, ...x }), lists: 'csv' },
    },
  },
}

/** What `call` threw or rejected with, or `undefined` when it succeeded. */
async function outcome(factory: Factory, extra: Extra): Promise<unknown> {
  try {
    const built = await factory.call(extra)
    await factory.release?.(built)
    return undefined
  } catch (error) {
    return error
  }
}

it('covers every entry of the package exports map (a new entry needs its factories here)', () => {
  const entries = Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? 'sluice' : `sluice/${k.slice(2)}`))
  expect(Object.keys(ENTRIES).sort()).toEqual(entries.sort())
})

for (const [name, { module, entries }] of Object.entries(ENTRIES)) {
  describe(`${name}: every exported factory refuses an unknown option`, () => {
    it('classifies every function the entry exports (a new export needs a line here)', () => {
      const functions = Object.entries(module).filter(([, v]) => typeof v === 'function').map(([k]) => k).sort()
      expect(Object.keys(entries).sort()).toEqual(functions)
    })

    const factories = Object.entries(entries).filter((e): e is [string, Factory] => 'call' in e[1])
    it.each(factories)('%s refuses notAnOption with CONFIG_INVALID naming it and listing the valid options', async (_export, factory) => {
      expect(await outcome(factory, {})).toBeUndefined() // the options without the bogus key are valid
      const error = await outcome(factory, { [BOGUS]: 1 })
      expect(main.isSluiceError(error) && error.code).toBe('CONFIG_INVALID')
      expect((error as Error).message).toContain(BOGUS)
      expect((error as Error).message).toContain(factory.lists)
    })
  })
}

describe('internal factories: each refuses an unknown option', () => {
  it.each(Object.entries(INTERNAL))('%s refuses notAnOption with CONFIG_INVALID naming it and listing the valid options', async (_name, factory) => {
    expect(await outcome(factory, {})).toBeUndefined() // the options without the bogus key are valid
    const error = await outcome(factory, { [BOGUS]: 1 })
    expect(main.isSluiceError(error) && error.code).toBe('CONFIG_INVALID')
    expect((error as Error).message).toContain(BOGUS)
    expect((error as Error).message).toContain(factory.lists)
  })
})

describe('database sources: replication (CDC)', () => {
  // Regression: `postgresSource({ …, replication: 'logical' })` ran a full-table read and reported success.
  it("postgresSource takes replication: 'logical' (test/source/postgres/cdc) and refuses an unknown key in it", () => {
    expect(postgresEntry.postgresSource({ connection: PG, tables: ['t'], replication: 'logical' }).readAhead).toBe(false)
    const run = () => postgresEntry.postgresSource({ connection: PG, tables: ['t'], replication: { slots: 's' } } as never)
    expect(run).toThrow(main.SluiceError)
    expect(run).toThrow(/slots/)
  })

  it("mysqlSource takes replication: 'binlog' and refuses any other mode or an unknown replication option", () => {
    expect(mysqlEntry.mysqlSource({ connection: MY, tables: ['t'], replication: 'binlog' }).readAhead).toBe(false)
    expect(() => mysqlEntry.mysqlSource({ connection: MY, tables: ['t'], replication: 'logical' } as never)).toThrow(/mysqlSource\.replication must be 'binlog'/)
    expect(() => mysqlEntry.mysqlSource({ connection: MY, tables: ['t'], replication: { slot: 's' } } as never)).toThrow(/`mysqlSource\.replication\.slot` is not an option/)
  })
})
