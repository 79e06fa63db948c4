import { knownOptions } from '../core/check-option.js'
import type { ColumnType } from '../core/column-type.js'
import { normalizeName } from '../core/normalize-name.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Sink, TableDescription } from '../contracts/sink.js'
import type { ScheduleSpec } from '../schedule/schedule.js'
import { duckdbType } from '../sink/duckdb/duckdb-ddl.js'
import { HISTORY } from '../sink/layout/history-columns.js'
import { SYSTEM } from '../sink/layout/table-layout.js'
import { pgType } from '../sink/postgres/postgres-ddl.js'
import { sqliteType } from '../sink/sqlite/sqlite-ddl.js'
import { dbtFreshness } from './dbt-freshness.js'
import { stagingModelSql } from './staging-model.js'
import { yamlBlock, type YamlValue } from './yaml-block.js'

/** The SQL engine of the destination: it names the schema dbt reads and the columns' `data_type`. */
export type DbtDialect = 'sqlite' | 'duckdb' | 'postgres'

/** Options of {@link dbtProject}. */
export interface DbtProjectOptions {
  /** The destination the syncs wrote: its `describe()` lists the tables, its `schemaHistory()` which connector created each. */
  readonly destination: Sink
  /** The destination's engine. */
  readonly dialect: DbtDialect
  /** The schema holding the tables (default `'main'` for SQLite and DuckDB, `'public'` for Postgres: pass `postgres({ schema })`'s). */
  readonly schema?: string
  /** How often the connectors sync, for the freshness thresholds (default: warn after 12 h, fail after 24 h). */
  readonly schedule?: ScheduleSpec
  /** The schedule of a connector by its id (what its `createConnector({ schedule })` says), over `schedule`; an id the destination doesn't know is refused. */
  readonly schedules?: Readonly<Record<string, ScheduleSpec>>
  /** The dbt source of tables no connector is recorded for (default `'sluice'`). */
  readonly source?: string
}

/** One file of the generated dbt models folder, its path relative to that folder. */
export interface DbtFile {
  readonly path: string
  readonly content: string
}

const DIALECTS: readonly DbtDialect[] = ['sqlite', 'duckdb', 'postgres']

const NATIVE: Readonly<Record<DbtDialect, (type: ColumnType) => string>> = { sqlite: sqliteType, duckdb: duckdbType, postgres: pgType }

// The system columns' types as each engine's DDL creates them (sqlite-ddl, duckdb-ddl, postgres-ddl).
const SYSTEM_TYPES: Readonly<Record<DbtDialect, { time: string; flag: string; text: string }>> = {
  sqlite: { time: 'TEXT', flag: 'INTEGER', text: 'TEXT' },
  duckdb: { time: 'TIMESTAMPTZ', flag: 'BOOLEAN', text: 'VARCHAR' },
  postgres: { time: 'timestamptz', flag: 'boolean', text: 'text' },
}

/**
 * The dbt side of a sluice destination: a `sources.yml` (dbt ≥ 1.10 properties, version 2) with
 * one source per connector — the tables the connector created, from `_sluice_schema_history` —
 * each table's columns with their engine types and descriptions, `unique` and `not_null` tests
 * on the key, and freshness on `_sluice_synced` derived from `schedule`; and one staging model
 * `stg_<source>__<table>.sql` per table selecting its live rows (no soft-deleted rows, no system
 * columns, the current version of a history table). Resolves to the files; `sluice dbt` writes
 * them. A destination without `describe()` or an unknown option is refused with `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * import { dbtProject, sqlite } from 'sluice'
 * const files = await dbtProject({ destination: sqlite({ path: 'warehouse.db' }), dialect: 'sqlite', schedule: { every: '15m' } })
 * for (const f of files) console.log(f.path) // sources.yml, stg_shop__orders.sql, …
 * ```
 */
export async function dbtProject(options: DbtProjectOptions): Promise<DbtFile[]> {
  knownOptions(options, { destination: true, dialect: true, schema: true, schedule: true, schedules: true, source: true }, 'dbtProject')
  const { destination, dialect } = options
  if (!DIALECTS.includes(dialect)) throw invalid('dialect', `one of ${DIALECTS.join(', ')}`, dialect)
  if (typeof destination?.describe !== 'function') throw invalid('destination', 'a destination that can describe its tables (sqlite, duckdb, postgres)', typeof destination)
  if (options.schema !== undefined && (typeof options.schema !== 'string' || options.schema === '')) throw invalid('schema', 'a schema name', options.schema)
  if (options.source !== undefined && (typeof options.source !== 'string' || normalizeName(options.source) === '')) throw invalid('source', 'a source name such as "sluice"', options.source)
  const freshness = dbtFreshness(options.schedule, 'dbtProject.schedule')
  if (options.schedules !== undefined && (typeof options.schedules !== 'object' || options.schedules === null)) throw invalid('schedules', "an object of connector id → schedule, e.g. { shop: { every: '15m' } }", options.schedules)
  const perConnector = new Map(Object.entries(options.schedules ?? {}).map(([id, spec]) => [id, dbtFreshness(spec, `dbtProject.schedules.${id}`)]))
  const schema = options.schema ?? (dialect === 'postgres' ? 'public' : 'main')
  const fallback = normalizeName(options.source ?? 'sluice')

  const tables = (await destination.describe()).sort((a, b) => a.name.localeCompare(b.name))
  const owners = await tableOwners(destination)
  const known = new Set(owners.values())
  for (const id of perConnector.keys()) {
    if (!known.has(id)) throw invalid(`schedules.${id}`, `the id of a connector that wrote this destination (${[...known].sort().join(', ') || 'none recorded'})`, id)
  }
  // dbt source name → the connector it stands for (undefined: tables no connector is recorded for) and its tables.
  const groups = new Map<string, { connector: string | undefined; tables: TableDescription[] }>()
  for (const t of tables) {
    const connector = owners.get(t.table)
    const name = connector === undefined ? fallback : normalizeName(connector)
    const group = groups.get(name) ?? { connector, tables: [] }
    group.tables.push(t)
    groups.set(name, group)
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))
  const sources = ordered.map(([name, group]) => ({
    name,
    description: group.connector === undefined ? 'Tables sluice wrote (no connector recorded).' : `Tables the sluice connector ${group.connector} writes.`,
    schema,
    loader: 'sluice',
    config: { loaded_at_field: SYSTEM.synced, freshness: (group.connector === undefined ? undefined : perConnector.get(group.connector)) ?? freshness },
    tables: group.tables.map((t) => tableEntry(t, dialect)),
  }))
  const files: DbtFile[] = [{ path: 'sources.yml', content: `# Generated by \`sluice dbt\`; regenerate after schema changes rather than editing.\n${yamlBlock({ version: 2, sources })}` }]
  for (const [name, group] of ordered) {
    for (const t of group.tables) files.push({ path: `stg_${name}__${t.name}.sql`, content: stagingModelSql(t, name) })
  }
  return files
}

/** Source table → the connector that created it (the first one in the schema history; a backfill partition `id#key` counts as `id`). */
async function tableOwners(destination: Sink): Promise<Map<string, string>> {
  const owners = new Map<string, string>()
  for (const entry of (await destination.schemaHistory?.()) ?? []) {
    if (!owners.has(entry.table)) owners.set(entry.table, entry.connectorId.split('#')[0]!)
  }
  return owners
}

function tableEntry(t: TableDescription, dialect: DbtDialect): YamlValue {
  const native = NATIVE[dialect]
  const sys = SYSTEM_TYPES[dialect]
  const keyless = t.primaryKey.length === 0
  const keys = keyless ? [SYSTEM.id] : t.primaryKey.map((k) => t.columns.find((c) => c.source === k)?.name ?? k)
  // One row per key in upsert and replace tables; append tables repeat keys and history tables
  // keep a row per version. dbt's `unique` takes one column, so a composite key gets `not_null` only.
  const unique = (t.mode === 'upsert' || t.mode === 'replace') && keys.length === 1
  const tests = (name: string) => (keys.includes(name) ? (unique ? ['unique', 'not_null'] : ['not_null']) : undefined)
  const columns: YamlValue[] = t.columns.map((c) => ({
    name: c.name,
    description: `${c.source === c.name ? '' : `Source field ${c.source}; `}sluice type ${c.type}.`,
    data_type: native(c.type as ColumnType),
    data_tests: tests(c.name),
  }))
  columns.push(
    { name: SYSTEM.synced, description: 'When sluice last wrote this row (UTC); the freshness field.', data_type: sys.time, data_tests: ['not_null'] },
    { name: SYSTEM.deleted, description: 'True when the row was deleted at the source (a soft delete); the staging model leaves these out.', data_type: sys.flag },
  )
  if (keyless) columns.push({ name: SYSTEM.id, description: 'Hash of the row: the key of a table without a primary key.', data_type: sys.text, data_tests: tests(SYSTEM.id) })
  if (t.mode === 'history') {
    columns.push(
      { name: HISTORY.start, description: 'When this version became current (UTC).', data_type: sys.time },
      { name: HISTORY.end, description: 'When this version was replaced (UTC); 9999-12-31T23:59:59.999Z while current.', data_type: sys.time },
      { name: HISTORY.active, description: "True for each key's current version; the staging model keeps only these.", data_type: sys.flag },
    )
  }
  const key = keyless ? '_sluice_id (row hash)' : t.primaryKey.join(', ')
  return {
    name: t.name,
    description: `${t.table === t.name ? '' : `Source table ${t.table}; `}written in ${t.mode} mode, key ${key}.`,
    columns,
  }
}

function invalid(option: string, expected: string, got: unknown): SluiceError {
  return new SluiceError({
    code: 'CONFIG_INVALID',
    message: `dbtProject({ ${option} }) must be ${expected}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`,
    context: { option },
  })
}
