import type { Scenario } from './scenario.js'

/** Every scenario, in the order `npm run bench` runs them. Loaded lazily: a child imports only its own. */
export const SCENARIOS: Readonly<Record<string, () => Promise<Scenario<any>>>> = {
  'sqlite-upsert': async () => (await import('../scenarios/sqlite-upsert.js')).default,
  keyless: async () => (await import('../scenarios/keyless.js')).default,
  arrow: async () => (await import('../scenarios/arrow.js')).default,
  'drift-hash': async () => (await import('../scenarios/drift-hash.js')).default,
  mar: async () => (await import('../scenarios/mar.js')).default,
  'rest-sqlite': async () => (await import('../scenarios/rest-sqlite.js')).default,
  'graphql-idcursor': async () => (await import('../scenarios/graphql-idcursor.js')).default,
  'postgres-upsert': async () => (await import('../scenarios/postgres.js')).upsert,
  'postgres-source': async () => (await import('../scenarios/postgres.js')).source,
  'postgres-read': async () => (await import('../scenarios/postgres.js')).read,
  cdc: async () => (await import('../scenarios/cdc.js')).cdc,
  'cdc-snapshot': async () => (await import('../scenarios/cdc.js')).snapshot,
  'sql-transform': async () => (await import('../scenarios/sql-transform.js')).default,
  duckdb: async () => (await import('../scenarios/duckdb-files.js')).default,
  'parquet-files': async () => (await import('../scenarios/duckdb-files.js')).parquetFiles,
}
