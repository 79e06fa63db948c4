/**
 * `sluice/arrow`: batches as `apache-arrow` `RecordBatch`es. A subpath entry so that `sluice` never
 * loads apache-arrow (0.1–0.2 s of a cold start, README, cold-start); the files and DuckDB sinks
 * convert on their own paths.
 *
 * @module sluice/arrow
 */
export { toArrow } from './core/batch-to-arrow.js'
