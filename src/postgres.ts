/**
 * `sluice/postgres`: the PostgreSQL sink and source. A subpath entry so that only users who
 * import it load `pg` and `pg-copy-streams`.
 *
 * @module sluice/postgres
 */
export { postgres, type PostgresOptions } from './sink/postgres/postgres-sink.js'
export type { PostgresConnection } from './db/postgres-connection.js'
export { postgresSource, type PostgresSourceOptions } from './source/postgres/postgres-source.js'
export type { DatabaseTable } from './source/sql/table-options.js'
export type { PostgresReplication } from './source/postgres/cdc/replication-options.js'
