import { DuckDBInstance } from '@duckdb/node-api'
import Database from 'better-sqlite3'
import { readFileSync, rmSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { connector, dbtProject, memory, op, sqlite, sync, type DbtDialect, type DbtFile, type Message, type Sink, type TableSpec } from '../../src/index.js'
import { duckdb } from '../../src/duckdb.js'
import { postgres } from '../../src/postgres.js'
import { describeWithService, PG_URL, pgUnavailable, schemas } from '../source/postgres/pg-service.js'
import { schemaErrors, type JsonSchema } from '../support/json-schema-check.js'
import { parseYamlSubset } from '../support/yaml-subset.js'

const SCHEMA = JSON.parse(readFileSync(new URL('./dbt-source-properties.schema.json', import.meta.url), 'utf8')) as JsonSchema
const dir = mkdtempSync(join(tmpdir(), 'sluice-dbt-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const unavailable = await pgUnavailable()
const fresh = schemas('sluice_dbt')

const SHOP: TableSpec[] = [
  { table: 'Orders', primaryKey: ['id'] },
  { table: 'prices', primaryKey: ['sku'], mode: 'history' },
  { table: 'catalog', primaryKey: ['sku'], mode: 'replace' },
  { table: 'events' },
  { table: 'lines', primaryKey: ['order_id', 'n'] },
]
const CRM: TableSpec[] = [{ table: 'contacts', primaryKey: ['id'] }]

/** Three syncs of `shop` (deletes, SCD2 versions, a full refresh that drops a row) and one of `crm`. */
async function load(destination: Sink): Promise<void> {
  const run = async (id: string, spec: TableSpec[], messages: Message[]) => {
    const report = await sync({ destination, source: connector({ id, schema: () => spec, update: () => messages }) })
    expect(report.status, JSON.stringify(report.error)).toBe('succeeded')
  }
  await run('shop', SHOP, [
    op.upsert('Orders', [{ id: 1, Email: 'a@x', total: 10 }, { id: 2, Email: 'b@x', total: 20 }, { id: 3, Email: 'c@x', total: 30 }]),
    op.upsert('prices', [{ sku: 'p1', price: 1 }, { sku: 'p2', price: 2 }]),
    op.upsert('catalog', [{ sku: 'p1', title: 'one' }, { sku: 'p2', title: 'two' }]),
    op.upsert('events', [{ kind: 'click', n: 1 }, { kind: 'view', n: 2 }]),
    op.upsert('lines', [{ order_id: 1, n: 1, qty: 5 }, { order_id: 1, n: 2, qty: 6 }]),
    op.checkpoint({ n: 1 }),
  ])
  await run('shop', SHOP, [
    op.delete('Orders', [{ id: 2 }]),
    op.upsert('prices', [{ sku: 'p1', price: 1.5 }]),
    op.delete('prices', [{ sku: 'p2' }]),
    op.upsert('catalog', [{ sku: 'p1', title: 'one' }]),
    op.delete('lines', [{ order_id: 1, n: 2 }]),
    op.checkpoint({ n: 2 }),
  ])
  // A replace table is refreshed whole by every sync: the rows a sync does not write are soft-deleted.
  await run('shop', SHOP, [op.upsert('prices', [{ sku: 'p1', price: 1.75 }, { sku: 'p3', price: 3 }]), op.upsert('catalog', [{ sku: 'p1', title: 'one' }]), op.checkpoint({ n: 3 })])
  await run('crm', CRM, [op.upsert('contacts', [{ id: 7, name: 'Ada' }]), op.checkpoint({ n: 1 })])
}

/** What each staging model must return: exactly the live rows (current versions), own columns only. */
const LIVE: Record<string, Record<string, unknown>[]> = {
  stg_shop__orders: [{ id: 1, email: 'a@x', total: 10 }, { id: 3, email: 'c@x', total: 30 }],
  stg_shop__prices: [{ sku: 'p1', price: 1.75 }, { sku: 'p3', price: 3 }],
  stg_shop__catalog: [{ sku: 'p1', title: 'one' }],
  stg_shop__events: [{ kind: 'click', n: 1 }, { kind: 'view', n: 2 }],
  stg_shop__lines: [{ order_id: 1, n: 1, qty: 5 }],
  stg_crm__contacts: [{ id: 7, name: 'Ada' }],
}

/** `{{ source('s', 't') }}` as dbt renders it without a database: "schema"."identifier". */
function render(sql: string, schema: string): string {
  return sql.replace(/\{\{ source\('([^']+)', '([^']+)'\) \}\}/g, (_, _source: string, table: string) => `"${schema}"."${table}"`)
}

function normalized(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const plain = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))
  return plain.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
}

function checkSources(files: DbtFile[], schema: string) {
  const doc = parseYamlSubset(files.find((f) => f.path === 'sources.yml')!.content) as { sources: { name: string; schema: string; tables: { name: string; columns: { name: string; data_type: string; data_tests?: string[] }[] }[] }[] }
  expect(schemaErrors(SCHEMA, doc)).toEqual([])
  expect(doc.sources.map((s) => [s.name, s.schema, s.tables.map((t) => t.name)])).toEqual([
    ['crm', schema, ['contacts']],
    ['shop', schema, ['catalog', 'events', 'lines', 'orders', 'prices']],
  ])
  const shop = doc.sources[1]!.tables
  const tests = (table: string, column: string) => shop.find((t) => t.name === table)!.columns.find((c) => c.name === column)!.data_tests
  expect(tests('orders', 'id')).toEqual(['unique', 'not_null'])
  expect(tests('catalog', 'sku')).toEqual(['unique', 'not_null'])
  expect(tests('prices', 'sku')).toEqual(['not_null']) // one row per version
  expect(tests('lines', 'order_id')).toEqual(['not_null']) // composite key: `unique` takes one column
  expect(tests('events', '_sluice_id')).toEqual(['unique', 'not_null'])
  expect(tests('orders', 'email')).toBeUndefined()
  return doc
}

const ENGINES: { name: DbtDialect; ready?: string | undefined; setup: () => Promise<{ sink: Sink; schema: string; query: (sql: string) => Promise<Record<string, unknown>[]> ; close: () => Promise<void> }> }[] = [
  {
    name: 'sqlite',
    setup: async () => {
      const path = join(dir, 'w.db')
      const db = () => new Database(path, { readonly: true })
      return {
        sink: sqlite({ path }),
        schema: 'main',
        query: async (sql) => {
          const handle = db()
          try {
            return handle.prepare(sql).all() as Record<string, unknown>[]
          } finally {
            handle.close()
          }
        },
        close: async () => {},
      }
    },
  },
  {
    name: 'duckdb',
    setup: async () => {
      const path = join(dir, 'w.duckdb')
      return {
        sink: duckdb({ path }),
        schema: 'main',
        query: async (sql) => {
          const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
          const connection = await instance.connect()
          try {
            return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
          } finally {
            connection.closeSync()
            instance.closeSync()
          }
        },
        close: async () => {},
      }
    },
  },
  {
    name: 'postgres',
    ready: unavailable,
    setup: async () => {
      const schema = fresh.next()
      const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
      return {
        sink: postgres({ connection: PG_URL, schema }),
        schema,
        query: async (sql) => (await pool.query(sql)).rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) && k !== 'sku' ? Number(v) : v]))),
        close: () => pool.end(),
      }
    },
  },
]

for (const engine of ENGINES) {
  const body = () => {
    it('sources.yml validates against dbt source properties, and each staging model returns exactly the live rows', async () => {
      const { sink, schema, query, close } = await engine.setup()
      try {
        await load(sink)
        const files = await dbtProject({ destination: sink, dialect: engine.name, ...(engine.name === 'postgres' ? { schema } : {}), schedule: { every: '1h' } })
        expect(files.map((f) => f.path).sort()).toEqual(['sources.yml', ...Object.keys(LIVE).map((m) => `${m}.sql`)].sort())
        const doc = checkSources(files, schema) as unknown as { sources: { config: unknown; tables: { name: string; columns: { name: string; data_type: string }[] }[] }[] }
        expect(doc.sources[0]!.config).toEqual({ loaded_at_field: '_sluice_synced', freshness: { warn_after: { count: 2, period: 'hour' }, error_after: { count: 4, period: 'hour' } } })
        // Every column the YAML lists exists in the table (the system columns included), and no other.
        for (const source of doc.sources) {
          for (const table of source.tables) {
            const rows = await query(`select * from "${schema}"."${table.name}" limit 1`)
            expect(table.columns.map((c) => c.name).sort(), table.name).toEqual(Object.keys(rows[0]!).sort())
          }
        }
        // The raw tables keep what the models must leave out: a soft-deleted order, closed price versions.
        const count = async (table: string) => Number(Object.values((await query(`select count(*) as n from "${schema}"."${table}"`))[0]!)[0])
        expect([await count('orders'), await count('prices'), await count('catalog'), await count('lines')]).toEqual([3, 5, 2, 2])
        for (const [model, live] of Object.entries(LIVE)) {
          const sql = files.find((f) => f.path === `${model}.sql`)!.content
          expect(normalized(await query(render(sql, schema))), model).toEqual(normalized(live))
        }
      } finally {
        await close()
      }
    })
  }
  if (engine.name === 'postgres') describeWithService(`dbtProject on ${engine.name}`, 'PostgreSQL', engine.ready, body)
  else describe(`dbtProject on ${engine.name}`, body)
}

describe('dbtProject options', () => {
  it('tables no connector is recorded for go to the fallback source, named by `source`', async () => {
    const sink = memory()
    await sync({ destination: sink, source: connector({ id: 'x', schema: () => [{ table: 't', primaryKey: ['id'] }], update: () => [op.upsert('t', [{ id: 1 }]), op.checkpoint({})] }) })
    const files = await dbtProject({ destination: { ...sink, schemaHistory: undefined } as Sink, dialect: 'duckdb', source: 'Raw Data' })
    expect(files.map((f) => f.path)).toEqual(['sources.yml', 'stg_raw_data__t.sql'])
    expect(files[1]!.content).toContain("{{ source('raw_data', 't') }}")
  })

  it('takes a connector\'s own schedule over the common one, and refuses a connector id the destination does not know', async () => {
    const sink = memory()
    for (const id of ['shop', 'crm']) {
      await sync({ destination: sink, source: connector({ id, schema: () => [{ table: `${id}_t`, primaryKey: ['id'] }], update: () => [op.upsert(`${id}_t`, [{ id: 1 }]), op.checkpoint({})] }) })
    }
    const files = await dbtProject({ destination: sink, dialect: 'postgres', schedule: { every: '1h' }, schedules: { shop: { every: '15m' } } })
    const doc = parseYamlSubset(files[0]!.content) as { sources: { name: string; config: { freshness: unknown } }[] }
    expect(schemaErrors(SCHEMA, doc)).toEqual([])
    expect(doc.sources.map((s) => [s.name, s.config.freshness])).toEqual([
      ['crm', { warn_after: { count: 2, period: 'hour' }, error_after: { count: 4, period: 'hour' } }],
      ['shop', { warn_after: { count: 30, period: 'minute' }, error_after: { count: 1, period: 'hour' } }],
    ])
    await expect(dbtProject({ destination: sink, dialect: 'postgres', schedules: { shopp: { every: '15m' } } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('schedules.shopp'),
    })
    await expect(dbtProject({ destination: sink, dialect: 'postgres', schedules: { shop: { every: 'x' } } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('dbtProject.schedules.shop.every') })
  })

  it('refuses an unknown option, an unknown dialect, a destination that cannot describe itself, a bad schedule', async () => {
    const sink = memory()
    await expect(dbtProject({ destination: sink, dialect: 'sqlite', shedule: '1h' } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(dbtProject({ destination: sink, dialect: 'mysql' as never })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('dialect') })
    await expect(dbtProject({ destination: { ...sink, describe: undefined } as Sink, dialect: 'sqlite' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('destination') })
    await expect(dbtProject({ destination: sink, dialect: 'sqlite', schedule: { every: 'soon' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('schedule.every') })
  })
})

describe('the source-properties schema', () => {
  it('rejects what dbt rejects: a period dbt does not know, a count of 0, a misspelt key, a table without a name', () => {
    const doc = (source: object) => ({ version: 2, sources: [{ name: 's', ...source }] })
    expect(schemaErrors(SCHEMA, doc({ config: { freshness: { warn_after: { count: 1, period: 'week' } } } }))).toHaveLength(1)
    expect(schemaErrors(SCHEMA, doc({ config: { freshness: { error_after: { count: 0, period: 'day' } } } }))).toHaveLength(1)
    expect(schemaErrors(SCHEMA, doc({ tabels: [] }))).toEqual(['$.sources[0].tabels: not a property dbt knows here'])
    expect(schemaErrors(SCHEMA, doc({ tables: [{ description: 'x' }] }))).toEqual(['$.sources[0].tables[0].name: required'])
    expect(schemaErrors(SCHEMA, { version: 1, sources: [] })).toHaveLength(1)
  })
})
