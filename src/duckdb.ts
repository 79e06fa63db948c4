/**
 * `sluice/duckdb`: the DuckDB sink. A subpath entry so that `sluice` never loads DuckDB; the
 * native package `@duckdb/node-api` (an optional peer dependency) is itself loaded on first use.
 *
 * @module sluice/duckdb
 */
export { duckdb, type DuckDbOptions } from './sink/duckdb/duckdb-sink.js'
